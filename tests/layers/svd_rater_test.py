import numpy as np
import pytest

from rnr_keras.datasets import Interactions
from rnr_keras.layers import HeadContext
from rnr_keras.layers import SVDRater
from tests.test_case import TestCase

USERS = np.array([[1.0, 2.0], [0.0, -1.0]], dtype="float32")
ITEMS = np.array([[1.0, 1.0], [2.0, 0.0], [0.5, -1.0]], dtype="float32")


def built():
    rater = SVDRater()
    rater.build((2, 3, 2))
    rater.adapt(
        Interactions(users=[0, 1, 1], items=[0, 1, 2], ratings=[5, 2, 2])
    )
    rater.user_bias.assign([0.5, -1.0])
    rater.item_bias.assign([0.0, 0.25, -0.25])
    return rater


class TestSVDRater:
    def test_weights(self):
        rater = SVDRater()
        rater.build((4, 6, 3))
        shapes = {w.path.split("/")[-1]: tuple(w.shape) for w in rater.weights}
        assert shapes == {
            "user_bias": (4,),
            "item_bias": (6,),
            "global_mean": (),
        }
        assert [w.path.split("/")[-1] for w in rater.trainable_weights] == [
            "user_bias",
            "item_bias",
        ]
        for weight in rater.weights:
            np.testing.assert_array_equal(weight.numpy(), 0.0)

    def test_adapt_sets_mean_rating(self):
        assert float(built().global_mean) == pytest.approx(3.0)

    def test_call_by_hand(self):
        rater = built()
        ratings = rater.rate(
            HeadContext(np.array([0, 1])), USERS[[0, 1]], ITEMS[[2, 1]],
            np.array([2, 1]),
        )
        # 3 + 0.5 - 0.25 + (0.5 - 2) and 3 - 1 + 0.25 + 0.
        np.testing.assert_allclose(ratings, [1.75, 2.25])

    def test_rate_all_matches_call(self):
        rater = built()
        full = rater.rate_all(HeadContext(np.array([0, 1])), USERS, ITEMS)
        assert tuple(full.shape) == (2, 3)
        expected = (
            3.0
            + np.array([[0.5], [-1.0]])
            + [0.0, 0.25, -0.25]
            + USERS @ ITEMS.T
        )
        np.testing.assert_allclose(full, expected)
        pairs = rater.rate(
            HeadContext(np.array([1, 1, 1])), USERS[[1, 1, 1]], ITEMS,
            np.array([0, 1, 2]),
        )
        np.testing.assert_allclose(pairs, expected[1], rtol=1e-6)


class TestSVDRaterSerialization(TestCase):
    def test_serialization(self):
        self.run_serialization_test(SVDRater(name="rater"))


class TestSVDRaterPenalty:
    def test_weighted_bias_squares(self):
        rater = built()
        penalty = rater.penalty(
            HeadContext(np.array([0, 1])),
            np.array([1.0, 2.0], dtype="float32"),
            np.array([1, 2]),
            np.array([4.0, 1.0], dtype="float32"),
        )
        # 1 * 0.25 + 2 * 1 + 4 * 0.0625 + 1 * 0.0625.
        assert float(penalty) == pytest.approx(2.5625)
