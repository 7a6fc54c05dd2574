"""The paper's "All But (Last) One" protocol."""

import numbers

import numpy as np

from rnr_keras.protocol.split import Split

#: The paper's number of held-out users per dataset (section 5.3); other
#: datasets hold out one row of every user.
PAPER_N_USERS = {"ml-1m": 5000, "yelp": 50000}


def default_n_users(dataset, num_users, n_users=None):
    """`n_users`, or the paper's n for `dataset` (else all users), capped.

    Args:
        dataset: str. Dataset name.
        num_users: int. Users in the data.
        n_users: int or `None`. An explicit choice; `None` for the default.
            Values <= 0 are returned unchanged so that `all_but_last_one`
            reports them.
    """
    if n_users is None:
        n_users = PAPER_N_USERS.get(dataset, num_users)
    return min(int(n_users), num_users) if n_users > 0 else n_users


def all_but_last_one(data, n_users=5000, seed=0, val_fraction=0.5):
    """Holds out the chronologically last interaction of `n_users` users.

    `min(n_users, #eligible users)` users are drawn uniformly without
    replacement with `seed` (eligible: at least two interactions, so every
    chosen user keeps training history). For each, the interaction with the
    largest timestamp is held out; among equal timestamps the one that comes
    LAST in the input order counts as the latest (a file's order is its
    best record of what happened after what). The first
    `round(val_fraction * n)` of the chosen users, in the seeded draw order,
    give their held-out row to validation, the rest to test. Everything else
    is training data. The result is a pure function of `(data, n_users,
    seed, val_fraction)`.

    Args:
        data: `Interactions`. Filtered data (see `rnr_keras.datasets.load`).
        n_users: int. How many users to hold out a row for. The paper uses
            5,000 on MovieLens 1M and 50,000 on Yelp. Defaults to 5000.
        seed: int. Seed of the user draw. Defaults to 0.
        val_fraction: float in [0, 1]. Share of the held-out users whose row
            goes to validation. Defaults to 0.5.

    Returns:
        `Split(train, val, test, params)`.

    Example:

    >>> from rnr_keras import datasets, protocol
    >>> data = datasets.synthetic(num_users=50, num_items=40, seed=0)
    >>> split = protocol.all_but_last_one(data, n_users=20)
    >>> len(split.val), len(split.test)
    (10, 10)
    """
    if (
        isinstance(n_users, bool)
        or not isinstance(n_users, numbers.Integral)
        or n_users <= 0
    ):
        raise ValueError(
            f"`n_users` must be a positive integer. Received: n_users={n_users!r}"
        )
    if not isinstance(seed, numbers.Integral) or isinstance(seed, bool):
        raise ValueError(f"`seed` must be an integer. Received: seed={seed!r}")
    if not 0.0 <= float(val_fraction) <= 1.0:
        raise ValueError(
            "`val_fraction` must be in [0, 1]. Received: "
            f"val_fraction={val_fraction!r}"
        )
    if len(data) == 0:
        raise ValueError(f"Cannot split an empty dataset: {data!r}")

    # Sorted by user, then time, then input position: each user's last row
    # in this order is their latest interaction, ties going to input order.
    order = data.time_order()
    sorted_users = data.users[order]
    is_last = np.ones(len(order), dtype=bool)
    is_last[:-1] = sorted_users[:-1] != sorted_users[1:]
    last_row = np.full(data.num_users, -1, dtype=np.int64)
    last_row[sorted_users[is_last]] = order[is_last]

    counts = data.user_counts()
    eligible = np.flatnonzero(counts >= 2)
    if len(eligible) == 0:
        raise ValueError(
            f"No user of {data!r} has two or more interactions to hold one out"
        )
    rng = np.random.default_rng(int(seed))
    chosen = rng.choice(eligible, size=min(int(n_users), len(eligible)), replace=False)
    n_val = int(round(float(val_fraction) * len(chosen)))
    val_rows = np.sort(last_row[chosen[:n_val]])
    test_rows = np.sort(last_row[chosen[n_val:]])

    train_mask = np.ones(len(data), dtype=bool)
    train_mask[val_rows] = False
    train_mask[test_rows] = False
    params = {
        "name": "all_but_last_one",
        "n_users": int(n_users),
        "seed": int(seed),
        "val_fraction": float(val_fraction),
    }
    return Split(
        train=data.select(train_mask),
        val=data.select(val_rows),
        test=data.select(test_rows),
        params=params,
    )
