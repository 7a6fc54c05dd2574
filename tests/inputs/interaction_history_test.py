import numpy as np
import pytest

from rnr_keras.datasets import Interactions
from rnr_keras.inputs import InteractionHistory
from tests import planted


def assigned():
    return InteractionHistory(planted.tiny_train())


class TestInteractionHistory:
    def test_is_data_not_a_keras_object(self):
        history = assigned()
        assert not hasattr(history, "get_config")
        assert len(history) == 6
        assert (history.num_users, history.num_items) == (3, 5)

    def test_rows(self):
        history = assigned()
        multi_hot, ratings = history.rows(np.array([2, 0, 1]))
        np.testing.assert_array_equal(
            multi_hot, [[1, 0, 0, 1, 1], [0, 1, 1, 0, 0], [1, 0, 0, 0, 0]]
        )
        np.testing.assert_array_equal(
            ratings, [[2, 0, 0, 1, 5], [0, 4, 5, 0, 0], [3, 0, 0, 0, 0]]
        )

    def test_rows_with_repeated_users(self):
        multi_hot, _ = assigned().rows(np.array([1, 1]))
        np.testing.assert_array_equal(multi_hot, [[1, 0, 0, 0, 0]] * 2)

    def test_entries_and_counts(self):
        history = assigned()
        row, items, ratings = history.entries(np.array([2, 1]))
        np.testing.assert_array_equal(row, [0, 0, 0, 1])
        np.testing.assert_array_equal(items, [0, 3, 4, 0])
        np.testing.assert_array_equal(ratings, [2, 1, 5, 3])
        np.testing.assert_array_equal(history.user_counts(np.array([2, 1, 0])), [3, 1, 2])

    def test_user_without_interactions(self):
        train = Interactions(
            users=[0, 2, 2], items=[1, 0, 3], num_users=3, num_items=4
        )
        history = InteractionHistory(train)
        row, items, _ = history.entries(np.array([1, 2, 1]))
        np.testing.assert_array_equal(row, [1, 1])
        np.testing.assert_array_equal(items, [0, 3])
        assert history.user_items(1).tolist() == []
        assert history.user_items(2).tolist() == [0, 3]
        multi_hot, _ = history.rows(np.array([1]))
        np.testing.assert_array_equal(multi_hot, [[0, 0, 0, 0]])

    def test_rejects_other_input(self):
        with pytest.raises(ValueError, match="must be an `Interactions`"):
            InteractionHistory([(0, 1)])
