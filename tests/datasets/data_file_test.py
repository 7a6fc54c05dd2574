import gzip
import sys

import numpy as np
import pandas as pd
import pytest

from rnr_keras import datasets
from rnr_keras.datasets import from_frame
from rnr_keras.datasets import read_file
from rnr_keras.datasets.frame import RowError

# String ids that must stay strings ("007" is not 7), three users with four
# interactions each (the default min_interactions keeps them all).
FRAME = pd.DataFrame(
    {
        "userId": ["007"] * 4 + ["u2"] * 4 + ["8"] * 4,
        "movieId": ["m1", "m2", "m3", "m4"] * 3,
        "stars": [4.0, 5.0, 3.0, 1.0, 2.0, 3.5, 4.0, 5.0, 1.0, 2.0, 3.0, 4.0],
        "when": [100 + i for i in range(12)],
    }
)
COLUMNS = {"user": "userId", "item": "movieId", "rating": "stars", "timestamp": "when"}


def _same(a, b):
    for field in ("users", "items", "ratings", "timestamps", "user_ids", "item_ids"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    assert (a.num_users, a.num_items, a.name) == (b.num_users, b.num_items, b.name)


def _write(path, text):
    path.write_text(text)
    return str(path)


def _error(path, **kwargs):
    with pytest.raises(ValueError) as info:
        read_file(path, **kwargs)
    return str(info.value)


class TestRoundTrip:
    @pytest.mark.parametrize(
        "name", ["ratings.csv", "ratings.tsv", "ratings.tab", "ratings.csv.gz",
                 "ratings.TSV.gz", "ratings.parquet", "ratings.pq"]
    )
    def test_same_interactions_as_from_frame(self, tmp_path, name):
        path = tmp_path / name
        if ".parquet" in name or name.endswith(".pq"):
            FRAME.to_parquet(path)
        else:
            sep = "\t" if ".tsv" in name.lower() or ".tab" in name else ","
            FRAME.to_csv(path, sep=sep, index=False)
        data = read_file(path, columns=COLUMNS)
        expected = from_frame(
            FRAME, "userId", "movieId", "stars", "when", name=name
        )
        _same(data, expected)
        assert data.user_ids.tolist() == ["007", "8", "u2"]

    def test_integer_ids_become_integers_as_in_movielens(self, tmp_path):
        path = _write(
            tmp_path / "ml.csv",
            "user,item,rating,timestamp\n"
            + "".join(f"{u},{i},{(u + i) % 5 + 1},{10 * u + i}\n"
                      for u in (2, 10) for i in (1, 3, 20, 100)),
        )
        data = read_file(path)
        assert data.user_ids.dtype.kind == "i" and data.user_ids.tolist() == [2, 10]
        assert data.item_ids.tolist() == [1, 3, 20, 100]  # numeric order
        frame = pd.read_csv(path)
        _same(data, from_frame(frame, name="ml.csv"))

    def test_leading_zeros_keep_the_column_text(self, tmp_path):
        path = _write(
            tmp_path / "r.csv",
            "user,item\n1,007\n1,7\n1, 8 \n2,7\n",
        )
        data = read_file(path, min_interactions=1)
        assert data.user_ids.tolist() == [1, 2]
        assert data.item_ids.tolist() == ["007", "7", "8"]  # stripped, text

    def test_parquet_keeps_stored_types(self, tmp_path):
        frame = FRAME.assign(movieId=[1, 2, 3, 4] * 3)
        frame.to_parquet(tmp_path / "r.parquet")
        data = read_file(tmp_path / "r.parquet", columns=COLUMNS)
        assert data.item_ids.tolist() == [1, 2, 3, 4]
        assert data.user_ids.tolist() == ["007", "8", "u2"]

    def test_roles_default_to_their_own_names_and_are_optional(self, tmp_path):
        path = _write(tmp_path / "r.csv", "item,user,rating\nb,x,2\na,x,4\nb,y,5\n")
        data = read_file(path, min_interactions=1)
        assert data.ratings.tolist() == [2.0, 4.0, 5.0]
        # No timestamp column: the row order is the time order.
        assert data.timestamps.tolist() == [0, 1, 2]
        implicit = read_file(path, columns={"rating": None}, min_interactions=1)
        assert implicit.ratings.tolist() == [1.0, 1.0, 1.0]

    def test_implicit_feedback_without_a_rating_column(self, tmp_path):
        path = _write(tmp_path / "r.tsv", "user\titem\n1\t2\n1\t3\n")
        data = read_file(path, min_interactions=1)
        assert data.ratings.tolist() == [1.0, 1.0] and data.num_items == 2

    def test_date_strings_and_blank_lines(self, tmp_path):
        path = _write(
            tmp_path / "r.csv",
            "user,item,timestamp\n1,2,2020-01-01\n\n1,3,2020-01-02 00:00:10\n",
        )
        data = read_file(path, min_interactions=1)
        assert data.timestamps.tolist() == [1577836800, 1577923210]

    def test_time_resolution_and_name(self, tmp_path):
        path = _write(
            tmp_path / "r.csv", "user,item,timestamp\n1,2,90000\n1,3,90001\n"
        )
        data = read_file(path, min_interactions=1, time_resolution="day", name="mine")
        assert data.timestamps.tolist() == [86400, 86400] and data.name == "mine"

    def test_exported(self):
        assert datasets.read_file is read_file and "read_file" in datasets.__all__


class TestErrors:
    def test_missing_file(self, tmp_path):
        path = str(tmp_path / "nope.csv")
        with pytest.raises(FileNotFoundError, match=f"Data file {path} does not exist"):
            read_file(path)

    def test_folder(self, tmp_path):
        folder = tmp_path / "ratings.csv"
        folder.mkdir()
        with pytest.raises(IsADirectoryError, match="is not a file"):
            read_file(folder)

    def test_unknown_ending(self, tmp_path):
        path = _write(tmp_path / "ratings.json", "{}")
        message = _error(path)
        assert path in message and "unknown ending" in message
        assert ".csv, .tsv, .tab, .parquet, .pq" in message

    @pytest.mark.parametrize(
        "text, words",
        [("", "needs a header line"), ("user,item\n", "has a header but no rows"),
         ("user,item\n\n\n", "has a header but no rows")],
    )
    def test_empty_file(self, tmp_path, text, words):
        path = _write(tmp_path / "r.csv", text)
        message = _error(path)
        assert message.startswith(f"Data file {path} is empty") and words in message

    def test_empty_parquet(self, tmp_path):
        FRAME.iloc[:0].to_parquet(tmp_path / "r.parquet")
        message = _error(tmp_path / "r.parquet", columns=COLUMNS)
        assert "r.parquet is empty: it has no rows" in message

    def test_missing_column_lists_the_files_columns(self, tmp_path):
        path = _write(tmp_path / "r.csv", "userId,movieId\n1,2\n")
        message = _error(path, columns={"user": "userId", "item": "film"})
        assert path in message and "no column 'film' (given for item)" in message
        assert "['userId', 'movieId']" in message
        message = _error(path, columns={"user": "userId"})
        assert "no 'item' column" in message and "--columns item=COLUMN" in message
        assert "['userId', 'movieId']" in message

    def test_unknown_role(self, tmp_path):
        path = _write(tmp_path / "r.csv", "user,item\n1,2\n")
        message = _error(path, columns={"usr": "user"})
        assert "Unknown role 'usr'" in message and path in message
        assert "user, item, rating, timestamp" in message

    def test_one_column_for_two_roles(self, tmp_path):
        path = _write(tmp_path / "r.csv", "user,item\n1,2\n")
        assert "column of its own" in _error(path, columns={"item": "user"})

    def test_non_numeric_rating_gives_the_line_and_value(self, tmp_path):
        # Header line 1, data lines 2-4; the blank line 3 still counts.
        path = _write(tmp_path / "r.csv", "user,item,rating\n1,2,4\n\n1,3,five\n")
        assert _error(path) == (
            f"{path}, line 4: column 'rating' has a missing or non-numeric "
            "rating: 'five'"
        )

    def test_blank_rating(self, tmp_path):
        path = _write(tmp_path / "r.tsv", "user\titem\trating\n1\t2\t4\n1\t3\t\n")
        assert _error(path) == (
            f"{path}, line 3: column 'rating' has a missing or non-numeric "
            "rating: blank"
        )

    def test_rating_outside_the_scale(self, tmp_path):
        path = _write(tmp_path / "r.csv", "user,item,rating\n1,2,4\n1,3,7\n")
        assert _error(path, rating_scale=(1, 5)) == (
            f"{path}, line 3: column 'rating' has a rating outside "
            "rating_scale=(1, 5): 7"
        )

    @pytest.mark.parametrize(
        "times, value",
        [(["100", "101", "soon", "103"], "'soon'"),  # unix seconds, one bad
         (["2020-01-01", "2020-01-02", "someday", "2020-01-04"], "'someday'"),
         (["100", "101", "", "103"], "blank")],
    )
    def test_unparsable_time_gives_the_line_and_value(self, tmp_path, times, value):
        lines = "".join(f"1,{i},{t}\n" for i, t in enumerate(times))
        path = _write(tmp_path / "r.csv", "user,item,when\n" + lines)
        message = _error(path, columns={"timestamp": "when"})
        assert message == (
            f"{path}, line 4: column 'when' has a missing or unreadable time: "
            f"{value}"
        )

    def test_blank_id_gives_the_line(self, tmp_path):
        path = _write(tmp_path / "r.csv", "u,i\n1,2\n1,3\n  ,4\n")
        message = _error(path, columns={"user": "u", "item": "i"})
        assert message == f"{path}, line 4: column 'u' has a blank user id"
        path = _write(tmp_path / "s.csv", "u,i\n1,2\n1,\n")
        message = _error(path, columns={"user": "u", "item": "i"})
        assert message == f"{path}, line 3: column 'i' has a blank item id"

    def test_blank_id_column(self, tmp_path):
        path = _write(tmp_path / "r.csv", "user,item\n,1\n ,2\n")
        assert _error(path) == (
            f"Data file {path}: the user column 'user' is blank on every row"
        )

    def test_parquet_gives_the_row(self, tmp_path):
        frame = FRAME.copy()
        frame.loc[5, "stars"] = np.nan
        frame.index = range(100, 112)  # the stored index is not the row
        frame.to_parquet(tmp_path / "r.parquet")
        message = _error(tmp_path / "r.parquet", columns=COLUMNS)
        assert message == (
            f"{tmp_path / 'r.parquet'}, row 6: column 'stars' has a missing or "
            "non-numeric rating: blank"
        )

    def test_a_line_with_too_many_fields(self, tmp_path):
        path = _write(tmp_path / "r.csv", "user,item\n1,2\n1,3,4\n")
        message = _error(path)
        assert message.startswith(f"{path} cannot be read as CSV")
        assert "line 3" in message

    def test_not_gzip(self, tmp_path):
        path = _write(tmp_path / "r.csv.gz", "user,item\n1,2\n")
        assert _error(path).startswith(f"{path} cannot be read as CSV")

    def test_not_parquet(self, tmp_path):
        path = _write(tmp_path / "r.parquet", "user,item\n1,2\n")
        assert _error(path).startswith(f"{path} cannot be read as Parquet")

    def test_cleaning_errors_name_the_file(self, tmp_path):
        path = _write(tmp_path / "r.csv", "user,item\n1,2\n")
        message = _error(path)
        assert message.startswith(f"{path}: ") and "min_interactions=4" in message

    def test_parquet_without_pyarrow(self, tmp_path, monkeypatch):
        FRAME.to_parquet(tmp_path / "r.parquet")
        monkeypatch.setitem(sys.modules, "pyarrow", None)
        monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
        with pytest.raises(ImportError) as info:
            read_file(tmp_path / "r.parquet", columns=COLUMNS)
        # A ValueError too, so the command line prints it as one line.
        assert isinstance(info.value, ValueError)
        assert "needs pyarrow" in str(info.value) and "pip install" in str(info.value)
        assert str(tmp_path / "r.parquet") in str(info.value)

    def test_gzip_round_trip_of_a_bad_value(self, tmp_path):
        path = tmp_path / "r.csv.gz"
        with gzip.open(path, "wt") as file:
            file.write("user,item,rating\n1,2,x\n")
        assert _error(path) == (
            f"{path}, line 2: column 'rating' has a missing or non-numeric "
            "rating: 'x'"
        )


class TestRowError:
    """`from_frame`'s own errors keep their messages and say where."""

    def test_positions(self):
        df = pd.DataFrame({"user": [1, 1], "item": [2, 3], "rating": [4, "x"]})
        df.index = [7, 9]
        with pytest.raises(RowError) as info:
            from_frame(df, timestamp=None, min_interactions=1)
        err = info.value
        assert (err.column, err.position) == ("rating", 1)
        assert err.problem == "a missing or non-numeric rating"
        assert "row 1 (index label 9): 'x'" in str(err)
        assert isinstance(err, ValueError)
