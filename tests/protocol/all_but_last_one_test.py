import numpy as np
import pytest

from rnr_keras import datasets
from rnr_keras.datasets import Interactions
from rnr_keras.protocol import all_but_last_one
from rnr_keras.protocol.split import _check_disjoint


@pytest.fixture(scope="module")
def data():
    return datasets.synthetic(num_users=300, num_items=120, seed=3)


def _latest_rows(data):
    """Slow reference: each user's latest row, ties to the later row."""
    latest = {}
    for row, (user, stamp) in enumerate(zip(data.users, data.timestamps)):
        if user not in latest or stamp >= data.timestamps[latest[user]]:
            latest[user] = row
    return latest


def test_heldout_rows_are_each_chosen_users_latest(data):
    split = all_but_last_one(data, n_users=100, seed=0)
    latest = _latest_rows(data)
    for part in (split.val, split.test):
        for user, item, stamp in zip(part.users, part.items, part.timestamps):
            row = latest[user]
            assert data.items[row] == item
            assert data.timestamps[row] == stamp


def test_sizes_and_halves(data):
    split = all_but_last_one(data, n_users=101, seed=0)
    assert len(split.val) == 50 and len(split.test) == 51
    assert len(split.train) + 101 == len(data)
    # One held-out row per chosen user, val and test users disjoint.
    assert len(np.unique(split.val.users)) == 50
    assert not set(split.val.users) & set(split.test.users)
    assert split.params == {
        "name": "all_but_last_one",
        "n_users": 101,
        "seed": 0,
        "val_fraction": 0.5,
    }


def test_no_heldout_pair_in_training(data):
    split = all_but_last_one(data, n_users=300, seed=1)
    assert _check_disjoint(split.train, split.val)
    assert _check_disjoint(split.train, split.test)
    train_pairs = set(zip(split.train.users.tolist(), split.train.items.tolist()))
    for part in (split.val, split.test):
        assert not train_pairs & set(zip(part.users.tolist(), part.items.tolist()))


def test_same_index_space(data):
    split = all_but_last_one(data, n_users=50, seed=0)
    for part in (split.train, split.val, split.test):
        assert part.num_users == data.num_users
        assert part.num_items == data.num_items
        assert part.item_ids is data.item_ids


def test_n_users_capped_at_eligible_users(data):
    split = all_but_last_one(data, n_users=10_000, seed=0)
    assert len(split.val) + len(split.test) == data.num_users


def test_deterministic_for_a_seed_and_varies_across_seeds(data):
    a = all_but_last_one(data, n_users=80, seed=7)
    b = all_but_last_one(data, n_users=80, seed=7)
    c = all_but_last_one(data, n_users=80, seed=8)
    np.testing.assert_array_equal(a.test.users, b.test.users)
    np.testing.assert_array_equal(a.train.items, b.train.items)
    assert set(a.test.users) != set(c.test.users)


def test_ties_go_to_the_later_row():
    data = Interactions(
        users=[0, 0, 0, 1, 1],
        items=[0, 1, 2, 0, 1],
        timestamps=[5, 9, 9, 1, 2],
    )
    split = all_but_last_one(data, n_users=2, seed=0, val_fraction=0.0)
    held = dict(zip(split.test.users.tolist(), split.test.items.tolist()))
    assert held == {0: 2, 1: 1}


def test_users_with_one_interaction_are_never_held_out():
    data = Interactions(users=[0, 1, 1], items=[0, 0, 1], timestamps=[1, 2, 3])
    split = all_but_last_one(data, n_users=5, seed=0, val_fraction=0.0)
    assert split.test.users.tolist() == [1]


def test_loader_drops_users_below_threshold(tmp_path):
    rows = ["1\t1\t5\t10", "1\t2\t4\t11", "1\t3\t4\t12"]  # user 1: 3 ratings
    rows += [f"2\t{i}\t3\t{20 + i}" for i in range(1, 5)]  # user 2: 4 ratings
    (tmp_path / "u.data").write_text("\n".join(rows) + "\n")
    data = datasets.load("ml-100k", data_dir=tmp_path)
    assert data.num_users == 1 and data.user_ids.tolist() == [2]
    split = all_but_last_one(data, n_users=5, seed=0)
    assert len(split.val) + len(split.test) == 1


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"n_users": 0}, "n_users"),
        ({"n_users": -3}, "n_users"),
        ({"n_users": 2.5}, "n_users"),
        ({"val_fraction": 1.5}, "val_fraction"),
        ({"seed": "a"}, "seed"),
    ],
)
def test_bad_arguments(data, kwargs, message):
    with pytest.raises(ValueError, match=message):
        all_but_last_one(data, **kwargs)


def test_empty_dataset_raises():
    empty = Interactions(users=np.zeros(0, int), items=np.zeros(0, int), num_users=1, num_items=1)
    with pytest.raises(ValueError, match="empty"):
        all_but_last_one(empty)
