import os

import numpy as np
import pytest

from rnr_keras import datasets
from rnr_keras.datasets.movielens import read_ratings

U_DATA = (
    "196\t242\t3\t881250949\n"
    "186\t302\t3\t891717742\n"
    "22\t377\t1\t878887116\n"
    "196\t51\t2\t880606923\n"
    "186\t302\t5\t891717743\n"  # later duplicate of line 2
)

RATINGS_DAT = (
    "1::1193::5::978300760\n"
    "1::661::3::978302109\n"
    "\n"  # blank lines are skipped
    "2::1193::4::978298413\n"
    "1::1193::2::978300761\n"  # later duplicate of line 1
)


@pytest.fixture(autouse=True)
def _private_cache(monkeypatch, tmp_path):
    # Tests that search RNR_DATA_DIR set it themselves; none may touch the
    # user's real cache.
    monkeypatch.setenv("RNR_CACHE_DIR", str(tmp_path / "cache"))


def _write(folder, name, text, encoding="latin-1"):
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, name)
    with open(path, "w", encoding=encoding) as f:
        f.write(text)
    return path


class TestReadRatings:
    def test_u_data(self, tmp_path):
        path = _write(tmp_path, "u.data", U_DATA)
        users, items, ratings, times = read_ratings(path, "\t")
        assert users.tolist() == [196, 186, 22, 196, 186]
        assert items.tolist() == [242, 302, 377, 51, 302]
        assert ratings.tolist() == [3, 3, 1, 2, 5]
        assert times.tolist()[0] == 881250949
        assert ratings.dtype == np.float32 and times.dtype == np.int64

    def test_ratings_dat(self, tmp_path):
        path = _write(tmp_path, "ratings.dat", RATINGS_DAT)
        users, items, ratings, times = read_ratings(path, "::")
        assert users.tolist() == [1, 1, 2, 1]
        assert items.tolist() == [1193, 661, 1193, 1193]
        assert ratings.tolist() == [5, 3, 4, 2]
        assert times.tolist() == [978300760, 978302109, 978298413, 978300761]

    @pytest.mark.parametrize(
        "sep, bad_line",
        [
            ("\t", "1\t2\t3"),  # too few fields
            ("\t", "1\t2\t3\t4\t5"),  # too many fields
            ("\t", "1\tabc\t3\t4"),  # non-numeric id
            ("\t", "1 2 3 4"),  # wrong separator
            ("\t", "1\t2.5\t3\t4"),  # non-integer id
            ("::", "1::2::3"),
            ("::", "1::2::3::4::5"),
            ("::", "1::x::3::4"),
            ("::", "1:9:2::3::4"),  # text between the colons
            ("::", "1:2:3:4"),
        ],
    )
    def test_malformed_line_names_file_line_and_content(
        self, tmp_path, sep, bad_line
    ):
        good = sep.join(["1", "2", "3", "4"])
        path = _write(tmp_path, "r", f"{good}\n{good}\n{bad_line}\n{good}\n")
        with pytest.raises(ValueError) as info:
            read_ratings(path, sep)
        message = str(info.value)
        assert f"{path}, line 3:" in message
        assert repr(bad_line) in message

    @pytest.mark.parametrize("sep", ["\t", "::"])
    @pytest.mark.parametrize("rating", ["0", "6"])
    def test_rating_outside_scale(self, tmp_path, sep, rating):
        good = sep.join(["1", "2", "3", "4"])
        bad = sep.join(["1", "3", rating, "4"])
        path = _write(tmp_path, "r", f"{good}\n\n{bad}\n")
        with pytest.raises(
            ValueError, match=rf"line 3: rating {rating} is outside .*1\.\.5"
        ):
            read_ratings(path, sep)

    def test_bad_separator(self, tmp_path):
        with pytest.raises(ValueError, match="`separator` must be"):
            read_ratings(_write(tmp_path, "r", U_DATA), ",")


