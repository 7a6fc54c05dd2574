import argparse
import json
import os
import subprocess
import sys

import pytest

from rnr_keras import cli
from rnr_keras.cli import data

U_DATA = (
    "1\t10\t5\t86400\n"  # 1970-01-02 00:00:00 UTC
    "1\t11\t4\t90000\n"
    "2\t10\t4\t172800\n"
    "2\t12\t1\t259200\n"  # 1970-01-04 00:00:00 UTC
)


@pytest.fixture
def u_data_dir(tmp_path):
    folder = tmp_path / "ml"
    folder.mkdir()
    (folder / "u.data").write_text(U_DATA)
    return str(folder)


class TestDataInfo:
    def test_text_summary(self, u_data_dir, capsys):
        status = cli.main(
            [
                "data",
                "info",
                "ml-100k",
                "--data-dir",
                u_data_dir,
                "--min-interactions",
                "2",
            ]
        )
        out = capsys.readouterr().out
        assert status == 0
        assert "dataset           ml-100k" in out
        assert "users             2\n" in out
        assert "items             3\n" in out
        assert "ratings           4\n" in out
        assert "density           66.6667%" in out
        assert "1970-01-02 00:00:00 .. 1970-01-04 00:00:00" in out
        assert "      4  2   50.0%" in out
        assert "      5  1   25.0%" in out
        # User 1 rates twice on 1970-01-02 (different seconds), user 2 on
        # two days: no tie at second resolution, one user's at day.
        assert "timestamp ties    (users with 2+ interactions: 2)" in out
        assert "  second           0.0%       0.0%             1.00" in out
        assert "  day             50.0%      50.0%             1.50" in out

    def test_json_summary(self, u_data_dir, capsys):
        status = cli.main(
            [
                "data",
                "info",
                "ml-100k",
                "--data-dir",
                u_data_dir,
                "--min-interactions",
                "0",
                "--json",
            ]
        )
        info = json.loads(capsys.readouterr().out)
        assert status == 0
        assert info["users"] == 2 and info["items"] == 3
        assert info["ratings"] == 4
        assert info["rating_histogram"] == {"1": 1, "4": 2, "5": 1}
        assert info["first_date"] == "1970-01-02 00:00:00"
        assert info["last_timestamp"] == 259200
        assert info["min_interactions"] == 0
        assert info["order"] == {
            "users": 2,
            "second": {
                "last_two_tied": 0.0, "tied_rows": 0.0, "median_per_time": 1.0,
            },
            "day": {
                "last_two_tied": 0.5, "tied_rows": 0.5, "median_per_time": 1.5,
            },
        }

    def test_missing_data_is_one_line_and_status_2(self, tmp_path, capsys):
        status = cli.main(
            ["data", "info", "ml-100k", "--data-dir", str(tmp_path / "none")]
        )
        captured = capsys.readouterr()
        assert status == 2
        assert captured.out == ""
        err = captured.err
        assert err.startswith("rnr-keras: error: MovieLens ml-100k ratings")
        assert err.count("\n") == 1
        assert "Traceback" not in err

    def test_no_download_fails_instead_of_downloading(self, tmp_path, capsys):
        status = cli.main(
            [
                "data", "info", "ml-100k", "--no-download",
                "--data-dir", str(tmp_path / "none"),
            ]
        )
        assert status == 2
        assert capsys.readouterr().err.startswith("rnr-keras: error: ")

    def test_empty_after_filter_is_an_error(self, u_data_dir, capsys):
        status = cli.main(["data", "info", "ml-100k", "--data-dir", u_data_dir])
        assert status == 2
        assert "min_interactions=4" in capsys.readouterr().err

    def test_malformed_file_is_an_error(self, tmp_path, capsys):
        (tmp_path / "u.data").write_text("1\t2\t3\t4\nbroken\n")
        status = cli.main(
            ["data", "info", "ml-100k", "--data-dir", str(tmp_path)]
        )
        err = capsys.readouterr().err
        assert status == 2
        assert f"{tmp_path / 'u.data'}, line 2" in err

    def test_synthetic(self, capsys):
        assert cli.main(["data", "info", "synthetic", "--json"]) == 0
        info = json.loads(capsys.readouterr().out)
        assert info["name"] == "synthetic" and info["users"] == 1000

    @pytest.mark.parametrize(
        "argv",
        [
            [],
            ["data"],
            ["data", "info"],
            ["data", "info", "ml-10m"],
            ["data", "info", "ml-100k", "--min-interactions", "x"],
        ],
    )
    def test_usage_errors_exit_2(self, argv, capsys):
        with pytest.raises(SystemExit) as info:
            cli.main(argv)
        assert info.value.code == 2
        assert "usage: rnr-keras" in capsys.readouterr().err


