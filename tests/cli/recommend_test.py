import json

import numpy as np
import pytest

from rnr_keras import cli
from rnr_keras import protocol
from rnr_keras import registry
from rnr_keras import training
from rnr_keras import zoo
from rnr_keras.cli import recommend
from rnr_keras.datasets import load
from tests.test_case import TestCase
from tests.zoo.conftest import ML_ITEMS
from tests.zoo.conftest import ML_USERS

pytestmark = pytest.mark.usefixtures("private_dirs")

NUM_USERS, NUM_ITEMS = ML_USERS, ML_ITEMS


def _save(name, ml_dir, path):
    data = load("ml-100k", data_dir=ml_dir)
    split = protocol.all_but_last_one(data, n_users=data.num_users, seed=0)
    kwargs = {} if name in ("popularity", "transition") else {"embedding_dim": 4}
    model = registry.build_model(name, split.num_users, split.num_items, **kwargs)
    model.adapt(split.train)
    metrics = training.evaluate_model(model, split)
    record = {
        "model": name,
        "label": registry.label(name),
        "dataset": "ml-100k",
        "seed": 0,
        "protocol": split.params,
        "hyperparameters": {"embedding_dim": 4},
        "val": metrics["val"],
        "test": metrics["test"],
        "epochs": 0,
    }
    zoo.save_preset_from_run(model, record, split, path)
    return model, split


@pytest.fixture
def main():
    return cli.main


def _recommend(main, capsys, preset, user, *extra):
    status = main(["recommend", "--preset", str(preset), "--user", str(user), *extra])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


