import json
import os

import pytest

from rnr_keras import datasets
from rnr_keras.datasets.yelp import REVIEW_FILE
from rnr_keras.datasets.yelp import read_reviews


def _review(user, business, stars, date, **extra):
    record = {
        "review_id": f"r-{user}-{business}",
        "user_id": user,
        "business_id": business,
        "stars": stars,
        "useful": 0,
        "funny": 0,
        "cool": 0,
        "text": 'Great "tacos" — très bon 🌮\nSecond line, {not json}',
        "date": date,
    }
    record.update(extra)
    return json.dumps(record, ensure_ascii=False)


def _write(folder, lines):
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(str(folder), REVIEW_FILE)
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    return path


REVIEWS = [
    _review("u2", "bA", 5.0, "2018-01-01 00:00:00"),
    _review("u1", "bB", 1.0, "2005-05-11 13:51:10"),
    "",  # a blank line, skipped
    _review("u2", "bB", 3.0, "2018-01-02 00:00:00"),
    _review("u2", "bA", 2.0, "2019-01-01 00:00:00"),  # later duplicate
    _review("u3", "bC", 4.0, "2010-06-30 12:00:00"),
]


@pytest.fixture(autouse=True)
def _private_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("RNR_CACHE_DIR", str(tmp_path / "cache"))


class TestReadReviews:
    @pytest.mark.parametrize("chunk_lines", [1, 2, 50_000])
    def test_chunks_give_the_same_arrays(self, tmp_path, chunk_lines):
        path = _write(tmp_path, REVIEWS)
        users, user_ids, items, item_ids, ratings, times = read_reviews(
            path, chunk_lines=chunk_lines
        )
        assert user_ids[users].tolist() == ["u2", "u1", "u2", "u2", "u3"]
        assert item_ids[items].tolist() == ["bA", "bB", "bB", "bA", "bC"]
        assert ratings.tolist() == [5.0, 1.0, 3.0, 2.0, 4.0]
        assert times.tolist() == [
            1514764800,
            1115819470,
            1514851200,
            1546300800,
            1277899200,
        ]
        assert sorted(user_ids.tolist()) == ["u1", "u2", "u3"]

    def test_json_array_file(self, tmp_path):
        path = os.path.join(str(tmp_path), REVIEW_FILE)
        with open(path, "w") as f:
            json.dump([json.loads(REVIEWS[0]), json.loads(REVIEWS[1])], f)
        with pytest.raises(ValueError, match=rf"{path}, line 1: .*JSON array"):
            read_reviews(path)

    def test_pretty_printed_array(self, tmp_path):
        path = _write(tmp_path, ["[", REVIEWS[0] + ",", REVIEWS[1], "]"])
        with pytest.raises(ValueError, match="line 1: .*JSON Lines"):
            read_reviews(path)

    @pytest.mark.parametrize("chunk_lines", [2, 50_000])
    def test_broken_line_names_its_number(self, tmp_path, chunk_lines):
        lines = REVIEWS + [REVIEWS[1][:40]] + REVIEWS[:2]
        path = _write(tmp_path, lines)
        with pytest.raises(
            ValueError, match=rf"{path}, line 7: not valid JSON"
        ):
            read_reviews(path, chunk_lines=chunk_lines)

    def test_line_that_is_not_an_object(self, tmp_path):
        path = _write(tmp_path, REVIEWS[:2] + ['["u1", "bA", 5]'])
        with pytest.raises(ValueError, match="line 3: expected a JSON object"):
            read_reviews(path)

    def test_two_objects_on_one_line(self, tmp_path):
        path = _write(tmp_path, [REVIEWS[0], REVIEWS[1] + ", " + REVIEWS[3]])
        with pytest.raises(ValueError, match="line 2: not valid JSON"):
            read_reviews(path)

    def test_missing_field(self, tmp_path):
        record = json.loads(REVIEWS[1])
        del record["user_id"]
        path = _write(tmp_path, [REVIEWS[0], REVIEWS[3], json.dumps(record)])
        with pytest.raises(
            ValueError,
            match="line 3: `user_id` must be a string id. Received: missing",
        ):
            read_reviews(path)

    def test_stars_outside_scale(self, tmp_path):
        bad = _review("u9", "bZ", 6.0, "2018-01-01 00:00:00")
        path = _write(tmp_path, [REVIEWS[0], bad])
        with pytest.raises(
            ValueError,
            match=r"line 2: `stars` must be within .*1\.\.5. Received: 6.0",
        ):
            read_reviews(path)

    def test_stars_not_a_number(self, tmp_path):
        bad = _review("u9", "bZ", "five", "2018-01-01 00:00:00")
        path = _write(tmp_path, [REVIEWS[0], bad])
        with pytest.raises(
            ValueError, match="line 2: `stars` must be a number"
        ):
            read_reviews(path)

    def test_bad_date(self, tmp_path):
        bad = _review("u9", "bZ", 3, "01/02/2018")
        path = _write(tmp_path, [REVIEWS[0], REVIEWS[1], bad])
        with pytest.raises(
            ValueError, match="line 3: `date` must be a 'YYYY-MM-DD HH:MM:SS'"
        ):
            read_reviews(path, chunk_lines=2)

    def test_no_reviews(self, tmp_path):
        path = _write(tmp_path, ["", ""])
        with pytest.raises(ValueError, match="holds no reviews"):
            read_reviews(path)

    @pytest.mark.parametrize("bad", [0, -1, 2.5, True])
    def test_bad_chunk_lines(self, tmp_path, bad):
        with pytest.raises(ValueError, match="`chunk_lines` must be"):
            read_reviews(_write(tmp_path, REVIEWS), chunk_lines=bad)