class TestLoadMovieLens:
    def test_ml_100k_fixture_with_data_dir(self, tmp_path):
        _write(tmp_path / "d", "u.data", U_DATA)
        data = datasets.load(
            "ml-100k", data_dir=tmp_path / "d", min_interactions=1
        )
        assert data.name == "ml-100k"
        assert data.user_ids.tolist() == [22, 186, 196]
        assert data.item_ids.tolist() == [51, 242, 302, 377]
        assert len(data) == 4
        row = data.to_frame(raw_ids=True).query("user == 186")
        assert row.rating.tolist() == [5.0]

    def test_ml_1m_fixture_with_data_dir(self, tmp_path):
        _write(tmp_path / "d", "ratings.dat", RATINGS_DAT)
        data = datasets.load(
            "ml-1m", data_dir=str(tmp_path / "d"), min_interactions=2
        )
        # User 2 has one rating; user 1 keeps the later (1, 1193) row.
        assert data.user_ids.tolist() == [1]
        assert data.item_ids.tolist() == [661, 1193]
        assert data.ratings.tolist() == [3.0, 2.0]

    def test_ml_1m_default_filter(self, tmp_path):
        _write(tmp_path / "d", "ratings.dat", RATINGS_DAT)
        with pytest.raises(ValueError, match=r"'ml-1m'.*min_interactions=4"):
            datasets.load("ml-1m", data_dir=tmp_path / "d")

    def test_rnr_data_dir_then_cache(self, tmp_path, monkeypatch):
        env = tmp_path / "env"
        _write(env / "ml-1m", "ratings.dat", RATINGS_DAT)
        _write(tmp_path / "cache" / "ml-1m", "ratings.dat", "9::9::1::1\n")
        monkeypatch.setenv("RNR_DATA_DIR", str(env))
        data = datasets.load("ml-1m", min_interactions=0, download=False)
        assert data.user_ids.tolist() == [1, 2]
        monkeypatch.setenv("RNR_DATA_DIR", str(tmp_path / "elsewhere"))
        data = datasets.load("ml-1m", min_interactions=0, download=False)
        assert data.user_ids.tolist() == [9]

    def test_missing_without_download_names_every_place(
        self, tmp_path, monkeypatch
    ):
        monkeypatch.setenv("RNR_DATA_DIR", str(tmp_path / "env"))
        with pytest.raises(FileNotFoundError) as info:
            datasets.load("ml-100k", download=False)
        message = str(info.value)
        assert (
            os.path.join(str(tmp_path / "env"), "ml-100k", "u.data") in message
        )
        assert (
            os.path.join(str(tmp_path / "cache"), "ml-100k", "u.data")
            in message
        )
        assert "RNR_DATA_DIR" in message and "data_dir" in message

    def test_missing_data_dir_is_not_downloaded(self, tmp_path, monkeypatch):
        def fail(url, dest):
            raise AssertionError("must not download")

        monkeypatch.setattr("rnr_keras.datasets.download._fetch", fail)
        with pytest.raises(FileNotFoundError, match="data_dir was given"):
            datasets.load("ml-100k", data_dir=tmp_path / "empty")


class TestTitles:
    def test_u_item_latin1(self, tmp_path):
        _write(
            tmp_path,
            "u.item",
            "1|Toy Story (1995)|01-Jan-1995||http://x|0|0\n"
            '2|Café "Noir" (1996)|01-Jan-1996||http://y|0|1\n',
        )
        titles = datasets.movielens_titles("ml-100k", data_dir=tmp_path)
        assert titles == {1: "Toy Story (1995)", 2: 'Café "Noir" (1996)'}

    def test_movies_dat_with_colons_in_titles(self, tmp_path):
        _write(
            tmp_path,
            "movies.dat",
            "1::Toy Story (1995)::Animation|Children's|Comedy\n"
            "260::Star Wars: Episode IV - A New Hope (1977)::Action\n",
        )
        titles = datasets.movielens_titles("ml-1m", data_dir=tmp_path)
        assert titles[260] == "Star Wars: Episode IV - A New Hope (1977)"
        assert len(titles) == 2

    def test_absent_file_gives_empty_dict(self, tmp_path):
        assert datasets.movielens_titles("ml-1m", data_dir=tmp_path) == {}

    def test_malformed_line(self, tmp_path):
        path = _write(tmp_path, "u.item", "1|A|x\nfoo\n")
        with pytest.raises(ValueError, match=rf"{path}, line 2: .*'foo'"):
            datasets.movielens_titles("ml-100k", data_dir=tmp_path)

    def test_unknown_name(self):
        with pytest.raises(
            ValueError, match="Unknown MovieLens dataset 'yelp'"
        ):
            datasets.movielens_titles("yelp")


class TestRealMovieLens100K:
    def test_counts_with_data_dir(self, real_data_dir):
        data = datasets.load(
            "ml-100k", data_dir=os.path.join(real_data_dir, "ml-100k")
        )
        assert (len(data), data.num_users, data.num_items) == (
            100000,
            943,
            1682,
        )
        assert data.user_ids[0] == 1 and data.item_ids[-1] == 1682
        # First line of u.data: 196 242 3 881250949.
        assert data.user_ids[data.users[0]] == 196
        assert data.item_ids[data.items[0]] == 242
        assert (data.ratings[0], data.timestamps[0]) == (3.0, 881250949)
        info = data.info()
        assert info["rating_histogram"] == {
            1: 6110,
            2: 11370,
            3: 27145,
            4: 34174,
            5: 21201,
        }

    def test_counts_through_rnr_data_dir(self, real_data_dir, monkeypatch):
        monkeypatch.setenv("RNR_DATA_DIR", real_data_dir)
        data = datasets.load("ml-100k", download=False)
        assert (len(data), data.num_users, data.num_items) == (
            100000,
            943,
            1682,
        )

    def test_titles(self, real_data_dir):
        titles = datasets.movielens_titles(
            "ml-100k", data_dir=os.path.join(real_data_dir, "ml-100k")
        )
        assert len(titles) == 1682
        assert titles[1] == "Toy Story (1995)"
