import json
import os

import keras
import numpy as np
import pytest

import rnr_keras
from rnr_keras import cli
from rnr_keras import io_utils
from rnr_keras import protocol
from rnr_keras import training
from rnr_keras import zoo
from rnr_keras.datasets import load

# A tiny synthetic dataset and two epochs keep every run to seconds.
TINY = {"num_users": 150, "num_items": 80}
TINY_ARGS = [
    "--dataset-arg",
    "num_users=150",
    "--dataset-arg",
    "num_items=80",
    "--epochs",
    "2",
]


@pytest.fixture(autouse=True)
def _private_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("RNR_CACHE_DIR", str(tmp_path / "cache"))


def _train(model, out, *extra, quiet=True):
    argv = ["train", model, *TINY_ARGS, "--out", str(out), *extra]
    if quiet:
        argv.append("--quiet")
    return cli.main(argv)


def _tiny_split(n_users, seed):
    data = load("synthetic", **TINY)
    return protocol.all_but_last_one(data, n_users=n_users, seed=seed)


class TestTrain:
    @pytest.mark.parametrize("name", ["bpr", "rnr-cdae-svd", "popularity"])
    def test_saved_model_reproduces_recorded_metrics(
        self, name, tmp_path, capsys
    ):
        out = tmp_path / "run"
        assert _train(name, out) == 0
        printed = capsys.readouterr().out
        assert sorted(os.listdir(out)) == ["metrics.json", "model.keras"]
        record = json.loads((out / "metrics.json").read_text())

        assert record["model"] == name
        assert record["label"] == training.LABELS[name]
        assert record["dataset"] == "synthetic"
        assert record["dataset_args"] == TINY
        assert record["seed"] == 0
        assert record["protocol"]["n_users"] == record["n_users"]
        assert record["train_seconds"] > 0
        assert record["versions"] == {
            "rnr_keras": rnr_keras.__version__,
            "keras": keras.__version__,
            "tensorflow": record["versions"]["tensorflow"],
        }
        if name == "popularity":
            assert record["epochs"] == 0
        else:
            assert record["epochs"] == 2
            assert record["best_epoch"] in (1, 2)
        # Rating metrics exactly for models with a rater.
        assert ("rmse" in record["test"]) == (name == "rnr-cdae-svd")
        for part in ("val", "test"):
            line = f"{part:6}" + "".join(
                f"  {record[part][key]:>9.4f}"
                for key in ("recall@10", "mrr@10", "ndcg@10")
            )
            assert line in printed
        assert f"Saved {out / 'model.keras'}" in printed

        # The saved model on the re-created split gives the same numbers.
        split = _tiny_split(record["n_users"], record["seed"])
        assert split.params == record["protocol"]
        loaded = keras.saving.load_model(str(out / "model.keras"))
        assert type(loaded) is training.MODELS[name][0]
        assert training.evaluate_model(loaded, split) == {
            "val": record["val"],
            "test": record["test"],
        }

    def test_default_n_users_and_out_folder(
        self, tmp_path, monkeypatch, capsys
    ):
        monkeypatch.chdir(tmp_path)
        argv = ["train", "popularity", *TINY_ARGS, "--seed", "3"]
        assert cli.main(argv) == 0
        out = tmp_path / "runs" / "popularity-synthetic-seed3"
        record = json.loads((out / "metrics.json").read_text())
        users = load("synthetic", **TINY).num_users
        # Synthetic holds out a row of every user; the seed picks the split.
        assert record["n_users"] == users
        assert record["protocol"]["seed"] == 3
        assert record["val"]["users"] + record["test"]["users"] == users

    def test_n_users_is_capped_at_the_number_of_users(self, tmp_path, capsys):
        out = tmp_path / "run"
        assert _train("popularity", out, "--n-users", "100000") == 0
        record = json.loads((out / "metrics.json").read_text())
        assert record["n_users"] == load("synthetic", **TINY).num_users

    def test_seed_makes_runs_repeatable_and_progress_is_shown(
        self, tmp_path, capsys
    ):
        assert _train("bpr", tmp_path / "a", "--epochs", "1") == 0
        quiet = capsys.readouterr().out
        extra = ("--epochs", "1")
        assert _train("bpr", tmp_path / "b", *extra, quiet=False) == 0
        loud = capsys.readouterr().out
        # Keras's progress bar (it prints no "Epoch 1/1" header for 1 epoch).
        assert "loss:" in loud and "val_recall_at_10" in loud
        assert "loss:" not in quiet and "val_recall_at_10" not in quiet
        a, b = (
            json.loads((tmp_path / run / "metrics.json").read_text())
            for run in ("a", "b")
        )
        assert a["val"] == b["val"] and a["test"] == b["test"]
        assert a["history"] == b["history"]

    def test_hyperparameters_reach_the_model(self, tmp_path, capsys):
        out = tmp_path / "run"
        argv = ["--alpha", "0.8", "--l2", "0.01", "--embedding-dim", "8"]
        assert _train("vanilla-bpr-svd", out, *argv, "--epochs", "1") == 0
        record = json.loads((out / "metrics.json").read_text())
        hyperparameters = record["hyperparameters"]
        assert hyperparameters["alpha"] == 0.8
        assert hyperparameters["l2"] == 0.01
        assert hyperparameters["embedding_dim"] == 8
        assert hyperparameters["ranker"]["class_name"] == "BPRRanker"
        assert hyperparameters["rater"]["class_name"] == "SVDRater"
        assert "num_users" not in hyperparameters
        loaded = keras.saving.load_model(str(out / "model.keras"))
        assert (loaded.alpha, loaded.l2, loaded.embedding_dim) == (0.8, 0.01, 8)


