"""`rnr-keras reproduce` with `rnr_keras.reproduce.reproduce` stubbed: what
the options become. The real (tiny) run is in tests/reproduce_test.py."""

import logging
import os

import pytest

from rnr_keras import cli
from rnr_keras import registry
from rnr_keras import reproduce

RESULTS = {
    "rows": [],
    "comparisons": [],
    "wall_seconds": 1.0,
}


@pytest.fixture
def calls(monkeypatch):
    seen = []

    def fake(**kwargs):
        seen.append(kwargs)
        # What the real one does: a line for a person, a bar over the
        # trials, a line for the log only.
        kwargs["log"]("[seed 0] BPR: a finished row")
        bar = kwargs["progress"] and kwargs["progress"](2)
        logging.getLogger("rnr_keras.reproduce").info("a trial, for the log")
        if bar:
            bar.advance(score=0.25, label="BPR")
        return RESULTS

    monkeypatch.setattr(reproduce, "reproduce", fake)
    monkeypatch.setattr(reproduce, "terminal_table", lambda results: "TABLE")
    return seen


def test_defaults(calls, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["reproduce", "--quiet"]) == 0
    (kwargs,) = calls
    assert {
        k: v for k, v in kwargs.items() if k not in ("log", "progress")
    } == {
        "dataset": "synthetic",
        "n_users": None,
        "seeds": [0],
        "out": os.path.join("runs", "reproduce-synthetic"),
        "models": None,
        "space": "paper",
        "epochs": 100,
        "patience": None,
        "data_dir": None,
        "dataset_args": {},
        "verbose": 0,
    }
    out = capsys.readouterr().out
    assert out.startswith("TABLE\nWall time 1 s.")


def test_options_reach_reproduce(calls, capsys, tmp_path):
    argv = [
        "reproduce", "--models", "popularity", "rnr-bpr-svd", "--seeds", "3",
        "4", "--n-users", "50", "--dataset-arg", "num_users=60", "--epochs",
        "7", "--patience", "2", "--space", "wide", "--out", str(tmp_path),
    ]
    assert cli.main(argv) == 0
    (kwargs,) = calls
    assert kwargs["models"] == ["popularity", "rnr-bpr-svd"]
    assert kwargs["seeds"] == [3, 4] and kwargs["n_users"] == 50
    assert kwargs["dataset_args"] == {"num_users": 60}
    assert (kwargs["epochs"], kwargs["patience"]) == (7, 2)
    assert kwargs["space"] == "wide" and kwargs["out"] == str(tmp_path)
    # Keras prints nothing: the terminal gets the lines (the bar is drawn
    # only on a terminal), the log file gets everything.
    assert kwargs["verbose"] == 0 and callable(kwargs["progress"])
    captured = capsys.readouterr()
    assert "[seed 0] BPR: a finished row" in captured.err
    assert "a trial, for the log" not in captured.err + captured.out
    log = (tmp_path / "reproduce.log").read_text()
    assert "[seed 0] BPR: a finished row" in log
    assert "a trial, for the log" in log


def test_quiet_prints_only_the_table_and_still_logs(calls, capsys, tmp_path):
    assert cli.main(["reproduce", "--quiet", "--out", str(tmp_path)]) == 0
    assert calls[0]["progress"] is None
    captured = capsys.readouterr()
    assert captured.err == ""
    assert captured.out.startswith("TABLE\n")
    assert "a trial, for the log" in (tmp_path / "reproduce.log").read_text()


def test_verbose_prints_every_log_line_and_no_bar(calls, capsys, tmp_path):
    assert cli.main(["reproduce", "--verbose", "--out", str(tmp_path)]) == 0
    assert calls[0]["progress"] is None
    err = capsys.readouterr().err
    assert "a trial, for the log" in err
    assert err.count("[seed 0] BPR: a finished row") == 1
    assert "trials" not in err  # no bar


def test_log_handlers_are_removed_after_the_command(calls, tmp_path):
    before = list(logging.getLogger("rnr_keras").handlers)
    assert cli.main(["reproduce", "--quiet", "--out", str(tmp_path)]) == 0
    assert logging.getLogger("rnr_keras").handlers == before


@pytest.mark.parametrize(
    "extra, expected",
    [([], (15, 3)), (["--epochs", "5"], (5, 3)), (["--patience", "1"], (15, 1))],
)
def test_quick_caps_epochs_and_patience(calls, extra, expected, tmp_path):
    argv = ["reproduce", "--quick", "--seeds", "5", "6", "--quiet",
            "--out", str(tmp_path), *extra]
    assert cli.main(argv) == 0
    (kwargs,) = calls
    assert kwargs["seeds"] == list(reproduce.QUICK["seeds"])
    assert (kwargs["epochs"], kwargs["patience"]) == expected


@pytest.mark.parametrize(
    "argv, words",
    [
        (["--epochs", "0"], "`epochs` must be at least 1"),
        (["--patience", "-1"], "`patience` must be at least 0"),
        (["--dataset-arg", "users=3"], "Unknown --dataset-arg users"),
    ],
)
def test_bad_values_exit_2_before_any_work(calls, capsys, argv, words):
    assert cli.main(["reproduce", *argv, "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("rnr-keras: error: ") and words in err
    assert calls == []


def test_models_are_any_registry_name(calls, capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["reproduce", "--models", "als"])
    assert info.value.code == 2
    assert "invalid choice: 'als'" in capsys.readouterr().err
    names = [f"vanilla-{registry.names('ranker')[-1]}-{registry.names('rater')[-1]}"]
    assert cli.main(["reproduce", "--models", *names, "--quiet"]) == 0
    assert calls[0]["models"] == names
