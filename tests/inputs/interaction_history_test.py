import numpy as np
import pytest

from rnr_keras.datasets import Interactions
from rnr_keras.layers import InteractionHistory
from tests import planted
from tests.test_case import TestCase


def assigned(with_ratings=True):
    history = InteractionHistory(
        num_users=3, num_items=5, size=6, with_ratings=with_ratings
    )
    history.assign(planted.tiny_train())
    return history


class TestInteractionHistory:
    def test_weights_are_not_trainable(self):
        history = InteractionHistory(
            num_users=3, num_items=5, size=6, with_ratings=True
        )
        assert history.trainable_weights == []
        shapes = {
            w.path.split("/")[-1]: tuple(w.shape) for w in history.weights
        }
        assert shapes == {"indptr": (4,), "items": (6,), "ratings": (6,)}
        assert (
            InteractionHistory(num_users=3, num_items=5, size=6).ratings is None
        )

    def test_rows(self):
        history = assigned()
        multi_hot, ratings = history.rows(np.array([2, 0, 1]))
        np.testing.assert_array_equal(
            multi_hot, [[1, 0, 0, 1, 1], [0, 1, 1, 0, 0], [1, 0, 0, 0, 0]]
        )
        np.testing.assert_array_equal(
            ratings, [[2, 0, 0, 1, 5], [0, 4, 5, 0, 0], [3, 0, 0, 0, 0]]
        )

    def test_rows_with_repeated_users_and_no_ratings(self):
        history = assigned(with_ratings=False)
        multi_hot, ratings = history.rows(np.array([1, 1]))
        assert ratings is None
        np.testing.assert_array_equal(multi_hot, [[1, 0, 0, 0, 0]] * 2)

    def test_entries(self):
        history = assigned()
        row, items, ratings = history.entries(np.array([2, 1]))
        np.testing.assert_array_equal(row, [0, 0, 0, 1])
        np.testing.assert_array_equal(items, [0, 3, 4, 0])
        np.testing.assert_array_equal(ratings, [2, 1, 5, 3])

    def test_user_without_interactions(self):
        train = Interactions(
            users=[0, 2, 2], items=[1, 0, 3], num_users=3, num_items=4
        )
        history = InteractionHistory(num_users=3, num_items=4, size=3)
        history.assign(train)
        row, items, _ = history.entries(np.array([1, 2, 1]))
        np.testing.assert_array_equal(row, [1, 1])
        np.testing.assert_array_equal(items, [0, 3])
        assert history.user_items(1).tolist() == []
        assert history.user_items(2).tolist() == [0, 3]
        multi_hot, _ = history.rows(np.array([1]))
        np.testing.assert_array_equal(multi_hot, [[0, 0, 0, 0]])

    def test_assign_checks_index_space_and_size(self):
        history = InteractionHistory(num_users=3, num_items=5, size=6)
        other = planted.tiny_train()
        with pytest.raises(ValueError, match="index space does not match"):
            history.assign(
                Interactions(other.users, other.items, num_users=3, num_items=6)
            )
        with pytest.raises(
            ValueError, match="holds size=6 interactions; received 2"
        ):
            history.assign(
                Interactions([0, 1], [0, 1], num_users=3, num_items=5)
            )

    @pytest.mark.parametrize(
        "name, value",
        [("num_users", 0), ("num_items", -1), ("size", 2.5), ("size", True)],
    )
    def test_bad_arguments(self, name, value):
        kwargs = {"num_users": 3, "num_items": 5, "size": 6, name: value}
        with pytest.raises(
            ValueError,
            match=rf"`{name}` must be a positive integer. Received: {name}={value}",
        ):
            InteractionHistory(**kwargs)


class TestInteractionHistorySerialization(TestCase):
    def test_serialization(self):
        revived = self.run_serialization_test(
            InteractionHistory(
                num_users=3, num_items=5, size=6, with_ratings=True
            )
        )
        assert revived.ratings is not None and revived.items.shape == (6,)
