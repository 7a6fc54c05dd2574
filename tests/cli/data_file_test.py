"""`--data-file` in every command, and `runs.make_split` / `run_record`
underneath it."""

import json
import os

import pytest

from rnr_keras import cli
from rnr_keras import datasets
from rnr_keras import runs

COLUMNS = "user=userId,item=movieId"


@pytest.fixture(scope="module")
def ratings(tmp_path_factory):
    """A small MovieLens-like CSV with text user ids, and its frame."""
    data = datasets.load("synthetic", num_users=60, num_items=40)
    frame = data.to_frame(raw_ids=True).rename(
        columns={"user": "userId", "item": "movieId"}
    )
    frame["userId"] = "u" + frame["userId"].astype(str)
    path = tmp_path_factory.mktemp("data") / "ratings.csv"
    frame.to_csv(path, index=False)
    return str(path), frame


@pytest.fixture
def bad_file(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        "userId,movieId,rating\n"
        + "".join(f"u1,{i},4\n" for i in range(5))
        + "u2,1,lots\n"
    )
    return str(path)


def _one_error_line(capsys, *words):
    err = capsys.readouterr().err
    assert err.startswith("rnr-keras: error: ") and err.count("\n") == 1, err
    for word in words:
        assert word in err
    return err


class TestTrain:
    def test_end_to_end_records_the_file(self, ratings, tmp_path, capsys):
        path, frame = ratings
        out = tmp_path / "run"
        argv = ["train", "bpr", "--data-file", path, "--columns", COLUMNS,
                "--epochs", "1", "--out", str(out), "--quiet"]
        assert cli.main(argv) == 0
        printed = capsys.readouterr().out
        assert sorted(os.listdir(out)) == [
            "curves.png", "metrics.json", "model.keras",
        ]
        assert f"Training BPR on {path} (60 users" in printed
        assert "BPR on ratings.csv, seed 0" in printed
        record = json.loads((out / "metrics.json").read_text())
        assert record["dataset"] is None
        assert record["data_file"] == os.path.abspath(path)
        assert record["columns"] == {"user": "userId", "item": "movieId"}
        assert record["dataset_args"] == {}
        # A file holds out a row of every user, as non-paper datasets do.
        assert record["n_users"] == frame["userId"].nunique() == 60
        # The record is enough to read the same split again.
        _, split = runs.make_split(
            data_file=record["data_file"], columns=record["columns"],
            dataset_args=record["dataset_args"], seed=record["seed"],
        )
        assert split.params == record["protocol"]

    def test_default_out_is_named_after_the_file(
        self, ratings, tmp_path, monkeypatch, capsys
    ):
        monkeypatch.chdir(tmp_path)
        argv = ["train", "popularity", "--data-file", ratings[0], "--columns",
                COLUMNS, "--dataset-arg", "min_interactions=1", "--quiet"]
        assert cli.main(argv) == 0
        record = json.loads(
            (tmp_path / "runs" / "popularity-ratings-seed0" / "metrics.json")
            .read_text()
        )
        assert record["dataset_args"] == {"min_interactions": 1}

    def test_a_bad_file_exits_2_and_leaves_no_out(self, bad_file, tmp_path, capsys):
        out = tmp_path / "run"
        argv = ["train", "bpr", "--data-file", bad_file, "--epochs", "1",
                "--out", str(out), "--columns", "user=userId,item=movieId"]
        assert cli.main(argv) == 2
        _one_error_line(capsys, bad_file, "line 7", "'lots'")
        assert not out.exists()

    def test_a_missing_file(self, tmp_path, capsys):
        out = tmp_path / "run"
        missing = str(tmp_path / "none.csv")
        argv = ["train", "bpr", "--data-file", missing, "--out", str(out)]
        assert cli.main(argv) == 2
        _one_error_line(capsys, missing, "does not exist")
        assert not out.exists()

    def test_dataset_and_data_file_exclude_each_other(self, ratings, capsys):
        argv = ["train", "bpr", "--dataset", "ml-100k", "--data-file", ratings[0]]
        with pytest.raises(SystemExit) as info:
            cli.main(argv)
        assert info.value.code == 2
        assert "not allowed with argument" in capsys.readouterr().err

    @pytest.mark.parametrize(
        "extra, words",
        [(["--columns", COLUMNS], ["--columns", "--data-file"]),
         (["--data-file", "r.csv", "--columns", "user"], ["ROLE=COLUMN"]),
         (["--data-file", "r.csv", "--columns", "user=a,user=b"], ["user twice"]),
         (["--data-file", "r.csv", "--dataset-arg", "num_users=3"],
          ["num_users", "--data-file", "min_interactions, rating_scale"]),
         (["--data-file", "r.csv", "--data-dir", "d"], ["data_dir"])],
    )
    def test_bad_options_exit_2(self, extra, words, tmp_path, monkeypatch, capsys):
        monkeypatch.chdir(tmp_path)
        (tmp_path / "r.csv").write_text("user,item\n1,2\n")
        assert cli.main(["train", "bpr", *extra]) == 2
        _one_error_line(capsys, *words)
        assert not (tmp_path / "runs").exists()


