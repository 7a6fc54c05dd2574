"""Coarser timestamps (`round_timestamps`) and how much order ties leave
(`order_statistics`).

MovieLens users often rate several films in one sitting, seconds apart, so
a user's "last" interaction and the order a sequence model learns are
largely the order of ratings within one session. Rounding the timestamps to
days, and shuffling the rows so that neither the seconds nor the file order
break the ties that result, measures how much of that order signal is left
at a coarser resolution.
"""

import numbers

import numpy as np

from rnr_keras.datasets.interactions import Interactions

DAY = 86_400

#: Seconds per unit of each resolution `round_timestamps` accepts.
RESOLUTIONS = {"second": 1, "hour": 3_600, "day": DAY, "week": 7 * DAY}

# Unix time 0 was a Thursday; weeks are shifted by three days so that they
# start on Monday 00:00 UTC (ISO weeks).
_WEEK_OFFSET = 3 * DAY


def check_resolution(resolution, arg="resolution"):
    """Validates a resolution name (a key of `RESOLUTIONS`); returns it.

    Args:
        resolution: str. The value to check.
        arg: str. The argument name the error message uses. Defaults to
            `"resolution"`.

    Example:

    >>> check_resolution("month", arg="time_resolution")
    Traceback (most recent call last):
    ...
    ValueError: `time_resolution` must be one of 'second', ... Received:
    time_resolution='month'
    """
    if not isinstance(resolution, str) or resolution not in RESOLUTIONS:
        choices = ", ".join(repr(name) for name in RESOLUTIONS)
        raise ValueError(
            f"`{arg}` must be one of {choices}. Received: "
            f"{arg}={resolution!r}"
        )
    return resolution


def floor_timestamps(timestamps, resolution):
    """Unix seconds floored to the start of their UTC `resolution` unit.

    Days start at 00:00 UTC (`ts // 86400 * 86400`), weeks on Monday 00:00
    UTC.

    Args:
        timestamps: int array. Unix seconds.
        resolution: str. One of `RESOLUTIONS`.

    Returns:
        int64 array, same shape.

    Example:

    >>> floor_timestamps([86_399, 86_400, 90_000], "day").tolist()
    [0, 86400, 86400]
    """
    resolution = check_resolution(resolution)
    timestamps = np.asarray(timestamps, dtype=np.int64)
    step = RESOLUTIONS[resolution]
    offset = _WEEK_OFFSET if resolution == "week" else 0
    return (timestamps + offset) // step * step - offset


def round_timestamps(data, resolution, seed=0):
    """Coarsens `data`'s timestamps to `resolution` and shuffles its rows.

    Timestamps are floored to the start of their UTC unit (see
    `floor_timestamps`), and the rows are put in the order of a permutation
    drawn with `seed`. Rows that now share a user and a timestamp then keep
    nothing of their original order: not the seconds (gone with the
    flooring) and not the input order, which `all_but_last_one` and the
    time-ordered histories use to break timestamp ties. The order between
    different units is kept. `"second"` leaves the data as it is.

    Args:
        data: `Interactions`.
        resolution: str. `"second"` (unchanged), `"hour"`, `"day"` or
            `"week"`.
        seed: int. Seed of the row permutation. Defaults to 0.

    Returns:
        `Interactions` with the same index space, raw ids and name; `data`
        itself for `"second"`.

    Example:

    >>> from rnr_keras.datasets import Interactions
    >>> data = Interactions(users=[0, 0, 0], items=[0, 1, 2],
    ...                     timestamps=[100, 200, 86_500])
    >>> coarse = round_timestamps(data, "day", seed=0)
    >>> sorted(zip(coarse.items.tolist(), coarse.timestamps.tolist()))
    [(0, 0), (1, 0), (2, 86400)]
    """
    resolution = check_resolution(resolution)
    if (
        isinstance(seed, bool)
        or not isinstance(seed, numbers.Integral)
        or seed < 0
    ):
        raise ValueError(
            f"`seed` must be a non-negative integer. Received: seed={seed!r}"
        )
    if resolution == "second":
        return data
    order = np.random.default_rng(int(seed)).permutation(len(data))
    return Interactions(
        data.users[order],
        data.items[order],
        data.ratings[order],
        floor_timestamps(data.timestamps, resolution)[order],
        user_ids=data.user_ids,
        item_ids=data.item_ids,
        num_users=data.num_users,
        num_items=data.num_items,
        name=data.name,
    )


def order_statistics(data, resolutions=("second", "day")):
    """How much of each user's interaction order ties in time leave.

    Counted over users with at least two interactions (those
    `all_but_last_one` can hold a row out for), at each resolution:

    - `last_two_tied`: share of them whose last two interactions share a
      timestamp, i.e. whose held-out row is picked among ties (by input
      order at `"second"`, at random after `round_timestamps`).
    - `tied_rows`: share of their interactions that share a timestamp with
      another interaction of the same user.
    - `median_per_time`: median over them of interactions per distinct
      timestamp (1.0 when no user has ties).

    Args:
        data: `Interactions`.
        resolutions: strs. Keys of `RESOLUTIONS`. Defaults to
            `("second", "day")`.

    Returns:
        dict: `users` (how many have two or more interactions) and, per
        resolution, a dict of the three values (`None` when no user has
        two interactions).

    Example:

    >>> from rnr_keras.datasets import Interactions
    >>> data = Interactions(users=[0, 0, 0, 1, 1], items=[0, 1, 2, 0, 1],
    ...                     timestamps=[5, 5, 86_405, 10, 20])
    >>> stats = order_statistics(data)
    >>> stats["users"], stats["second"]["last_two_tied"]
    (2, 0.0)
    >>> stats["day"]
    {'last_two_tied': 0.5, 'tied_rows': 0.8, 'median_per_time': 1.75}
    """
    resolutions = [check_resolution(name) for name in resolutions]
    counts = data.user_counts()
    keep = counts[data.users] >= 2
    users = data.users[keep].astype(np.int64)
    stats = {"users": int(np.count_nonzero(counts >= 2))}
    for resolution in resolutions:
        stats[resolution] = _ties(
            users, floor_timestamps(data.timestamps[keep], resolution)
        )
    return stats


def _ties(users, times):
    if len(users) == 0:
        return None
    # Runs of equal (user, time) after sorting by user, then time.
    order = np.lexsort((times, users))
    users, times = users[order], times[order]
    new_run = np.ones(len(users), dtype=bool)
    new_run[1:] = (users[1:] != users[:-1]) | (times[1:] != times[:-1])
    starts = np.flatnonzero(new_run)
    sizes = np.diff(np.append(starts, len(users)))
    run_users = users[starts]
    # A user's last run is their latest timestamp.
    last_run = np.ones(len(starts), dtype=bool)
    last_run[:-1] = run_users[:-1] != run_users[1:]
    active = np.unique(run_users)
    per_user_rows = np.bincount(users)[active]
    per_user_times = np.bincount(run_users)[active]
    return {
        "last_two_tied": float(np.mean(sizes[last_run] >= 2)),
        "tied_rows": float(np.sum(sizes[sizes >= 2]) / len(users)),
        "median_per_time": float(np.median(per_user_rows / per_user_times)),
    }