class TestLoadYelp:
    def test_fixture_cleaned(self, tmp_path):
        _write(tmp_path, REVIEWS)
        data = datasets.load("yelp", data_dir=tmp_path, min_interactions=2)
        assert data.name == "yelp"
        assert data.user_ids.tolist() == ["u2"]
        assert data.item_ids.tolist() == ["bA", "bB"]
        # The 2019 rating of (u2, bA) replaced the 2018 one.
        assert data.ratings.tolist() == [3.0, 2.0]

    def test_found_through_rnr_data_dir(self, tmp_path, monkeypatch):
        _write(tmp_path / "root" / "yelp", REVIEWS)
        monkeypatch.setenv("RNR_DATA_DIR", str(tmp_path / "root"))
        data = datasets.load("yelp", min_interactions=0)
        assert (len(data), data.num_users, data.num_items) == (4, 3, 3)

    def test_missing_file_explains_terms_and_place(self, tmp_path, monkeypatch):
        monkeypatch.setenv("RNR_DATA_DIR", str(tmp_path / "root"))
        with pytest.raises(FileNotFoundError) as info:
            datasets.load("yelp")
        message = str(info.value)
        assert (
            os.path.join(str(tmp_path / "root"), "yelp", REVIEW_FILE) in message
        )
        assert "yelp.com/dataset" in message
        assert "$RNR_DATA_DIR/yelp/" in message and "data_dir" in message


class TestRealYelpSample:
    @pytest.mark.parametrize("threshold", [0, 1])
    def test_counts(self, real_data_dir, threshold):
        data = datasets.load(
            "yelp",
            data_dir=os.path.join(real_data_dir, "yelp-sample"),
            min_interactions=threshold,
        )
        assert (len(data), data.num_users, data.num_items) == (999, 993, 822)
        info = data.info()
        assert info["first_timestamp"] == 1115819470  # 2005-05-11 13:51:10
        assert info["last_timestamp"] == 1538669931  # 2018-10-04 16:18:51
        assert sum(info["rating_histogram"].values()) == 999

    def test_default_filter_empties_it(self, real_data_dir):
        with pytest.raises(ValueError, match=r"'yelp'.*min_interactions=4"):
            datasets.load(
                "yelp", data_dir=os.path.join(real_data_dir, "yelp-sample")
            )