class TestParser:
    def test_info_runs_through_run_info(self):
        parser = argparse.ArgumentParser(prog="rnr-keras")
        data.add_parser(parser.add_subparsers(dest="command", required=True))
        args = parser.parse_args(["data", "info", "ml-1m", "--json"])
        assert args.func is data.run_info
        assert (args.dataset, args.data_dir, args.min_interactions) == (
            "ml-1m", None, 4,
        )
        assert args.json and not args.no_download


def test_format_info_hand_made_summary():
    info = {
        "name": "toy", "min_interactions": 0, "users": 1234, "items": 5,
        "ratings": 4, "density": 0.5, "first_date": "a", "last_date": "b",
        "rating_histogram": {1: 1, 5: 3},
    }
    assert data.format_info(info).splitlines() == [
        "dataset           toy",
        "min interactions  0",
        "users             1,234",
        "items             5",
        "ratings           4",
        "density           50.0000%",
        "time span (UTC)   a .. b",
        "rating histogram",
        "      1  1   25.0%",
        "      5  3   75.0%",
    ]


def test_format_info_with_order_statistics():
    info = {
        "name": "toy", "min_interactions": 0, "users": 3, "items": 5,
        "ratings": 4, "density": 0.5, "first_date": "a", "last_date": "b",
        "rating_histogram": {5: 4},
        "order": {
            "users": 1234,
            "second": {
                "last_two_tied": 0.44, "tied_rows": 0.7577,
                "median_per_time": 2.0,
            },
            "day": None,
        },
    }
    assert data.format_info(info).splitlines()[-4:] == [
        "timestamp ties    (users with 2+ interactions: 1,234)",
        "  unit    last two tied  rows tied  median per time",
        "  second          44.0%      75.8%             2.00",
        "  day     -",
    ]


class TestRealData:
    def test_ml_100k_through_rnr_data_dir(
        self, real_data_dir, capsys, monkeypatch
    ):
        monkeypatch.setenv("RNR_DATA_DIR", real_data_dir)
        assert cli.main(["data", "info", "ml-100k"]) == 0
        out = capsys.readouterr().out
        assert "users             943\n" in out
        assert "items             1,682\n" in out
        assert "ratings           100,000\n" in out
        assert "1997-09-20 03:05:10 .. 1998-04-22 23:10:38" in out
        assert "  second          44.0%      75.8%             2.00" in out
        assert "  day             94.2%      99.6%            38.00" in out


class TestPlot:
    def test_writes_a_png_and_still_prints_the_summary(self, tmp_path, capsys):
        path = tmp_path / "shape.png"
        assert cli.main(["data", "info", "synthetic", "--plot", str(path)]) == 0
        assert path.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
        captured = capsys.readouterr()
        assert "users" in captured.out and f"Wrote {path}" in captured.err
        assert [p.name for p in tmp_path.iterdir()] == ["shape.png"]

    @pytest.mark.parametrize(
        "name, words", [("shape.jpg", "writes a PNG"), ("no/such/x.png", "does not exist")]
    )
    def test_bad_target_exits_2(self, tmp_path, capsys, name, words):
        path = tmp_path / name
        assert cli.main(["data", "info", "synthetic", "--plot", str(path)]) == 2
        assert words in capsys.readouterr().err
        assert not path.exists()

    def test_plot_needs_no_tensorflow(self, tmp_path):
        code = (
            "import sys; from rnr_keras import cli; "
            f"cli.main(['data', 'info', 'synthetic', '--plot', {str(tmp_path / 'a.png')!r}]); "
            "print('tensorflow' in sys.modules)"
        )
        env = {**os.environ}
        result = subprocess.run(
            [sys.executable, "-c", f"import sys; sys.argv = ['rnr-keras']; {code}"],
            capture_output=True, text=True, env=env, timeout=300,
        )
        assert result.returncode == 0, result.stderr[-2000:]
        assert result.stdout.strip().splitlines()[-1] == "False"