class TestTuneAndReproduce:
    def test_tune_a_bad_file_leaves_no_dir(self, bad_file, tmp_path, capsys):
        out = tmp_path / "search"
        argv = ["tune", "bpr", "--data-file", bad_file, "--columns", COLUMNS,
                "--dir", str(out), "--quiet"]
        assert cli.main(argv) == 2
        _one_error_line(capsys, bad_file, "line 7")
        assert not out.exists()

    def test_reproduce_a_bad_file_leaves_no_out(self, bad_file, tmp_path, capsys):
        out = tmp_path / "table"
        argv = ["reproduce", "--data-file", bad_file, "--columns", COLUMNS,
                "--models", "popularity", "--out", str(out), "--quiet"]
        assert cli.main(argv) == 2
        _one_error_line(capsys, bad_file, "line 7")
        assert not out.exists()

    def test_tune_records_the_file(self, ratings, tmp_path, capsys):
        out = tmp_path / "search"
        argv = ["tune", "popularity", "--data-file", ratings[0], "--columns",
                COLUMNS, "--dir", str(out), "--epochs", "1", "--quiet"]
        assert cli.main(argv) == 0
        record = json.loads((out / "results.json").read_text())
        assert record["dataset"] is None
        assert record["data_file"] == os.path.abspath(ratings[0])
        assert record["columns"] == {"user": "userId", "item": "movieId"}

    def test_reproduce_records_the_file(self, ratings, tmp_path, capsys):
        out = tmp_path / "table"
        argv = ["reproduce", "--data-file", ratings[0], "--columns", COLUMNS,
                "--models", "popularity", "--epochs", "1", "--out", str(out),
                "--quiet"]
        assert cli.main(argv) == 0
        results = json.loads((out / "results.json").read_text())
        assert results["dataset"] is None and results["n_users"] == 60
        assert results["data_file"] == os.path.abspath(ratings[0])
        assert results["columns"] == {"user": "userId", "item": "movieId"}


class TestDataInfo:
    def test_text(self, ratings, capsys):
        argv = ["data", "info", "--data-file", ratings[0], "--columns", COLUMNS]
        assert cli.main(argv) == 0
        out = capsys.readouterr().out
        assert "dataset           ratings.csv" in out
        assert "users             60\n" in out

    def test_json_and_min_interactions(self, tmp_path, capsys):
        path = tmp_path / "r.tsv"
        path.write_text("user\titem\n007\ta\n007\tb\n8\ta\n")
        argv = ["data", "info", "--data-file", str(path), "--json",
                "--min-interactions", "2"]
        assert cli.main(argv) == 0
        info = json.loads(capsys.readouterr().out)
        assert (info["users"], info["items"], info["ratings"]) == (1, 2, 2)
        assert info["rating_histogram"] == {"1": 2}  # implicit feedback

    def test_needs_a_dataset_or_a_file(self, capsys):
        with pytest.raises(SystemExit) as info:
            cli.main(["data", "info"])
        assert info.value.code == 2
        err = capsys.readouterr().err
        assert "one of the arguments DATASET --data-file is required" in err

    def test_not_both(self, ratings, capsys):
        with pytest.raises(SystemExit) as info:
            cli.main(["data", "info", "ml-100k", "--data-file", ratings[0]])
        assert info.value.code == 2

    def test_a_bad_file(self, bad_file, capsys):
        argv = ["data", "info", "--data-file", bad_file, "--columns", COLUMNS]
        assert cli.main(argv) == 2
        _one_error_line(capsys, bad_file, "line 7", "column 'rating'", "'lots'")


class TestMakeSplit:
    def test_same_as_read_file_then_split(self, ratings):
        path, _ = ratings
        columns = {"user": "userId", "item": "movieId"}
        data, split = runs.make_split(data_file=path, columns=columns, seed=2)
        expected = datasets.read_file(path, columns=columns)
        assert len(data) == len(expected) and data.name == "ratings.csv"
        again = runs.split_data(expected, None, seed=2)
        assert split.params == again.params
        assert split.params["n_users"] == data.num_users
        assert (split.test.users == again.test.users).all()

    def test_dataset_args_go_to_read_file(self, ratings):
        path, _ = ratings
        data, _ = runs.make_split(
            data_file=path, columns={"user": "userId", "item": "movieId"},
            dataset_args={"time_resolution": "day", "rating_scale": [1, 5]},
        )
        assert set((data.timestamps % 86400).tolist()) == {0}

    @pytest.mark.parametrize(
        "kwargs, words",
        [({}, "Give a `dataset` name or a `data_file`"),
         ({"dataset": "synthetic", "data_file": "r.csv"}, "not both"),
         ({"data_file": "r.csv", "data_dir": "d"}, "`data_dir`"),
         ({"dataset": "synthetic", "columns": {"user": "u"}}, "needs `data_file`")],
    )
    def test_bad_combinations(self, kwargs, words):
        with pytest.raises(ValueError, match=words):
            runs.make_split(**kwargs)

    def test_run_record_puts_the_file_after_dataset(self, ratings):
        from rnr_keras import registry
        from rnr_keras import training

        path, _ = ratings
        _, split = runs.make_split(data_file=path, columns={"user": "userId",
                                                           "item": "movieId"})
        model = registry.build_model("popularity", split.num_users, split.num_items)
        fit = training.fit_model(model, split, epochs=1, verbose=0)
        result = {**fit, **training.evaluate_model(model, split)}
        record = runs.run_record(
            "popularity", model, split, result, dataset=None,
            data_file=os.path.relpath(path), columns={"user": "userId"},
        )
        keys = list(record)
        assert keys[keys.index("dataset"):keys.index("dataset") + 4] == [
            "dataset", "data_file", "columns", "dataset_args",
        ]
        assert record["data_file"] == path  # absolute
        assert record["columns"] == {"user": "userId"}
        assert runs.format_results(record).startswith(
            "Popularity on ratings.csv, seed 0"
        )
        plain = runs.run_record("popularity", model, split, result, dataset="x")
        assert "data_file" not in plain and "columns" not in plain
