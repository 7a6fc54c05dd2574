import json
import os

import keras
import numpy as np
import pytest

import rnr_keras
from rnr_keras import cli
from rnr_keras import protocol
from rnr_keras import registry
from rnr_keras import training
from rnr_keras import zoo
from rnr_keras.cli import train
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
        trains = registry.spec(name).trainable
        assert sorted(os.listdir(out)) == (
            ["curves.png", "metrics.json", "model.keras"] if trains
            else ["metrics.json", "model.keras"]
        )
        record = json.loads((out / "metrics.json").read_text())

        assert record["model"] == name
        assert record["label"] == registry.label(name)
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
        assert type(loaded) is registry.spec(name).model_class
        assert loaded.interaction_history is None  # data is not model state
        loaded.adapt(split.train)
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

    def test_record_says_what_the_defaults_meant(self, tmp_path, capsys):
        out = tmp_path / "run"
        assert _train("bpr", out, "--epochs", "1") == 0
        record = json.loads((out / "metrics.json").read_text())
        assert record["training"] == {
            "max_epochs": 1,
            "patience": 30,
            "batch_size": None,
            "optimizer": "default",
            "learning_rate": pytest.approx(0.002),
        }
        assert record["hyperparameters"] == {"embedding_dim": 50, "l2": 0.001}

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

        # The synthetic split is re-created from metadata's dataset_args.
        loaded = zoo.load(preset)
        assert loaded.interaction_history is not None
        split = zoo.recorded_split(preset)
        run = keras.saving.load_model(str(out / "model.keras"))
        run.adapt(split.train)
        users = np.arange(run.num_users)
        np.testing.assert_array_equal(loaded.score(users), run.score(users))
        np.testing.assert_array_equal(
            loaded.recommend(users)[0], run.recommend(users)[0]
        )
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
        # argparse may wrap a name at its hyphens: compare without spaces.
        text = "".join(capsys.readouterr().out.split())
        assert f"Oneof:{','.join(registry.model_names())}." in text

    def test_help_states_the_default_learning_rates(self, capsys):
        with pytest.raises(SystemExit):
            cli.main(["train", "--help"])
        text = " ".join(capsys.readouterr().out.split())
        assert (
            "Adam at the model's own rate, its ranker's `default_learning_rate` "
            "(0.002 for BPR and WRMF and their multi-task models, 0.001 for "
            "SASRec, 0.005 otherwise)"
        ) in text


class TestStatedDefaults:
    """The help texts state defaults that live in the models."""

    @pytest.mark.parametrize(
        "name, rate, patience",
        [
            ("bpr", 0.002, 30),
            ("rnr-bpr-svd", 0.002, 30),
            ("cdae", 0.005, 10),
            ("svd", 0.005, 10),
            ("rnr-cdae-svd", 0.005, 10),
            ("wrmf", 0.002, 20),
            ("sasrec", 0.001, 10),
        ],
    )
    def test_learning_rate_and_patience(self, name, rate, patience):
        model = registry.build_model(name, 3, 4)
        assert model.default_learning_rate == rate
        assert model.default_patience == patience

    def test_every_trained_model_has_a_rate_the_help_states(self):
        # The help's rule: 0.002 with a BPR or WRMF ranker, 0.001 with
        # SASRec, 0.005 otherwise.
        for name in registry.model_names():
            spec = registry.spec(name)
            if not spec.trainable:
                continue
            model = registry.build_model(name, 3, 4)
            ranker = spec.ranker or ""
            expected = (
                0.002 if ranker in ("bpr", "wrmf")
                else 0.001 if ranker == "sasrec"
                else 0.005
            )
            assert model.default_learning_rate == expected, name


def test_build_refuses_an_option_the_model_does_not_take():
    split = _tiny_split(150, 0)
    model = train.build("rnr-bpr-svd", split, {"alpha": 0.5, "l2": 0.01})
    assert (model.alpha, model.l2) == (0.5, 0.01)
    with pytest.raises(ValueError, match="`alpha` does not apply to 'svd'"):
        train.build("svd", split, {"alpha": 0.5})
