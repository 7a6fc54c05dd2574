import json
import os

import keras
import keras_tuner
import pytest
import tensorflow as tf

import rnr_keras
from rnr_keras import datasets
from rnr_keras import io_utils
from rnr_keras import protocol
from rnr_keras import registry
from rnr_keras import runs
from rnr_keras import training
from tests.test_case import TestCase

TINY = {"num_users": 40, "num_items": 30, "mean_interactions": 12}

U_DATA = "".join(
    f"{user}\t{item}\t{(user + item) % 5 + 1}\t{100 * user + item}\n"
    for user in range(1, 7)
    for item in range(1, 6)
)


@pytest.fixture(autouse=True)
def _private_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("RNR_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture(scope="module")
def tiny():
    return runs.make_split("synthetic", dataset_args=TINY, seed=0)


class TestMakeSplit:
    def test_is_load_then_all_but_last_one(self, tiny):
        data, split = tiny
        expected = datasets.load("synthetic", **TINY)
        assert len(data) == len(expected) and data.num_users == 40
        again = protocol.all_but_last_one(expected, n_users=40, seed=0)
        assert split.params == again.params == {
            "name": "all_but_last_one",
            "n_users": 40,
            "seed": 0,
            "val_fraction": 0.5,
        }
        for part in ("train", "val", "test"):
            assert (getattr(split, part).users == getattr(again, part).users).all()
            assert (getattr(split, part).items == getattr(again, part).items).all()

    def test_seed_and_n_users(self):
        _, split = runs.make_split(
            "synthetic", dataset_args=TINY, n_users=10, seed=3
        )
        assert split.params["n_users"] == 10 and split.params["seed"] == 3
        assert len(split.val) + len(split.test) == 10

    def test_data_dir(self, tmp_path):
        (tmp_path / "u.data").write_text(U_DATA)
        data, split = runs.make_split("ml-100k", data_dir=str(tmp_path))
        assert data.num_users == 6 and data.num_items == 5
        assert split.params["n_users"] == 6

    def test_bad_n_users_is_the_protocols_error(self):
        with pytest.raises(ValueError, match="n_users=0"):
            runs.make_split("synthetic", dataset_args=TINY, n_users=0)


class TestSplitData:
    @pytest.fixture
    def paper_n(self, monkeypatch):
        # As if the paper held out 12 users of synthetic data.
        monkeypatch.setitem(protocol.PAPER_N_USERS, "synthetic", 12)

    def test_default_is_the_papers_n(self, tiny, paper_n):
        data, _ = tiny
        assert runs.split_data(data, "synthetic").params["n_users"] == 12

    def test_all_is_every_user(self, tiny, paper_n):
        data, _ = tiny
        split = runs.split_data(data, "synthetic", n_users=runs.ALL_USERS)
        assert split.params["n_users"] == data.num_users

    def test_explicit_and_capped(self, tiny, paper_n):
        data, _ = tiny
        assert runs.split_data(data, "synthetic", n_users=7).params["n_users"] == 7
        assert runs.split_data(data, "synthetic", n_users=10**6).params[
            "n_users"
        ] == data.num_users

    def test_other_datasets_hold_out_every_user(self, tiny):
        data, _ = tiny
        assert runs.split_data(data, "ml-100k").params["n_users"] == 40


class TestVersions:
    def test_the_usual_three(self):
        assert runs.versions() == {
            "rnr_keras": rnr_keras.__version__,
            "keras": keras.__version__,
            "tensorflow": tf.__version__,
        }

    def test_extra_packages(self):
        assert runs.versions("keras_tuner")["keras_tuner"] == (
            keras_tuner.__version__
        )


def _result(split, model):
    fit = training.fit_model(model, split, epochs=1, verbose=0)
    return {**fit, **training.evaluate_model(model, split)}


class TestRunRecord(TestCase):
    def test_trained_model(self, tiny):
        _, split = tiny
        model = registry.build_model(
            "bpr", split.num_users, split.num_items, embedding_dim=4
        )
        result = _result(split, model)
        record = runs.run_record(
            "bpr", model, split, result, dataset="synthetic",
            dataset_args=TINY, seed=0, epochs=1, batch_size=256,
        )
        assert list(record) == [
            "model", "label", "val", "test", "train_seconds", "epochs",
            "best_epoch", "dataset", "dataset_args", "seed", "n_users",
            "protocol", "hyperparameters", "training", "history", "versions",
        ]
        assert (record["model"], record["label"]) == ("bpr", "BPR")
        assert record["val"] == result["val"] and record["test"] == result["test"]
        assert record["epochs"] == 1 and record["best_epoch"] == 1
        assert record["history"] == result["history"]
        assert record["dataset_args"] == TINY
        assert record["n_users"] == 40 and record["protocol"] == split.params
        assert record["hyperparameters"] == training.model_hyperparameters(model)
        assert record["training"] == {
            "max_epochs": 1,
            "patience": 30,  # `None`: the model's own
            "batch_size": 256,
            "optimizer": "default",
            "learning_rate": pytest.approx(0.002),
        }
        assert record["versions"] == runs.versions()
        json.dumps(record)  # what metrics.json holds

    def test_untrained_model_and_extras(self, tiny):
        _, split = tiny
        model = registry.build_model("popularity", split.num_users, split.num_items)
        record = runs.run_record(
            "popularity", model, split, _result(split, model),
            dataset="synthetic", patience=4, extra_versions=("keras_tuner",),
        )
        assert record["epochs"] == 0 and record["hyperparameters"] == {}
        assert record["dataset_args"] == {}
        assert record["training"]["patience"] == 4
        assert record["training"]["learning_rate"] is None
        assert "keras_tuner" in record["versions"]

    def test_a_result_without_history(self, tiny):
        _, split = tiny
        model = registry.build_model("popularity", split.num_users, split.num_items)
        result = _result(split, model)
        del result["history"]
        record = runs.run_record("popularity", model, split, result, dataset="x")
        assert record["history"] == {}


class _Model:
    """Stands in for a Keras model: `save(path)` writes a file."""

    def __init__(self, text="model", fail=False):
        self.text, self.fail = text, fail

    def save(self, path):
        with open(path, "w") as file:
            file.write(self.text)
        if self.fail:
            raise OSError("disk full")


class TestSaveRun:
    def test_writes_both(self, tmp_path):
        paths = runs.save_run(_Model(), {"a": 1}, str(tmp_path))
        assert paths == (
            os.path.join(tmp_path, "model.keras"),
            os.path.join(tmp_path, "metrics.json"),
        )
        assert (tmp_path / "model.keras").read_text() == "model"
        assert json.loads((tmp_path / "metrics.json").read_text()) == {"a": 1}

    def test_record_file_name(self, tmp_path):
        runs.save_run(_Model(), {"a": 1}, str(tmp_path), record_file="results.json")
        assert sorted(os.listdir(tmp_path)) == ["model.keras", "results.json"]

    def test_a_failed_model_write_keeps_the_old_run(self, tmp_path):
        runs.save_run(_Model("old"), {"run": "old"}, str(tmp_path))
        with pytest.raises(OSError, match="disk full"):
            runs.save_run(_Model("new", fail=True), {"run": "new"}, str(tmp_path))
        # The record is written after the model, so it is not replaced either.
        assert (tmp_path / "model.keras").read_text() == "old"
        assert json.loads((tmp_path / "metrics.json").read_text()) == {"run": "old"}
        assert sorted(os.listdir(tmp_path)) == ["metrics.json", "model.keras"]

    def test_a_real_model_round_trips(self, tiny, tmp_path):
        _, split = tiny
        model = registry.build_model("popularity", split.num_users, split.num_items)
        model.adapt(split.train)
        model_path, _ = runs.save_run(model, {}, str(tmp_path))
        loaded = keras.saving.load_model(model_path)
        loaded.adapt(split.train)
        assert training.evaluate_model(loaded, split) == training.evaluate_model(
            model, split
        )


class TestWriteAtomically:
    """`io_utils.write_atomically`, which `save_run` writes through."""

    def test_failed_write_keeps_the_old_file(self, tmp_path):
        path = tmp_path / "metrics.json"
        path.write_text("old")

        def write(tmp):
            with open(tmp, "w") as file:
                file.write("half")
            raise OSError("disk full")

        with pytest.raises(OSError, match="disk full"):
            io_utils.write_atomically(str(path), write)
        assert path.read_text() == "old"
        assert os.listdir(tmp_path) == ["metrics.json"]

    def test_replaces_with_the_usual_mode(self, tmp_path):
        path = tmp_path / "model.keras"
        path.write_text("old")
        seen = []

        def write(tmp):
            seen.append(tmp)
            with open(tmp, "w") as file:
                file.write("new")

        io_utils.write_atomically(str(path), write)
        assert path.read_text() == "new"
        # Beside the destination, with its extension (Keras needs .keras).
        assert os.path.dirname(seen[0]) == str(tmp_path)
        assert seen[0].endswith(".keras")
        umask = os.umask(0)
        os.umask(umask)
        assert os.stat(path).st_mode & 0o777 == 0o666 & ~umask
        assert os.listdir(tmp_path) == ["model.keras"]


def test_format_results():
    record = {
        "label": "BPR", "dataset": "synthetic", "seed": 2, "epochs": 5,
        "best_epoch": 3, "train_seconds": 12.34,
        "val": {"recall@10": 0.5, "mrr@10": 0.25, "users": 20},
        "test": {"recall@10": 0.125, "mrr@10": 0.0625, "users": 19},
    }
    assert runs.format_results(record).splitlines() == [
        "BPR on synthetic, seed 2: 5 epochs (best 3), 12.3 s training",
        "        recall@10     mrr@10  users",
        "val        0.5000     0.2500     20",
        "test       0.1250     0.0625     19",
    ]


def test_imports_no_tensorflow_until_used():
    import subprocess
    import sys

    code = (
        "import sys; sys.argv[0] = 'rnr-keras'; "  # no zoo import at start
        "from rnr_keras import runs; "
        "runs.make_split('synthetic', dataset_args={'num_users': 30}); "
        "print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "False"]
