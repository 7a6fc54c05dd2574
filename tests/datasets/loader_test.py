import os

import numpy as np
import pytest

from rnr_keras import datasets
from rnr_keras.datasets import paths

# MovieLens 100K rows (user, item, rating, unix seconds): user 1 rates
# three films in one evening, the last two in the same second, and one
# the next day; user 2 rates four films on one day.
U_DATA = (
    "1\t10\t5\t874965000\n"
    "1\t11\t4\t874965300\n"
    "1\t12\t3\t874965300\n"
    "1\t13\t2\t875051000\n"
    "2\t10\t4\t874900000\n"
    "2\t11\t1\t874900060\n"
    "2\t14\t3\t874900120\n"
    "2\t15\t5\t874900180\n"
)


@pytest.fixture(autouse=True)
def _private_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("RNR_CACHE_DIR", str(tmp_path / "cache"))


class TestLoad:
    def test_unknown_name_lists_known(self):
        with pytest.raises(ValueError) as info:
            datasets.load("ml-10m")
        message = str(info.value)
        assert "'ml-10m'" in message
        for name in ("ml-100k", "ml-1m", "yelp", "synthetic"):
            assert name in message

    def test_synthetic_passes_kwargs_and_cleans(self):
        data = datasets.load("synthetic", num_users=40, num_items=30, seed=3)
        assert data.name == "synthetic"
        assert data.num_users == 40
        raw = datasets.synthetic(num_users=40, num_items=30, seed=3)
        np.testing.assert_array_equal(data.users, raw.users)
        np.testing.assert_array_equal(data.items, raw.items)
        np.testing.assert_array_equal(data.ratings, raw.ratings)
        np.testing.assert_array_equal(data.item_ids, raw.item_ids)

    def test_synthetic_respects_min_interactions(self):
        raw = datasets.synthetic(num_users=40, num_items=30, seed=3)
        threshold = int(np.median(raw.user_counts()))
        data = datasets.load(
            "synthetic",
            num_users=40,
            num_items=30,
            seed=3,
            min_interactions=threshold,
        )
        assert data.num_users == int(np.sum(raw.user_counts() >= threshold))
        assert data.user_counts().min() >= threshold

    def test_synthetic_shape_with_overrides(self):
        data = datasets.load("synthetic", shape="ml-100k", num_users=30)
        raw = datasets.synthetic(shape="ml-100k", num_users=30)
        assert data.num_users == 30
        np.testing.assert_array_equal(data.items, raw.items)
        np.testing.assert_array_equal(data.item_ids, raw.item_ids)
        assert data.item_ids[-1] <= 1682

    def test_synthetic_shape_from_the_command_line(self):
        # `--dataset synthetic --dataset-arg shape=yelp` (made small here):
        # the CLI's parsing hands `load` what it takes.
        from rnr_keras.cli.arguments import parse_dataset_args

        kwargs = parse_dataset_args(
            "synthetic", ["shape=yelp", "num_users=300", "num_items=2000"]
        )
        assert kwargs == {"shape": "yelp", "num_users": 300, "num_items": 2000}
        data = datasets.load("synthetic", **kwargs)
        assert data.num_users == 300
        assert 10 <= len(data) / 300 <= 15  # Yelp's 12.4 per user

    def test_synthetic_unknown_shape(self):
        with pytest.raises(ValueError, match="Known shapes: ml-100k"):
            datasets.load("synthetic", shape="netflix")

    def test_synthetic_traits_are_refused(self):
        with pytest.raises(TypeError, match="return_traits=True"):
            datasets.load("synthetic", return_traits=True)

    def test_extra_kwargs_for_other_datasets(self):
        with pytest.raises(
            TypeError, match=r"'ml-100k' takes no extra.*seed=1"
        ):
            datasets.load("ml-100k", seed=1)

    def test_extra_kwargs_error_mentions_time_resolution(self):
        with pytest.raises(TypeError, match="time_resolution"):
            datasets.load("yelp", num_users=3)

    @pytest.mark.parametrize("bad", [-2, 2.0, None])
    def test_bad_min_interactions(self, bad):
        with pytest.raises(ValueError, match="`min_interactions` must be"):
            datasets.load("synthetic", min_interactions=bad)

    def test_bad_download(self):
        with pytest.raises(ValueError, match="Received: download='no'"):
            datasets.load("ml-100k", download="no")


@pytest.fixture
def ml_100k_dir(tmp_path):
    folder = tmp_path / "ml-100k"
    folder.mkdir()
    (folder / "u.data").write_text(U_DATA)
    return str(folder)


