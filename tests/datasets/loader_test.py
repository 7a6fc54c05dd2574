import os

import numpy as np
import pytest

from rnr_keras import datasets
from rnr_keras.datasets import paths


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

    def test_synthetic_traits_are_refused(self):
        with pytest.raises(TypeError, match="return_traits=True"):
            datasets.load("synthetic", return_traits=True)

    def test_extra_kwargs_for_other_datasets(self):
        with pytest.raises(
            TypeError, match=r"'ml-100k' takes no extra.*seed=1"
        ):
            datasets.load("ml-100k", seed=1)

    @pytest.mark.parametrize("bad", [-2, 2.0, None])
    def test_bad_min_interactions(self, bad):
        with pytest.raises(ValueError, match="`min_interactions` must be"):
            datasets.load("synthetic", min_interactions=bad)

    def test_bad_download(self):
        with pytest.raises(ValueError, match="Received: download='no'"):
            datasets.load("ml-100k", download="no")


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
