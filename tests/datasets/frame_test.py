import numpy as np
import pandas as pd
import pytest

from rnr_keras.datasets import from_frame


def _frame(**overrides):
    columns = {
        "user": ["a", "a", "b", "b", "c"],
        "item": [10, 11, 10, 12, 11],
        "rating": [4, 5, 3, 2, 1],
        "timestamp": [100, 200, 300, 400, 500],
    }
    columns.update(overrides)
    return pd.DataFrame(columns)


class TestFromFrame:
    def test_basic(self):
        data = from_frame(_frame(), min_interactions=2, name="mine")
        assert data.name == "mine"
        assert data.user_ids.tolist() == ["a", "b"]
        assert data.item_ids.tolist() == [10, 11, 12]
        assert data.users.tolist() == [0, 0, 1, 1]
        assert data.items.tolist() == [0, 1, 0, 2]
        assert data.ratings.tolist() == [4.0, 5.0, 3.0, 2.0]
        assert data.timestamps.tolist() == [100, 200, 300, 400]

    def test_custom_column_names(self):
        df = _frame().rename(
            columns={"user": "u", "item": "i", "rating": "r", "timestamp": "t"}
        )
        data = from_frame(
            df,
            user="u",
            item="i",
            rating="r",
            timestamp="t",
            min_interactions=0,
        )
        assert len(data) == 5 and data.num_users == 3

    def test_duplicates_keep_latest(self):
        df = _frame(item=[10, 10, 10, 12, 11], timestamp=[200, 100, 1, 2, 3])
        data = from_frame(df, min_interactions=0)
        rows = data.to_frame(raw_ids=True)
        assert rows[rows.user == "a"].rating.tolist() == [4.0]

    def test_missing_column_lists_available(self):
        with pytest.raises(
            ValueError, match=r"rating='stars'.*\['user', 'item'"
        ):
            from_frame(_frame(), rating="stars")

    def test_non_numeric_rating_names_row(self):
        df = _frame(rating=[4, 5, "five", 2, 1])
        df.index = [7, 8, 9, 10, 11]
        with pytest.raises(
            ValueError, match=r"row 2 \(index label 9\): 'five'"
        ):
            from_frame(df)

    def test_nan_rating_names_row(self):
        with pytest.raises(ValueError, match=r"non-numeric rating at row 3"):
            from_frame(_frame(rating=[4, 5, 3, np.nan, 1]))

    def test_rating_outside_scale(self):
        with pytest.raises(
            ValueError, match=r"rating 7 at row 1 .*rating_scale=\(1, 5\)"
        ):
            from_frame(_frame(rating=[4, 7, 3, 2, 1]), rating_scale=(1, 5))

    def test_rating_scale_accepts_bounds(self):
        data = from_frame(_frame(), rating_scale=(1, 5), min_interactions=0)
        assert data.ratings.min() == 1 and data.ratings.max() == 5

    @pytest.mark.parametrize("scale", [(5, 1), (1,), "1-5", (1, "5")])
    def test_bad_rating_scale(self, scale):
        with pytest.raises(ValueError, match="`rating_scale` must be"):
            from_frame(_frame(), rating_scale=scale)

    def test_date_strings_become_unix_seconds(self):
        df = _frame(
            timestamp=[
                "1970-01-02",
                "2020-01-01 00:00:01",
                "2020-01-01T00:00:00Z",
                "2020-01-01 01:00:00+01:00",
                "1998-04-22 23:10:38",
            ]
        )
        data = from_frame(df, min_interactions=0)
        assert data.timestamps.tolist() == [
            86400,
            1577836801,
            1577836800,
            1577836800,
            893286638,
        ]

    def test_datetime_columns(self):
        naive = pd.to_datetime(["2020-01-01"] * 5).as_unit("s")
        data = from_frame(_frame(timestamp=naive), min_interactions=0)
        assert set(data.timestamps.tolist()) == {1577836800}
        aware = pd.to_datetime(["2020-01-01 02:00"] * 5).tz_localize(
            "Europe/Paris"
        )
        data = from_frame(_frame(timestamp=aware), min_interactions=0)
        assert set(data.timestamps.tolist()) == {1577840400}

    def test_float_seconds_are_floored(self):
        data = from_frame(
            _frame(timestamp=[1.9, 2.0, 3.5, 4.0, 5.1]), min_interactions=0
        )
        assert data.timestamps.tolist() == [1, 2, 3, 4, 5]

    def test_bad_date_names_row(self):
        df = _frame(timestamp=["2020-01-01"] * 3 + ["someday", "2020-01-01"])
        with pytest.raises(ValueError, match=r"time at row 3 .*'someday'"):
            from_frame(df)

    def test_missing_user_id_names_row(self):
        with pytest.raises(
            ValueError, match=r"'user' has a missing id at row 1"
        ):
            from_frame(_frame(user=["a", None, "b", "b", "c"]))

    def test_implicit_and_untimed(self):
        data = from_frame(
            _frame(), rating=None, timestamp=None, min_interactions=0
        )
        assert data.ratings.tolist() == [1.0] * 5
        assert data.timestamps.tolist() == [0, 1, 2, 3, 4]

    def test_not_a_frame(self):
        with pytest.raises(TypeError, match="`df` must be a pandas DataFrame"):
            from_frame({"user": [1]})

    def test_empty_after_filter(self):
        with pytest.raises(ValueError, match=r"'mine'.*min_interactions=3"):
            from_frame(_frame(), min_interactions=3, name="mine")
