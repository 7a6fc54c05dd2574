"""The cleaning every loader applies: dedupe, filter users, re-index."""

import numbers

import numpy as np
import pandas as pd

from rnr_keras.datasets.interactions import Interactions


def check_min_interactions(min_interactions):
    """Validates `min_interactions` (a non-negative integer); returns it."""
    if (
        isinstance(min_interactions, bool)
        or not isinstance(min_interactions, numbers.Integral)
        or min_interactions < 0
    ):
        raise ValueError(
            "`min_interactions` must be a non-negative integer. Received: "
            f"min_interactions={min_interactions!r}"
        )
    return int(min_interactions)


def clean(
    users,
    items,
    ratings,
    timestamps,
    *,
    user_ids=None,
    item_ids=None,
    min_interactions=4,
    name="",
):
    """Builds clean `Interactions` from raw rows.

    The one place where loaders turn parsed rows into a dataset, so every
    source is cleaned the same way:

    1. Duplicate (user, item) pairs keep only their latest row: the largest
       timestamp, ties going to the row that comes later in the input.
    2. Users with fewer than `min_interactions` rows are dropped (one pass,
       counted after step 1). `0` and `1` keep every user.
    3. Users and items left with no row are dropped, and both are re-indexed
       contiguously in ascending order of raw id, so index `i` is the `i`-th
       smallest raw id that remains (MovieLens user `1` becomes index `0`).

    Surviving rows keep their input order.

    Args:
        users: int array. Per row, a code into `user_ids`, or the raw user
            id itself when `user_ids` is `None`.
        items: int array. Per row, a code into `item_ids`, or the raw item
            id itself when `item_ids` is `None`.
        ratings: float array. Rating of each row.
        timestamps: int array. Unix seconds of each row.
        user_ids: array or `None`. Raw id of each user code. Defaults to
            `None` (`users` holds raw ids).
        item_ids: array or `None`. Raw id of each item code. Defaults to
            `None` (`items` holds raw ids).
        min_interactions: int. Fewest rows a user needs to be kept.
            Defaults to 4.
        name: str. Dataset name, used in errors and set on the result.
            Defaults to `""`.

    Returns:
        `Interactions`.

    Example:

    >>> data = clean([7, 7, 3], [10, 10, 11], [1.0, 5.0, 2.0], [5, 9, 1],
    ...              min_interactions=1)
    >>> data.user_ids.tolist(), data.ratings.tolist()
    ([3, 7], [5.0, 2.0])
    """
    min_interactions = check_min_interactions(min_interactions)
    users, user_ids = _codes(users, user_ids)
    items, item_ids = _codes(items, item_ids)
    ratings = np.asarray(ratings, dtype=np.float32)
    timestamps = np.asarray(timestamps, dtype=np.int64)
    label = f"Dataset {name!r}" if name else "The dataset"
    n = len(users)
    if n == 0:
        raise ValueError(f"{label} has no interactions.")

    # Step 1: sort by (user, item, time, position); the last row of each
    # (user, item) run is the one to keep.
    positions = np.arange(n)
    order = np.lexsort((positions, timestamps, items, users))
    su, si = users[order], items[order]
    last = np.ones(n, dtype=bool)
    last[:-1] = (su[:-1] != su[1:]) | (si[:-1] != si[1:])
    keep = np.zeros(n, dtype=bool)
    keep[order[last]] = True

    # Step 2: one pass of the user threshold over the deduplicated rows.
    counts = np.bincount(users[keep], minlength=len(user_ids))
    keep &= counts[users] >= min_interactions
    if not keep.any():
        raise ValueError(
            f"{label} is empty after dropping users with fewer than "
            f"{min_interactions} interactions (min_interactions="
            f"{min_interactions}): its {np.count_nonzero(counts)} users have "
            f"at most {counts.max()} distinct items each. Lower "
            "`min_interactions` (0 keeps every user)."
        )
    rows = np.flatnonzero(keep)

    # Step 3: contiguous indices in ascending raw-id order.
    new_users, user_ids = _reindex(users[rows], user_ids, "user", label)
    new_items, item_ids = _reindex(items[rows], item_ids, "item", label)
    return Interactions(
        new_users,
        new_items,
        ratings[rows],
        timestamps[rows],
        user_ids=user_ids,
        item_ids=item_ids,
        name=name,
    )


def _codes(values, ids):
    values = np.asarray(values)
    if ids is None:
        codes, uniques = pd.factorize(values, sort=True)
        return codes.astype(np.int64), np.asarray(uniques)
    return values.astype(np.int64), np.asarray(ids)


def _reindex(codes, ids, kind, label):
    used = np.flatnonzero(np.bincount(codes, minlength=len(ids)))
    try:
        used = used[np.argsort(ids[used], kind="stable")]
    except TypeError:
        raise ValueError(
            f"{label}'s raw {kind} ids cannot be sorted: they mix types "
            f"(e.g. {ids[used][:3].tolist()!r}). Use one type for all ids."
        ) from None
    mapping = np.empty(len(ids), dtype=np.int64)
    mapping[used] = np.arange(len(used))
    return mapping[codes].astype(np.int32), ids[used]
