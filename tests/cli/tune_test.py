import argparse
import json
import os

import keras
import pytest

from rnr_keras import registry
from rnr_keras.cli import tune
from rnr_keras.models import Popularity
from rnr_keras.tuning import TUNERS

TINY = ["--dataset-arg", "num_users=120", "--dataset-arg", "num_items=60"]


def _parse(argv):
    """Parses with a fresh parser holding only `tune`."""
    parser = argparse.ArgumentParser(prog="rnr-keras")
    commands = parser.add_subparsers(dest="command", required=True)
    tune.add_parser(commands)
    return parser.parse_args(argv)


class TestParser:
    def test_defaults(self):
        args = _parse(["tune", "rnr-bpr-svd"])
        assert args.func is tune.run
        assert (args.model, args.dataset, args.tuner, args.space) == (
            "rnr-bpr-svd", "synthetic", "grid", "paper",
        )
        assert (args.max_trials, args.dir, args.n_users) == (None, None, None)
        assert (args.seed, args.epochs, args.patience) == (0, 100, None)
        assert not args.quiet and not args.overwrite

    def test_every_option(self):
        args = _parse(
            [
                "tune", "cdae", "--dataset", "ml-100k", "--tuner", "random",
                "--max-trials", "7", "--dir", "out", "--space", "wide",
                "--seed", "3", "--n-users", "500", "--epochs", "20",
                "--patience", "4", "--batch-size", "64", "--optimizer",
                "paper", "--quiet", "--overwrite",
            ]
        )
        assert (args.dataset, args.tuner, args.max_trials, args.dir) == (
            "ml-100k", "random", 7, "out",
        )
        assert (args.space, args.seed, args.n_users, args.epochs) == (
            "wide", 3, 500, 20,
        )
        assert (args.patience, args.batch_size, args.optimizer) == (
            4, 64, "paper",
        )
        assert args.quiet and args.overwrite

    @pytest.mark.parametrize(
        "argv",
        [
            ["tune"],
            ["tune", "nope"],
            ["tune", "bpr", "--tuner", "sgd"],
            ["tune", "bpr", "--space", "huge"],
            ["tune", "bpr", "--dataset", "netflix"],
        ],
    )
    def test_usage_errors(self, argv, capsys):
        with pytest.raises(SystemExit) as exit_info:
            _parse(argv)
        assert exit_info.value.code == 2

    def test_tuner_names_match_the_tuners(self):
        assert sorted(tune.TUNER_NAMES) == sorted(TUNERS)

    def test_space_names_match_the_registry(self):
        assert tune.SPACE_NAMES == registry.SPACES

    def test_any_composed_name_is_a_model(self):
        for ranker in registry.names("ranker"):
            for rater in registry.names("rater"):
                name = f"rnr-{ranker}-{rater}"
                assert _parse(["tune", name]).model == name

    @pytest.mark.parametrize(
        "extra, match",
        [
            (["--max-trials", "0"], "max_trials"),
            (["--epochs", "0"], "epochs"),
            (["--tuner", "hyperband", "--max-trials", "3"], "hyperband"),
            (["--dataset", "ml-100k", "--dataset-arg", "x=1"], "dataset-arg"),
        ],
    )
    def test_bad_values_raise_value_error(self, extra, match):
        args = _parse(["tune", "bpr", *extra])
        with pytest.raises(ValueError, match=match):
            args.func(args)


class TestRun:
    def test_popularity_end_to_end_and_resume(
        self, tmp_path, monkeypatch, capsys
    ):
        monkeypatch.chdir(tmp_path)
        args = _parse(["tune", "popularity", *TINY, "--quiet"])
        assert args.func(args) == 0
        out = tmp_path / "runs" / "tune-popularity-synthetic-seed0"
        assert sorted(os.listdir(out)) == [
            "model.keras", "results.json", "search-grid-paper", "tune.log",
        ]
        record = json.loads((out / "results.json").read_text())
        assert record["model"] == "popularity"
        assert record["label"] == registry.label("popularity")
        assert record["best_hyperparameters"] == {}
        assert len(record["trials"]) == 1
        assert record["trials"][0]["val_recall_at_10"] == pytest.approx(
            record["val"]["recall@10"]
        )
        assert record["dataset"] == "synthetic"
        assert record["dataset_args"] == {"num_users": 120, "num_items": 60}
        assert record["n_users"] == 120 and record["seed"] == 0
        assert record["protocol"]["n_users"] == 120
        assert record["hyperparameters"] == {}
        assert record["training"]["max_epochs"] == 100
        assert set(record["versions"]) == {
            "rnr_keras", "keras", "tensorflow", "keras_tuner",
        }
        model = keras.saving.load_model(out / "model.keras")
        assert isinstance(model, Popularity)
        printed = capsys.readouterr().out
        assert "1 trials (grid, paper space)" in printed
        assert "* trial " in printed  # the best is marked
        assert "Popularity on synthetic, seed 0" in printed
        saved = os.path.join("runs", "tune-popularity-synthetic-seed0")
        assert f"Saved {os.path.join(saved, 'model.keras')}" in printed

        # Run again: the finished search is reloaded, no trial runs again.
        (trial_file,) = (out / "search-grid-paper").glob("trial_*/trial.json")
        before = trial_file.stat().st_mtime_ns
        assert args.func(args) == 0
        assert trial_file.stat().st_mtime_ns == before
        again = json.loads((out / "results.json").read_text())
        assert again["trials"] == record["trials"]


def test_format_trials_marks_the_best():
    record = {
        "tuner": "grid",
        "space": "paper",
        "best_trial": "01",
        "trials": [
            {"trial_id": "00", "hyperparameters": {"l2": 0.01},
             "val_recall_at_10": 0.1},
            {"trial_id": "01", "hyperparameters": {"l2": 0.001},
             "val_recall_at_10": 0.25},
            {"trial_id": "02", "hyperparameters": {},
             "val_recall_at_10": None},
        ],
    }
    assert tune.format_trials(record).splitlines() == [
        "3 trials (grid, paper space); * best",
        "  trial 00  val_recall_at_10 0.1000  l2=0.01",
        "* trial 01  val_recall_at_10 0.2500  l2=0.001",
        "  trial 02  val_recall_at_10    n/a  (no hyperparameters)",
    ]
