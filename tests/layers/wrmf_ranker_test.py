import numpy as np
import pytest
from keras import ops

from rnr_keras.datasets import Interactions
from rnr_keras.inputs import InteractionHistory
from rnr_keras.layers import HeadContext
from rnr_keras.layers import WRMFRanker
from tests.test_case import TestCase

U = np.array([[1.0, 2.0], [-1.0, 0.5]], dtype="float32")
Q = np.array([[1.0, 0.0], [0.0, 1.0], [2.0, -1.0]], dtype="float32")
# Training pairs: user 0 has items 0 and 1, user 1 has item 2.
USERS = np.array([0, 0, 1], dtype="int32")
ITEMS = np.array([0, 1, 2], dtype="int32")
HISTORY = InteractionHistory(
    Interactions(users=USERS, items=ITEMS, num_users=2, num_items=3)
)


def built(**kwargs):
    ranker = WRMFRanker(**kwargs)
    ranker.build((2, 3, 2))
    return ranker


def context(users=USERS, with_matrices=True):
    return HeadContext(
        users,
        HISTORY,
        user_vectors=U[users] if with_matrices else None,
        item_matrix=Q if with_matrices else None,
    )


def brute_force_objective(confidence, unobserved_weight):
    """Hu et al.'s sum over every (user, item) cell, observed or not."""
    scores = U @ Q.T
    observed = np.zeros_like(scores, dtype=bool)
    observed[USERS, ITEMS] = True
    return (
        (1 + confidence) * np.sum((1 - scores[observed]) ** 2)
        + unobserved_weight * np.sum(scores[~observed] ** 2)
    )


class TestWRMFRanker:
    def test_has_no_weights_of_its_own(self):
        ranker = built()
        assert ranker.weights == []
        assert ranker.batch_kind == "pairs"

    @pytest.mark.parametrize(
        "zeros, negatives, history", [("all", False, True), ("sampled", True, False)]
    )
    def test_zeros_decide_batches_and_history(self, zeros, negatives, history):
        ranker = WRMFRanker(zeros=zeros)
        assert ranker.needs_negatives is negatives
        assert ranker.uses_history is history

    def test_score_is_dot_product_without_bias(self):
        ranker = built()
        pairs = ranker.score(context(), U[USERS], Q[ITEMS], ITEMS)
        # User 0: (1, 2) . (1, 0) = 1 and (1, 2) . (0, 1) = 2;
        # user 1: (-1, 0.5) . (2, -1) = -2.5.
        np.testing.assert_allclose(pairs, [1.0, 2.0, -2.5])
        full = ranker.score_all(context(np.array([0, 1])), U, Q)
        np.testing.assert_allclose(full, U @ Q.T)

    def test_gramian_equals_brute_force_sum_over_all_items(self):
        rng = np.random.default_rng(0)
        users = rng.normal(size=(4, 3)).astype("float32")
        items = rng.normal(size=(7, 3)).astype("float32")
        gramian = built().all_zeros(users, items)
        np.testing.assert_allclose(
            gramian, np.sum((users @ items.T) ** 2, axis=1), rtol=1e-5
        )
        # By hand for U and Q: 1 + 4 + 0 and 1 + 0.25 + 6.25.
        np.testing.assert_allclose(built().all_zeros(U, Q), [5.0, 7.5])

    def test_all_zeros_loss_by_hand(self):
        ranker = built(confidence=1.0, unobserved_weight=0.5)
        outputs = {"rank": ops.convert_to_tensor([1.0, 2.0, -2.5])}
        loss = float(ranker.loss(context(), outputs))
        # c = 2, w = 0.5; n_u = 2, 2, 1; Gramian terms 5, 5, 7.5:
        # (2 * 0 + 0.5 * (5/2 - 1)) + (2 * 1 + 0.5 * (5/2 - 4))
        # + (2 * 3.5^2 + 0.5 * (7.5 - 6.25)) = 0.75 + 1.25 + 25.125.
        assert loss == pytest.approx(27.125 / 3, rel=1e-6)

    @pytest.mark.parametrize("confidence, weight", [(1.0, 0.5), (9.0, 2.0)])
    def test_all_zeros_sum_over_an_epoch_is_the_full_objective(
        self, confidence, weight
    ):
        # One epoch of the user's examples holds each zero entry once.
        ranker = built(confidence=confidence, unobserved_weight=weight)
        scores = (U @ Q.T)[USERS, ITEMS]
        loss = float(ranker.loss(context(), {"rank": scores}))
        assert loss * len(USERS) == pytest.approx(
            brute_force_objective(confidence, weight), rel=1e-5
        )

    def test_sampled_zeros_loss_by_hand(self):
        ranker = built(confidence=1.0, unobserved_weight=0.5, zeros="sampled")
        outputs = {
            "rank": ops.convert_to_tensor([1.0, 2.0, -2.5]),
            "rank_negative": ops.convert_to_tensor([0.0, 2.0, -1.0]),
        }
        loss = float(ranker.loss(HeadContext(USERS), outputs))
        # 2 * (0 + 1 + 12.25) + 0.5 * (0 + 4 + 1).
        assert loss == pytest.approx((26.5 + 2.5) / 3, rel=1e-6)

    def test_all_zeros_without_matrices_is_a_clear_error(self):
        ranker = built()
        with pytest.raises(ValueError, match=r"context.item_matrix.*zeros='sampled'"):
            ranker.loss(
                context(with_matrices=False), {"rank": ops.ones((3,))}
            )

    def test_all_zeros_without_history_names_adapt(self):
        ranker = built()
        bare = HeadContext(USERS, user_vectors=U[USERS], item_matrix=Q)
        with pytest.raises(ValueError, match=r"model.adapt\(train\)"):
            ranker.loss(bare, {"rank": ops.ones((3,))})

    def test_no_own_penalty(self):
        penalty = built().penalty(context(), ops.ones((3,)), ITEMS, ops.ones((3,)))
        assert penalty == 0.0

    @pytest.mark.parametrize(
        "argument, value, message",
        [
            ("confidence", -1.0, r"`confidence` must be a finite number >= 0. "
             r"Received: confidence=-1.0"),
            ("confidence", float("inf"), r"Received: confidence=inf"),
            ("unobserved_weight", "1", r"`unobserved_weight` must be a finite "
             r"number >= 0. Received: unobserved_weight='1'"),
            ("zeros", "some", r"`zeros` must be one of \('all', 'sampled'\). "
             r"Received: zeros='some'"),
        ],
    )
    def test_bad_arguments(self, argument, value, message):
        with pytest.raises(ValueError, match=message):
            WRMFRanker(**{argument: value})


class TestWRMFRankerSerialization(TestCase):
    def test_serialization(self):
        revived = self.run_serialization_test(
            WRMFRanker(confidence=9.0, unobserved_weight=0.3, zeros="sampled")
        )
        assert (revived.confidence, revived.unobserved_weight, revived.zeros) == (
            9.0,
            0.3,
            "sampled",
        )
        assert revived.needs_negatives and not revived.uses_history