class TestRecommend(TestCase):
    def test_json_matches_the_model_through_the_id_maps(
        self, main, capsys, ml_dir, tmp_path
    ):
        model, split = _save("svd", ml_dir, tmp_path / "svd")
        status, out, _ = _recommend(
            main, capsys, tmp_path / "svd", 105, "-k", "5", "--json",
            "--data-dir", str(ml_dir),
        )
        assert status == 0
        result = json.loads(out)
        user = split.train.user_index(105)
        items, scores = model.recommend([user], k=5)
        assert result["user"] == 105 and result["preset"] == "svd"
        assert [row["rank"] for row in result["items"]] == [1, 2, 3, 4, 5]
        assert [row["item"] for row in result["items"]] == (
            split.train.item_ids[items[0]].tolist()
        )
        np.testing.assert_allclose([r["score"] for r in result["items"]], scores[0])
        np.testing.assert_allclose(
            [r["rating"] for r in result["items"]],
            model.predict_rating([user] * 5, items[0]),
            rtol=1e-6,
        )
        assert [r["title"] for r in result["items"]] == [
            f"Movie {item} (1995)" for item in split.train.item_ids[items[0]]
        ]
        seen = set(split.train.item_ids[split.train_items(user)].tolist())
        assert result["training_items_excluded"] == len(seen)
        assert not seen & {row["item"] for row in result["items"]}

    def test_text_table(self, main, capsys, ml_dir, tmp_path):
        _save("svd", ml_dir, tmp_path / "svd")
        status, out, _ = _recommend(
            main, capsys, tmp_path / "svd", 101, "-k", "3", "--data-dir", str(ml_dir)
        )
        assert status == 0
        lines = out.splitlines()
        assert lines[0].startswith("Top 3 for user 101 from preset svd (SVD);")
        assert lines[1].split() == ["rank", "item", "score", "rating", "title"]
        assert len(lines) == 5
        for rank, line in enumerate(lines[2:], start=1):
            fields = line.split()
            assert int(fields[0]) == rank
            float(fields[2]), float(fields[3])  # score and predicted rating
            assert line.endswith("(1995)")

    def test_models_without_a_rater_print_a_dash(
        self, main, capsys, ml_dir, tmp_path, monkeypatch
    ):
        monkeypatch.delenv("RNR_DATA_DIR", raising=False)  # no titles either
        _save("bpr", ml_dir, tmp_path / "bpr")
        status, out, _ = _recommend(main, capsys, tmp_path / "bpr", 101, "-k", "2")
        assert status == 0
        for line in out.splitlines()[2:]:
            assert line.split()[3:] == ["-", "-"]

    def test_untrained_rater_prints_a_dash(self, main, capsys, ml_dir, tmp_path):
        # alpha = 1 trains no rating head: its outputs mean nothing.
        data = load("ml-100k", data_dir=ml_dir)
        split = protocol.all_but_last_one(data, n_users=data.num_users)
        model = registry.build_model(
            "rnr-bpr-svd", split.num_users, split.num_items, alpha=1.0, embedding_dim=4
        )
        model.adapt(split.train).save_to_preset(
            tmp_path / "rnr", user_ids=data.user_ids, item_ids=data.item_ids
        )
        status, out, _ = _recommend(main, capsys, tmp_path / "rnr", 101, "--json")
        assert status == 0
        assert {row["rating"] for row in json.loads(out)["items"]} == {None}

    def test_k_beyond_the_unseen_items_prints_them_all(
        self, main, capsys, ml_dir, tmp_path
    ):
        _, split = _save("popularity", ml_dir, tmp_path / "pop")
        status, out, _ = _recommend(
            main, capsys, tmp_path / "pop", 103, "-k", "50", "--json",
            "--data-dir", str(ml_dir),
        )
        assert status == 0
        user = split.train.user_index(103)
        unseen = NUM_ITEMS - len(split.train_items(user))
        rows = json.loads(out)["items"]
        assert len(rows) == unseen
        assert all(np.isfinite(row["score"]) for row in rows)

    def test_training_items_come_from_rnr_data_dir(
        self, main, capsys, ml_dir, tmp_path, monkeypatch
    ):
        # CDAE scores from the training history, which presets do not ship.
        model, split = _save("cdae", ml_dir, tmp_path / "cdae")
        (tmp_path / "data").mkdir()
        (tmp_path / "data" / "ml-100k").symlink_to(ml_dir)
        monkeypatch.setenv("RNR_DATA_DIR", str(tmp_path / "data"))
        status, out, _ = _recommend(main, capsys, tmp_path / "cdae", 104, "--json")
        assert status == 0
        result = json.loads(out)
        user = split.train.user_index(104)
        items, scores = model.recommend([user], k=10)
        keep = np.isfinite(scores[0])
        assert [row["item"] for row in result["items"]] == (
            split.train.item_ids[items[0][keep]].tolist()
        )
        assert result["training_items_excluded"] == len(split.train_items(user))
        assert "note" not in result

    def test_without_the_data_cdae_fails_saying_where_to_put_it(
        self, main, capsys, ml_dir, tmp_path
    ):
        _save("rnr-cdae-svd", ml_dir, tmp_path / "rnr")
        status, out, err = _recommend(main, capsys, tmp_path / "rnr", 101)
        assert status == 2 and out == ""
        assert err.startswith(
            "rnr-keras: error: Preset 'rnr' (RnR(CDAE,SVD)) needs its training "
            "data to score, and presets do not ship it"
        )
        assert "ml-100k was not found" in err
        assert "--data-dir DIR" in err and "RNR_DATA_DIR" in err
        assert "rnr-keras data info ml-100k" in err
        assert len(err.splitlines()) == 1

    def test_without_the_data_bpr_recommends_and_says_seen_items_stay(
        self, main, capsys, ml_dir, tmp_path
    ):
        model, split = _save("bpr", ml_dir, tmp_path / "bpr")
        status, out, _ = _recommend(main, capsys, tmp_path / "bpr", 101, "-k", "15", "--json")
        assert status == 0
        result = json.loads(out)
        assert result["training_items_excluded"] is None
        assert result["note"].startswith(
            "training items not excluded: ml-100k was not found"
        )
        # Every item, the training ones included, by the model's scores.
        user = split.train.user_index(101)
        items, _ = model.recommend([user], k=15, exclude=None)
        assert [row["item"] for row in result["items"]] == (
            split.train.item_ids[items[0]].tolist()
        )
        status, out, _ = _recommend(main, capsys, tmp_path / "bpr", 101, "-k", "2")
        assert status == 0
        assert out.splitlines()[0].endswith(
            "(BPR); training items not excluded: ml-100k was not found; pass "
            "--data-dir DIR (the folder holding its files) or set RNR_DATA_DIR "
            "to the folder holding ml-100k/ (`rnr-keras data info ml-100k` "
            "downloads it into the cache)."
        )

    def test_other_data_in_data_dir_is_refused(
        self, main, capsys, ml_dir, tmp_path
    ):
        _save("bpr", ml_dir, tmp_path / "bpr")
        lines = (ml_dir / "u.data").read_text().splitlines()
        other = tmp_path / "other"
        other.mkdir()
        (other / "u.data").write_text("\n".join(lines[:-1]) + "\n")
        status, _, err = _recommend(
            main, capsys, tmp_path / "bpr", 101, "--data-dir", str(other)
        )
        assert status == 2
        assert "The ml-100k data found differs from the data preset 'bpr'" in err

    def test_preset_by_name(self, main, capsys, ml_dir, private_dirs):
        _save("popularity", ml_dir, private_dirs / "popularity_ml-100k")
        status, out, _ = _recommend(main, capsys, "popularity_ml-100k", 110, "-k", "1")
        assert status == 0
        assert "from preset popularity_ml-100k (Popularity)" in out

    @pytest.mark.parametrize("user", ["999", "abc", "101.0"])
    def test_unknown_user_exits_2_naming_it(
        self, main, capsys, ml_dir, tmp_path, user
    ):
        _save("popularity", ml_dir, tmp_path / "pop")
        status, out, err = _recommend(main, capsys, tmp_path / "pop", user)
        assert status == 2 and out == ""
        assert err.startswith(f"rnr-keras: error: Unknown user '{user}': ")
        assert "no user with raw id" in err
        assert len(err.splitlines()) == 1

    def test_unknown_preset_exits_2_listing_known(
        self, main, capsys, ml_dir, private_dirs
    ):
        _save("popularity", ml_dir, private_dirs / "popularity_ml-100k")
        status, _, err = _recommend(main, capsys, "bpr_ml-100k", 101)
        assert status == 2
        assert "Unknown preset 'bpr_ml-100k'" in err
        assert "popularity_ml-100k" in err

    def test_bad_k_exits_2(self, main, capsys, ml_dir, tmp_path):
        _save("popularity", ml_dir, tmp_path / "pop")
        status, _, err = _recommend(main, capsys, tmp_path / "pop", 101, "-k", "0")
        assert status == 2 and "`k` must be at least 1" in err


