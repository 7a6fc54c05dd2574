import numpy as np
import pytest

from rnr_keras.datasets import Interactions
from rnr_keras.inputs import InteractionHistory
from rnr_keras.layers import HeadContext
from rnr_keras.layers import SVDppRater
from rnr_keras.layers import SVDRater
from tests.test_case import TestCase

P = np.array([[1.0, 2.0], [0.0, -1.0]], dtype="float32")
Q = np.array([[1.0, 1.0], [2.0, 0.0], [0.5, -1.0]], dtype="float32")
Y = np.array([[1.0, 0.0], [0.0, 1.0], [2.0, 2.0]], dtype="float32")
# User 0 rated items 0 and 1 (5, 3), user 1 item 2 (4): mu = 4.
TRAIN = Interactions(
    users=[0, 0, 1], items=[0, 1, 2], ratings=[5, 3, 4], num_users=2, num_items=3
)
HISTORY = InteractionHistory(TRAIN)


def built():
    rater = SVDppRater()
    rater.build((2, 3, 2))
    rater.adapt(TRAIN)
    rater.user_bias.assign([0.5, -1.0])
    rater.item_bias.assign([0.0, 0.25, -0.25])
    rater.implicit.assign(Y)
    return rater


def context(users):
    return HeadContext(np.array(users, dtype="int32"), HISTORY)


def expected_all():
    # |N(0)|^-1/2 (y_0 + y_1) = (1, 1) / sqrt 2; |N(1)|^-1/2 y_2 = (2, 2).
    implicit = np.array([[1.0, 1.0] / np.sqrt(2.0), [2.0, 2.0]])
    return 4.0 + np.array([[0.5], [-1.0]]) + [0.0, 0.25, -0.25] + (P + implicit) @ Q.T


class TestSVDppRater:
    def test_weights(self):
        rater = SVDppRater()
        rater.build((4, 6, 3))
        shapes = {w.path.split("/")[-1]: tuple(w.shape) for w in rater.weights}
        assert shapes == {
            "user_bias": (4,),
            "item_bias": (6,),
            "global_mean": (),
            "implicit": (6, 3),
        }
        # Zero y: an untrained SVD++ is exactly SVD.
        np.testing.assert_array_equal(rater.implicit.numpy(), 0.0)
        assert rater.uses_history and not SVDRater.uses_history

    def test_rate_by_hand(self):
        rater = built()
        ratings = rater.rate(context([0, 1]), P, Q[[2, 1]], np.array([2, 1]))
        # 4 + 0.5 - 0.25 + (0.5, -1) . ((1, 2) + (1, 1) / sqrt 2)
        # and 4 - 1 + 0.25 + (2, 0) . ((0, -1) + (2, 2)).
        np.testing.assert_allclose(
            ratings, [4.25 - 1.5 - 0.5 / np.sqrt(2.0), 7.25], rtol=1e-6
        )

    def test_rate_all_matches_rate(self):
        rater = built()
        full = rater.rate_all(context([0, 1]), P, Q)
        np.testing.assert_allclose(full, expected_all(), rtol=1e-6)
        pairs = rater.rate(context([1, 1, 1]), P[[1, 1, 1]], Q, np.arange(3))
        np.testing.assert_allclose(pairs, expected_all()[1], rtol=1e-6)

    def test_repeated_users_in_a_batch(self):
        # Pair batches repeat users; each example still gets its own sum.
        rater = built()
        users = [1, 0, 1, 0, 0]
        items = np.array([0, 2, 2, 1, 0])
        ratings = rater.rate(context(users), P[users], Q[items], items)
        np.testing.assert_allclose(
            ratings, expected_all()[users, items], rtol=1e-6
        )

    def test_zero_implicit_is_svd(self):
        rater = built()
        rater.implicit.assign(np.zeros((3, 2), "float32"))
        svd = SVDRater()
        svd.build((2, 3, 2))
        svd.adapt(TRAIN)
        svd.user_bias.assign(rater.user_bias)
        svd.item_bias.assign(rater.item_bias)
        np.testing.assert_allclose(
            rater.rate_all(context([0, 1]), P, Q),
            svd.rate_all(context([0, 1]), P, Q),
        )

    def test_penalty_by_hand(self):
        rater = built()
        penalty = rater.penalty(
            context([0, 1]),
            np.array([1.0, 2.0], dtype="float32"),
            np.array([1, 2]),
            np.array([4.0, 1.0], dtype="float32"),
        )
        # Biases (as SVDRater): 1 * 0.25 + 2 * 1 + 4 * 0.0625 + 1 * 0.0625;
        # y: user 0 mean(|y_0|^2, |y_1|^2) = 1 times 1, user 1 |y_2|^2 = 8
        # times 2.
        assert float(penalty) == pytest.approx(2.5625 + 1.0 + 16.0)

    def test_without_history_names_adapt(self):
        rater = built()
        with pytest.raises(ValueError, match=r"call `model.adapt\(train\)` first"):
            rater.rate(HeadContext(np.array([0])), P[:1], Q[:1], np.array([0]))


class TestSVDppRaterSerialization(TestCase):
    def test_serialization(self):
        revived = self.run_serialization_test(SVDppRater(name="svdpp"))
        assert revived.uses_history
