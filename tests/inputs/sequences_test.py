import numpy as np
import pytest

from rnr_keras.datasets import Interactions
from rnr_keras.inputs import InteractionHistory
from rnr_keras.inputs import sequence_dataset
from rnr_keras.inputs import sequence_windows
from tests import planted


def shuffled(data, seed=0):
    """The same interactions in another input order."""
    return data.select(np.random.default_rng(seed).permutation(len(data)))


class TestSequenceWindows:
    def test_every_transition_is_a_target_once(self):
        data = planted.chain_data(0, num_users=9, num_items=30, length=17)
        users, items, _ = sequence_windows(data, max_length=5)
        inputs, targets = items[:, :-1], items[:, 1:]
        valid = (inputs >= 0) & (targets >= 0)
        seen = sorted(
            zip(np.repeat(users, 5)[valid.ravel()], inputs[valid], targets[valid])
        )
        expected = []
        indptr, ordered = InteractionHistory(data).sequences()
        for user in range(data.num_users):
            row = ordered[indptr[user] : indptr[user + 1]]
            expected += [(user, a, b) for a, b in zip(row[:-1], row[1:])]
        assert seen == sorted(expected)
        # 16 transitions per user in windows of 5: 4 windows each.
        assert len(users) == 9 * 4

    def test_latest_window_is_whole_and_pads_are_on_the_left(self):
        train = Interactions(
            users=[0, 0, 0, 0, 0], items=[4, 3, 2, 1, 0], timestamps=[5, 4, 3, 2, 1]
        )
        users, items, ratings = sequence_windows(train, max_length=3)
        np.testing.assert_array_equal(users, [0, 0])
        np.testing.assert_array_equal(items, [[1, 2, 3, 4], [-1, -1, 0, 1]])
        np.testing.assert_array_equal(ratings[1], [0, 0, 1, 1])

    def test_time_order_with_ties_in_input_order(self):
        train = Interactions(
            users=[0, 0, 0, 1], items=[2, 0, 1, 0], timestamps=[7, 9, 7, 1]
        )
        users, items, _ = sequence_windows(train, max_length=4)
        # Items 2 and 1 share a timestamp: input order puts 2 first. User
        # 1 has one item: no transition, no window.
        np.testing.assert_array_equal(users, [0])
        np.testing.assert_array_equal(items, [[-1, -1, 2, 1, 0]])

    def test_does_not_depend_on_input_order(self):
        data = planted.chain_data(1)
        a = sequence_windows(data, max_length=4)
        b = sequence_windows(shuffled(data), max_length=4)
        for x, y in zip(a, b):
            np.testing.assert_array_equal(x, y)

    def test_bad_length(self):
        with pytest.raises(ValueError, match="max_length"):
            sequence_windows(planted.chain_data(), max_length=0)


class TestSequenceDataset:
    def test_batches(self):
        data = planted.chain_data(0, num_users=10, length=6)
        batches = list(
            sequence_dataset(data, max_length=5, batch_size=4, negatives=True, seed=3)
        )
        # Shuffled epochs drop the partial batch (one shape for XLA).
        assert [len(x["user"]) for x, _ in batches] == [4, 4]
        ordered = sequence_dataset(data, max_length=5, batch_size=4, shuffle=False)
        assert [len(x["user"]) for x, _ in ordered] == [4, 4, 2]
        x, y = batches[0]
        assert x["sequence"].shape == (4, 5) == x["target"].shape
        assert x["negative"].shape == (4, 5) and y.shape == (4, 5)
        # The target is the sequence shifted by one.
        np.testing.assert_array_equal(x["sequence"][:, 1:], x["target"][:, :-1])
        # Ratings are the targets' (1 + item % 5).
        np.testing.assert_array_equal(y, 1 + x["target"].numpy() % 5)

    def test_seeded_and_reshuffled(self):
        data = planted.chain_data(0, num_users=20, length=4)

        def epochs(seed):
            dataset = sequence_dataset(data, max_length=3, batch_size=20, seed=seed)
            return [x["user"].numpy().tolist() for x, _ in dataset.repeat(2)]

        first = epochs(5)
        assert first == epochs(5)
        assert first[0] != first[1]
        assert first != epochs(6)

    def test_no_transition_errors(self):
        with pytest.raises(ValueError, match="two or more interactions"):
            sequence_dataset(Interactions(users=[0, 1], items=[0, 1]), max_length=2)


class TestRecent:
    def test_latest_items_left_padded(self):
        train = Interactions(
            users=[0, 0, 0, 1], items=[2, 0, 1, 3], timestamps=[3, 1, 2, 0]
        )
        history = InteractionHistory(train)
        items, ratings = history.recent(np.array([1, 0, 0]), 2)
        np.testing.assert_array_equal(items, [[-1, 3], [1, 2], [1, 2]])
        np.testing.assert_array_equal(ratings, [[0, 1], [1, 1], [1, 1]])
        items, _ = history.recent(np.array([0]), 4)
        np.testing.assert_array_equal(items, [[-1, 0, 1, 2]])

    def test_matches_the_windows_latest_items(self):
        data = planted.chain_data(2)
        history = InteractionHistory(shuffled(data))
        users, windows, _ = sequence_windows(data, max_length=4)
        latest = np.flatnonzero(np.r_[True, users[1:] != users[:-1]])
        items, _ = history.recent(users[latest], 5)
        np.testing.assert_array_equal(items, windows[latest])