class TestRawIdIndex:
    def test_string_ids_stay_strings(self):
        ids = np.array(["a7", "7", "b"])
        assert recommend.raw_id_index("7", ids) == 1
        with pytest.raises(ValueError, match="Unknown user 'c'"):
            recommend.raw_id_index("c", ids)

    def test_integer_ids_read_the_text_as_an_int(self):
        ids = np.array([3, 7, 9])
        assert recommend.raw_id_index("9", ids) == 2
        with pytest.raises(ValueError, match="Unknown item '7.0'"):
            recommend.raw_id_index("7.0", ids, kind="item")


class TestRecommendForItems(TestCase):
    def _items(self, main, capsys, preset, items, *extra):
        status = main(
            ["recommend", "--preset", str(preset), "--items", items, "--json", *extra]
        )
        captured = capsys.readouterr()
        return status, captured.out, captured.err

    def test_new_user_from_raw_item_ids(
        self, main, capsys, ml_dir, tmp_path, monkeypatch
    ):
        model, split = _save("transition", ml_dir, tmp_path / "tr")
        monkeypatch.delenv("RNR_DATA_DIR", raising=False)  # needs no data
        raw = split.train.item_ids[[4, 9, 2]]
        status, out, _ = self._items(
            main, capsys, tmp_path / "tr", ",".join(str(i) for i in raw), "-k", "4"
        )
        assert status == 0
        result = json.loads(out)
        assert result["user"] is None and result["given_items"] == raw.tolist()
        items, scores = model.recommend_for_items([4, 9, 2], k=4)
        keep = np.isfinite(scores[0])
        assert [r["item"] for r in result["items"]] == (
            split.train.item_ids[items[0][keep]].tolist()
        )
        assert not set(raw.tolist()) & {r["item"] for r in result["items"]}

    def test_text_names_the_given_items(self, main, capsys, ml_dir, tmp_path):
        _save("popularity", ml_dir, tmp_path / "pop")
        status = main(["recommend", "--preset", str(tmp_path / "pop"), "--items", "1,2"])
        out = capsys.readouterr().out
        assert status == 0
        assert out.splitlines()[0].startswith(
            "Top 10 for a new user with items 1, 2 from preset pop"
        )

    @pytest.mark.parametrize("name", ["bpr", "wrmf", "cdae", "svdpp", "rnr-bpr-svd"])
    def test_factor_models_fold_the_new_user_in(
        self, main, capsys, ml_dir, tmp_path, monkeypatch, name
    ):
        model, split = _save(name, ml_dir, tmp_path / name)
        monkeypatch.delenv("RNR_DATA_DIR", raising=False)  # needs no data
        raw = split.train.item_ids[[4, 9, 2]]
        status, out, err = self._items(
            main, capsys, tmp_path / name, ",".join(str(i) for i in raw), "-k", "5"
        )
        assert status == 0, err
        result = json.loads(out)
        items, scores = model.recommend_for_items([4, 9, 2], k=5)
        assert [r["item"] for r in result["items"]] == (
            split.train.item_ids[items[0]].tolist()
        )
        np.testing.assert_allclose(
            [r["score"] for r in result["items"]], scores[0], rtol=1e-5
        )
        assert not set(raw.tolist()) & {r["item"] for r in result["items"]}

    def test_ratings_are_fitted_by_a_rater(self, main, capsys, ml_dir, tmp_path):
        model, split = _save("svd", ml_dir, tmp_path / "svd")
        raw = ",".join(str(i) for i in split.train.item_ids[[4, 9, 2]])
        status, out, _ = self._items(
            main, capsys, tmp_path / "svd", raw, "--ratings", "5,1,4", "-k", "3"
        )
        assert status == 0
        result = json.loads(out)
        assert result["given_ratings"] == [5.0, 1.0, 4.0]
        items, scores = model.recommend_for_items([4, 9, 2], k=3, ratings=[5, 1, 4])
        assert [r["item"] for r in result["items"]] == (
            split.train.item_ids[items[0]].tolist()
        )
        np.testing.assert_allclose(
            [r["score"] for r in result["items"]], scores[0], rtol=1e-5
        )

    def test_bad_ratings_are_named(self, main, capsys, ml_dir, tmp_path):
        _save("svd", ml_dir, tmp_path / "svd")
        for ratings in ("5,4", "5,x", "5,,4"):
            status, _, err = self._items(
                main, capsys, tmp_path / "svd", "1,2,3", "--ratings", ratings
            )
            assert status != 0 and "--ratings" in err and ratings in err
        status, _, err = _recommend(
            main, capsys, tmp_path / "svd", 101, "--ratings", "5"
        )
        assert status != 0 and "`--ratings` goes with `--items`" in err

    @pytest.mark.parametrize("preset", ["bpr_ml-100k", "svd_ml-100k", "cdae_ml-100k"])
    def test_shipped_factor_model_presets(self, main, capsys, monkeypatch, preset):
        monkeypatch.delenv("RNR_PRESETS_DIR", raising=False)  # the shipped ones
        status, out, err = self._items(main, capsys, preset, "50,172,133", "-k", "3")
        assert status == 0, err
        rows = json.loads(out)["items"]
        assert len(rows) == 3 and not {50, 172, 133} & {r["item"] for r in rows}

    def test_unknown_item_is_named(self, main, capsys, ml_dir, tmp_path):
        _save("popularity", ml_dir, tmp_path / "pop")
        status, _, err = self._items(main, capsys, tmp_path / "pop", "1,999999")
        assert status != 0 and "999999" in err
        status, _, err = self._items(main, capsys, tmp_path / "pop", "1,,2")
        assert status != 0 and "--items" in err

    def test_user_and_items_exclude_each_other(self, main, capsys, ml_dir, tmp_path):
        with pytest.raises(SystemExit):
            main(["recommend", "--preset", "x", "--user", "1", "--items", "2"])
        assert "not allowed" in capsys.readouterr().err


def test_shipped_preset_from_a_fresh_command_line():
    # `python -m rnr_keras` imports no model up front (fast start): loading
    # a preset must register the zoo's classes itself.
    import os
    import subprocess
    import sys

    env = {
        k: v for k, v in os.environ.items()
        if k not in ("RNR_DATA_DIR", "RNR_PRESETS_DIR")
    }
    result = subprocess.run(
        [sys.executable, "-m", "rnr_keras", "recommend", "--preset",
         "sasrec_ml-100k", "--items", "50,172,133", "-k", "3", "--json"],
        capture_output=True, text=True, env=env, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    rows = json.loads(result.stdout)["items"]
    assert len(rows) == 3 and not {50, 172, 133} & {r["item"] for r in rows}