class TestTimeResolution:
    def test_second_is_the_default_and_keeps_the_file(self, ml_100k_dir):
        data = datasets.load("ml-100k", data_dir=ml_100k_dir)
        same = datasets.load(
            "ml-100k", data_dir=ml_100k_dir, time_resolution="second"
        )
        assert data.timestamps.tolist() == same.timestamps.tolist() == [
            874965000, 874965300, 874965300, 875051000,
            874900000, 874900060, 874900120, 874900180,
        ]
        assert data.items.tolist() == same.items.tolist()

    def test_day_is_round_timestamps_seed_0_after_cleaning(self, ml_100k_dir):
        fine = datasets.load("ml-100k", data_dir=ml_100k_dir)
        data = datasets.load(
            "ml-100k", data_dir=ml_100k_dir, time_resolution="day"
        )
        expected = datasets.round_timestamps(fine, "day", seed=0)
        for name in ("users", "items", "ratings", "timestamps"):
            np.testing.assert_array_equal(
                getattr(data, name), getattr(expected, name)
            )
        assert data.name == "ml-100k"
        assert data.item_ids.tolist() == [10, 11, 12, 13, 14, 15]
        # 874965000 is 1997-09-22 21:50 UTC; 875051000 the next day.
        day = 874965000 // 86400 * 86400
        by_row = dict(zip(
            zip(data.user_ids[data.users].tolist(),
                data.item_ids[data.items].tolist()),
            data.timestamps.tolist(),
        ))
        assert by_row[(1, 10)] == by_row[(1, 12)] == day
        assert by_row[(1, 13)] == day + 86400
        assert by_row[(2, 15)] == 874900000 // 86400 * 86400

    def test_cleaning_sees_the_seconds(self, tmp_path):
        # A re-rating later the same day still replaces the first rating:
        # duplicates are resolved before the timestamps are coarsened.
        (tmp_path / "u.data").write_text(
            "1\t10\t5\t874965000\n1\t10\t1\t874965001\n"
            "1\t11\t4\t874965000\n"
        )
        for resolution in ("second", "day"):
            data = datasets.load(
                "ml-100k", data_dir=str(tmp_path), min_interactions=0,
                time_resolution=resolution,
            )
            rating = data.ratings[data.items == data.item_index(10)]
            assert rating.tolist() == [1.0]

    def test_synthetic_takes_it_beside_its_own_arguments(self):
        fine = datasets.load("synthetic", num_users=20, num_items=15)
        data = datasets.load(
            "synthetic", num_users=20, num_items=15, time_resolution="week"
        )
        assert data.num_users == 20
        expected = datasets.round_timestamps(fine, "week", seed=0)
        np.testing.assert_array_equal(data.items, expected.items)
        np.testing.assert_array_equal(data.timestamps, expected.timestamps)

    def test_bad_value_fails_before_reading_files(self, tmp_path):
        with pytest.raises(ValueError) as info:
            datasets.load(
                "ml-100k", data_dir=str(tmp_path / "missing"),
                time_resolution="month",
            )
        message = str(info.value)
        assert "Received: time_resolution='month'" in message
        assert "'second', 'hour', 'day', 'week'" in message


class TestPaths:
    def test_data_dir_is_the_only_candidate(self, monkeypatch, tmp_path):
        monkeypatch.setenv("RNR_DATA_DIR", str(tmp_path / "env"))
        assert paths.candidate_dirs("ml-1m", data_dir=tmp_path / "x") == [
            str(tmp_path / "x")
        ]

    def test_env_then_cache(self, monkeypatch, tmp_path):
        monkeypatch.setenv("RNR_DATA_DIR", str(tmp_path / "env"))
        assert paths.candidate_dirs("ml-1m") == [
            os.path.join(str(tmp_path / "env"), "ml-1m"),
            os.path.join(str(tmp_path / "cache"), "ml-1m"),
        ]
        monkeypatch.delenv("RNR_DATA_DIR")
        assert paths.candidate_dirs("ml-1m") == [
            os.path.join(str(tmp_path / "cache"), "ml-1m")
        ]

    def test_default_cache_in_home(self, monkeypatch, tmp_path):
        monkeypatch.delenv("RNR_CACHE_DIR")
        monkeypatch.setenv("HOME", str(tmp_path))
        assert paths.cache_dir("yelp") == os.path.join(
            str(tmp_path), ".cache", "rnr_keras", "yelp"
        )

    def test_find_file_reports_every_place(self, monkeypatch, tmp_path):
        monkeypatch.setenv("RNR_DATA_DIR", str(tmp_path / "env"))
        found, looked = paths.find_file("ml-1m", "ratings.dat")
        assert found is None and len(looked) == 2
        os.makedirs(tmp_path / "cache" / "ml-1m")
        (tmp_path / "cache" / "ml-1m" / "ratings.dat").write_text(
            "1::1::1::1\n"
        )
        found, looked = paths.find_file("ml-1m", "ratings.dat")
        assert (
            found
            == looked[-1]
            == str(tmp_path / "cache" / "ml-1m" / "ratings.dat")
        )