class TestSavePreset:
    @pytest.mark.parametrize("name", ["rnr-cdae-svd", "svd"])
    def test_preset_scores_like_the_run_once_its_history_is_rebuilt(
        self, name, tmp_path, capsys, monkeypatch
    ):
        monkeypatch.delenv("RNR_DATA_DIR", raising=False)
        out, preset = tmp_path / "run", tmp_path / "preset"
        assert _train(name, out, "--save-preset", str(preset)) == 0
        assert f"Saved preset {preset}" in capsys.readouterr().out
        record = json.loads((out / "metrics.json").read_text())
        metadata = zoo.metadata(preset)
        assert metadata["dataset"] == "synthetic"
        assert metadata["dataset_args"] == TINY
        assert metadata["protocol"] == record["protocol"]
        assert metadata["hyperparameters"] == record["hyperparameters"]
        assert metadata["metrics"] == {"val": record["val"], "test": record["test"]}
        assert metadata["interaction_history"]["shipped"] is False

        run = keras.saving.load_model(str(out / "model.keras"))
        # The synthetic split is re-created from metadata's dataset_args.
        loaded = zoo.load(preset)
        assert loaded.interaction_history is not None
        users = np.arange(run.num_users)
        np.testing.assert_array_equal(loaded.score(users), run.score(users))
        np.testing.assert_array_equal(
            loaded.recommend(users)[0], run.recommend(users)[0]
        )
        split = zoo.recorded_split(preset)
        assert training.evaluate_model(loaded, split) == {
            "val": record["val"],
            "test": record["test"],
        }

    def test_a_taken_folder_fails_before_training(self, tmp_path, capsys):
        preset = tmp_path / "preset"
        preset.mkdir()
        (preset / "notes.txt").write_text("mine")
        out = tmp_path / "run"
        status = _train("bpr", out, "--save-preset", str(preset))
        captured = capsys.readouterr()
        assert status == 2
        assert captured.err == (
            f"rnr-keras: error: --save-preset {preset}: the folder exists and "
            "is not empty; choose a new folder or remove it\n"
        )
        assert "Training" not in captured.out
        assert not out.exists()
        assert os.listdir(preset) == ["notes.txt"]


class TestTrainErrors:
    def _error(self, capsys, argv):
        status = cli.main(["train", *argv])
        captured = capsys.readouterr()
        assert status == 2
        assert captured.err.startswith("rnr-keras: error: ")
        assert captured.err.count("\n") == 1
        return captured.err

    def test_alpha_out_of_range(self, tmp_path, capsys):
        out = tmp_path / "run"
        err = self._error(
            capsys,
            ["rnr-bpr-svd", *TINY_ARGS, "--alpha", "1.5", "--out", str(out)],
        )
        assert "`alpha` must be in [0, 1]. Received: alpha=1.5" in err
        assert not out.exists()

    @pytest.mark.parametrize(
        "name, option", [("bpr", "alpha"), ("popularity", "l2")]
    )
    def test_option_the_model_does_not_take(
        self, name, option, tmp_path, capsys
    ):
        # BPR would silently drop `alpha`; the command must not.
        err = self._error(
            capsys,
            [name, *TINY_ARGS, f"--{option}", "0.5", "--out", str(tmp_path)],
        )
        assert f"`{option}` does not apply to {name!r}" in err

    def test_zero_n_users(self, tmp_path, capsys):
        out = tmp_path / "run"
        err = self._error(
            capsys, ["bpr", *TINY_ARGS, "--n-users", "0", "--out", str(out)]
        )
        assert "n_users" in err and "n_users=0" in err
        assert not out.exists()

    @pytest.mark.parametrize(
        "argv, words",
        [
            (["--epochs", "0"], "epochs=0"),
            (["--batch-size", "0"], "batch_size=0"),
            (["--dataset-arg", "num_users"], "KEY=VALUE"),
            (["--dataset-arg", "users=3"], "Unknown --dataset-arg users"),
            (["--dataset-arg", "num_users=x"], "num_users='x'"),
            (["--dataset", "ml-100k", "--dataset-arg", "seed=1"], "ml-100k"),
        ],
    )
    def test_bad_settings(self, argv, words, tmp_path, capsys):
        err = self._error(capsys, ["bpr", *argv, "--out", str(tmp_path)])
        assert words in err

    def test_unknown_model_is_a_usage_error(self, capsys):
        with pytest.raises(SystemExit) as info:
            cli.main(["train", "als"])
        assert info.value.code == 2
        err = capsys.readouterr().err
        assert "usage: rnr-keras train" in err
        assert "invalid choice: 'als'" in err and "rnr-cdae-svd" in err

    def test_help_lists_every_model(self, capsys):
        with pytest.raises(SystemExit) as info:
            cli.main(["train", "--help"])
        assert info.value.code == 0
        text = " ".join(capsys.readouterr().out.split())
        assert f"One of: {', '.join(training.MODELS)}." in text


class TestWriteAtomically:
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


def test_model_names_come_from_training():
    assert list(cli._ModelNames()) == list(training.MODELS)
    assert "rnr-bpr-svd" in cli._ModelNames()
    assert "als" not in cli._ModelNames()
