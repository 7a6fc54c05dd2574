"""Your own interactions, from a pandas DataFrame."""

import numbers

import numpy as np
import pandas as pd

from rnr_keras.datasets.cleaning import check_min_interactions
from rnr_keras.datasets.cleaning import clean

_EPOCH = pd.Timestamp(0, tz="UTC")


class RowError(ValueError):
    """`from_frame`'s error for a bad value in one row of the frame.

    The message names the row by position and index label. The attributes
    let a caller that knows where the rows came from name the row its own
    way (`rnr_keras.datasets.read_file` gives the file's line).

    Args:
        message: str. The error message.
        column: str. The frame's column holding the bad value.
        position: int. The row's position in the frame (0-based).
        problem: str. What is wrong, e.g. `"a missing id"`.

    Example:

    >>> import pandas as pd
    >>> df = pd.DataFrame({"user": ["a", None], "item": [1, 2]})
    >>> try:
    ...     from_frame(df, rating=None, timestamp=None)
    ... except RowError as err:
    ...     err.column, err.position, err.problem
    ('user', 1, 'a missing id')
    """

    def __init__(self, message, column, position, problem):
        super().__init__(message)
        self.column = column
        self.position = position
        self.problem = problem


def from_frame(
    df,
    user="user",
    item="item",
    rating="rating",
    timestamp="timestamp",
    rating_scale=None,
    min_interactions=4,
    name="",
):
    """Builds `Interactions` from a DataFrame of (user, item, rating, time).

    Raw user and item ids may be of any hashable type (ints, strings). Rows
    go through the same cleaning as the built-in datasets (see
    `rnr_keras.datasets.load`): duplicate (user, item) pairs keep their
    latest row, users with fewer than `min_interactions` rows are dropped,
    and indices follow ascending raw id.

    Args:
        df: `pandas.DataFrame`. One row per interaction.
        user: str. Column of raw user ids. Defaults to `"user"`.
        item: str. Column of raw item ids. Defaults to `"item"`.
        rating: str or `None`. Column of numeric ratings; `None` for implicit
            feedback (every rating is 1). Defaults to `"rating"`.
        timestamp: str or `None`. Column of times: integer (or float) unix
            seconds, datetimes, or date strings; naive datetimes and strings
            are read as UTC. `None` uses the row order as time. Defaults to
            `"timestamp"`.
        rating_scale: tuple `(low, high)` or `None`. Inclusive range every
            rating must fall in. Defaults to `None` (no check).
        min_interactions: int. Fewest interactions a user needs to be kept;
            0 or 1 keeps everyone. Defaults to 4.
        name: str. Dataset name, set on the result. Defaults to `""`.

    Returns:
        `Interactions`.

    Example:

    >>> import pandas as pd
    >>> df = pd.DataFrame({"user": ["a", "a", "b"], "item": [1, 2, 1],
    ...                    "rating": [4, 5, 3],
    ...                    "timestamp": ["2020-01-01", "2020-01-02",
    ...                                  "2020-01-03"]})
    >>> data = from_frame(df, rating_scale=(1, 5), min_interactions=1)
    >>> data.num_users, data.num_items, int(data.timestamps[0])
    (2, 2, 1577836800)
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(
            "`df` must be a pandas DataFrame. Received: "
            f"df of type {type(df).__name__}"
        )
    min_interactions = check_min_interactions(min_interactions)
    scale = _check_scale(rating_scale)
    for arg, column, optional in (
        ("user", user, False),
        ("item", item, False),
        ("rating", rating, True),
        ("timestamp", timestamp, True),
    ):
        if column is None and optional:
            continue
        if column not in df.columns:
            raise ValueError(
                f"Column {arg}={column!r} is not in the frame. Available "
                f"columns: {list(df.columns)}"
            )

    user_codes, user_ids = _ids(df, user)
    item_codes, item_ids = _ids(df, item)
    ratings = (
        np.ones(len(df), dtype=np.float32)
        if rating is None
        else _ratings(df, rating, scale)
    )
    timestamps = (
        np.arange(len(df), dtype=np.int64)
        if timestamp is None
        else _timestamps(df, timestamp)
    )
    return clean(
        user_codes,
        item_codes,
        ratings,
        timestamps,
        user_ids=user_ids,
        item_ids=item_ids,
        min_interactions=min_interactions,
        name=name,
    )


def _check_scale(rating_scale):
    if rating_scale is None:
        return None
    ok = (
        isinstance(rating_scale, (tuple, list))
        and len(rating_scale) == 2
        and all(
            isinstance(v, numbers.Real) and not isinstance(v, bool)
            for v in rating_scale
        )
        and rating_scale[0] <= rating_scale[1]
    )
    if not ok:
        raise ValueError(
            "`rating_scale` must be a (low, high) pair of numbers with "
            f"low <= high. Received: rating_scale={rating_scale!r}"
        )
    return float(rating_scale[0]), float(rating_scale[1])


def _row(df, position):
    return f"row {position} (index label {_plain(df.index[position])!r})"


def _plain(value):
    # numpy 2 scalars repr as `np.int64(7)`; show the plain value.
    return value.item() if isinstance(value, np.generic) else value


def _ids(df, column):
    codes, uniques = pd.factorize(df[column], sort=False)
    if (codes < 0).any():
        bad = int(np.flatnonzero(codes < 0)[0])
        raise RowError(
            f"Column {column!r} has a missing id at {_row(df, bad)}.",
            column,
            bad,
            "a missing id",
        )
    return codes, np.asarray(uniques)


def _ratings(df, column, scale):
    raw = df[column]
    if pd.api.types.is_bool_dtype(raw.dtype):
        raise ValueError(
            f"Column {column!r} must hold numeric ratings. Received booleans."
        )
    values = pd.to_numeric(raw, errors="coerce").to_numpy(
        dtype=np.float64, na_value=np.nan
    )
    bad = ~np.isfinite(values)
    if bad.any():
        pos = int(np.flatnonzero(bad)[0])
        raise RowError(
            f"Column {column!r} has a missing or non-numeric rating at "
            f"{_row(df, pos)}: {_plain(raw.iloc[pos])!r}",
            column,
            pos,
            "a missing or non-numeric rating",
        )
    if scale is not None:
        out = (values < scale[0]) | (values > scale[1])
        if out.any():
            pos = int(np.flatnonzero(out)[0])
            allowed = f"rating_scale=({scale[0]:g}, {scale[1]:g})"
            raise RowError(
                f"Column {column!r} has rating {_plain(raw.iloc[pos])!r} at "
                f"{_row(df, pos)}, outside {allowed}.",
                column,
                pos,
                f"a rating outside {allowed}",
            )
    return values.astype(np.float32)


def _timestamps(df, column):
    raw = df[column]
    dtype = raw.dtype
    if pd.api.types.is_bool_dtype(dtype):
        raise ValueError(
            f"Column {column!r} must hold unix seconds, datetimes or date "
            "strings. Received booleans."
        )
    if pd.api.types.is_integer_dtype(dtype) and not isinstance(
        dtype, pd.api.extensions.ExtensionDtype
    ):
        return raw.to_numpy(dtype=np.int64)
    if pd.api.types.is_numeric_dtype(dtype):
        values = raw.to_numpy(dtype=np.float64, na_value=np.nan)
        _check_missing(df, column, ~np.isfinite(values))
        return np.floor(values).astype(np.int64)
    if isinstance(
        dtype, pd.DatetimeTZDtype
    ) or pd.api.types.is_datetime64_dtype(dtype):
        times = raw
        if not isinstance(dtype, pd.DatetimeTZDtype):
            times = raw.dt.tz_localize("UTC")
    else:
        times = pd.to_datetime(raw, utc=True, errors="coerce", format="mixed")
    _check_missing(df, column, times.isna().to_numpy())
    # Difference from the epoch, so the result is seconds whatever the
    # datetime unit (pandas may hold s, ms, us or ns).
    return ((times - _EPOCH) // pd.Timedelta(seconds=1)).to_numpy(
        dtype=np.int64
    )


def _check_missing(df, column, bad):
    if bad.any():
        pos = int(np.flatnonzero(bad)[0])
        raise RowError(
            f"Column {column!r} has a missing or unreadable time at "
            f"{_row(df, pos)}: {_plain(df[column].iloc[pos])!r}",
            column,
            pos,
            "a missing or unreadable time",
        )
