"""Tiny data sets with a planted signal, shared by the model-level tests."""

import numpy as np

from rnr_keras.datasets import Interactions
from rnr_keras.protocol import all_but_last_one

GROUPS = 8
ITEMS_PER_GROUP = 10
USERS_PER_GROUP = 8
SEEN = 7


def block_data(seed=0):
    """Users choose only items of their own block; ratings are additive.

    `GROUPS` blocks of `ITEMS_PER_GROUP` items and `USERS_PER_GROUP` users;
    user `u` is in block `u % GROUPS` and interacts with `SEEN` random items
    of it, in random order. Rating = clip(3 + (u % 3 - 1) + (i % 3 - 1)), a
    planted user bias plus item bias (levels 1..5), so a biased MF fits it.
    """
    rng = np.random.default_rng(seed)
    num_users = GROUPS * USERS_PER_GROUP
    users, items = [], []
    for user in range(num_users):
        block = user % GROUPS
        chosen = rng.choice(ITEMS_PER_GROUP, size=SEEN, replace=False)
        users += [user] * SEEN
        items += (chosen + block * ITEMS_PER_GROUP).tolist()
    users, items = np.array(users), np.array(items)
    ratings = np.clip(3 + (users % 3 - 1) + (items % 3 - 1), 1, 5)
    return Interactions(
        users,
        items,
        ratings,
        timestamps=rng.permutation(len(users)),
        num_users=num_users,
        num_items=GROUPS * ITEMS_PER_GROUP,
    )


def block_split(seed=0):
    """`all_but_last_one` of `block_data`: every user holds out one row.

    The held-out item is one of the `ITEMS_PER_GROUP - SEEN + 1` unseen items
    of the user's block, so a model that learned the blocks ranks it in the
    top 4; a random ranking puts it in the top 10 of the 74 candidates with
    probability 10 / 74 (about 0.14).
    """
    data = block_data(seed)
    return all_but_last_one(data, n_users=data.num_users, seed=seed)


def random_recall_at_10(split):
    """Expected Recall@10 of a random ranking of each user's unseen items."""
    seen = split.train.user_counts()[split.test.users]
    return float(np.mean(np.minimum(10 / (split.num_items - seen), 1.0)))


def tiny_train(with_ratings=True):
    """3 users x 5 items; user 2 has three items, user 1 one."""
    return Interactions(
        users=[0, 0, 1, 2, 2, 2],
        items=[1, 2, 0, 0, 3, 4],
        ratings=[4, 5, 3, 2, 1, 5] if with_ratings else None,
        num_users=3,
        num_items=5,
    )


def chain_data(seed=0, num_users=64, num_items=40, length=10):
    """Users walk a fixed chain of items: i is always followed by i + 1.

    User u starts at a random item s and interacts with s, s + 1, ...,
    s + length - 1 (mod `num_items`), one per timestamp, with the rows in a
    random input order (so only the timestamps give the order). Rating =
    1 + (i % 5): a planted item effect a rater can learn. The held-out
    (last) item follows from the one before it: a model that learned the
    order ranks it first, while every item is about equally popular.
    """
    rng = np.random.default_rng(seed)
    starts = rng.integers(0, num_items, size=num_users)
    steps = np.arange(length)
    items = ((starts[:, None] + steps) % num_items).reshape(-1)
    users = np.repeat(np.arange(num_users), length)
    timestamps = np.tile(steps, num_users) + 100 * users
    order = rng.permutation(len(users))
    return Interactions(
        users[order],
        items[order],
        (1 + items % 5)[order].astype(np.float32),
        timestamps=timestamps[order],
        num_users=num_users,
        num_items=num_items,
    )


def chain_split(seed=0):
    """`all_but_last_one` of `chain_data`: every user holds out a row."""
    data = chain_data(seed)
    return all_but_last_one(data, n_users=data.num_users, seed=seed)
