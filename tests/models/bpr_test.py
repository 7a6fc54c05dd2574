import keras
import numpy as np
import pytest

from rnr_keras.evaluation import evaluate_ranking
from rnr_keras.models import BPR
from tests import planted
from tests.test_case import TestCase

U = np.array([[1.0, 2.0], [-1.0, 0.5]], dtype="float32")
I = np.array([[1.0, 0.0], [0.0, 1.0], [2.0, -1.0]], dtype="float32")
B = np.array([0.1, -0.2, 0.3], dtype="float32")


def hand_set_bpr(l2=0.0):
    model = BPR(num_users=2, num_items=3, embedding_dim=2, l2=l2)
    model.user_embedding.embeddings.assign(U)
    model.item_embedding.embeddings.assign(I)
    model.ranker.item_bias.assign(B)
    return model


def softplus(x):
    return np.log1p(np.exp(x))


class TestBPR:
    def test_score_is_dot_product_plus_item_bias(self):
        scores = hand_set_bpr().score([0, 1])
        assert scores.shape == (2, 3)
        # User 0, item 2: 1 * 2 + 2 * -1 + 0.3.
        assert scores[0, 2] == pytest.approx(0.3)
        np.testing.assert_allclose(scores, U @ I.T + B, rtol=1e-6)

    def test_call_gives_positive_minus_negative_score(self):
        model = hand_set_bpr()
        out = model(
            {
                "user": np.array([0, 1]),
                "item": np.array([0, 2]),
                "negative": np.array([1, 1]),
            },
        )
        assert sorted(out) == ["rank", "rank_negative"]
        s = U @ I.T + B
        np.testing.assert_allclose(out["rank"], [s[0, 0], s[1, 2]], rtol=1e-6)
        np.testing.assert_allclose(
            out["rank_negative"], [s[0, 1], s[1, 1]], rtol=1e-6
        )

    def test_loss_is_mean_softplus_of_negated_difference_plus_l2(self):
        model = hand_set_bpr(l2=0.1)
        x = {
            "user": np.array([0, 1, 1]),
            "item": np.array([0, 2, 0]),
            "negative": np.array([1, 1, 2]),
        }
        y = np.array([1.0, 1.0, 1.0])
        loss = model.compute_loss(x, y, model(x, training=True))
        s = U @ I.T + B
        diff = s[x["user"], x["item"]] - s[x["user"], x["negative"]]
        norms = (
            (U[x["user"]] ** 2).sum(1)
            + (I[x["item"]] ** 2).sum(1)
            + (I[x["negative"]] ** 2).sum(1)
        )
        expected = softplus(-diff).mean() + 0.1 * norms.mean()
        assert float(loss) == pytest.approx(expected, rel=1e-5)

    def test_has_no_rater(self):
        model = hand_set_bpr()
        assert model.rater is None and model.needs_negatives
        with pytest.raises(ValueError, match="BPR has no rater"):
            model.predict_rating([0], [1])

    def test_learns_planted_blocks(self, trained):
        model, history = trained("bpr")
        recall = evaluate_ranking(model, trained.heldout, trained.split.train)
        assert recall["recall@10"] >= 0.6
        assert planted.random_recall_at_10(trained.split) < 0.2
        assert history["rank_loss"][-1] < 0.5 * history["rank_loss"][0]
        np.testing.assert_array_equal(history["rating_loss"], 0.0)

    def test_single_task_rejects_head_arguments(self):
        assert BPR(num_users=3, num_items=5, alpha=1.0).alpha == 1.0
        with pytest.raises(
            ValueError,
            match=r"BPR is single-task: its `alpha` is 1.0. Received: alpha=0.5",
        ):
            BPR(num_users=3, num_items=5, alpha=0.5)
        for key, value in (
            ("ranker", "bpr"),
            ("rater", "svd"),
            ("post_consumption", True),
            ("activation", "tanh"),
        ):
            with pytest.raises(
                ValueError, match=f"BPR fixes its heads and takes no `{key}`"
            ):
                BPR(num_users=3, num_items=5, **{key: value})


class TestBPRSerialization(TestCase):
    def test_serialization(self):
        revived = self.run_serialization_test(
            BPR(num_users=3, num_items=4, embedding_dim=2, l2=0.01)
        )
        assert (revived.embedding_dim, revived.l2) == (2, 0.01)

    def test_saving(self, trained, tmp_path):
        model, _ = trained("bpr")
        users = np.arange(trained.split.num_users)
        loaded = self.run_model_saving_test(
            model, tmp_path, lambda m: m.score(users)
        )
        # Only the training data stays behind: it is not model state.
        assert len(loaded.interaction_history) == len(trained.split.train)
        # The optimizer comes back too, with its state.
        assert isinstance(loaded.optimizer, keras.optimizers.Adam)
        assert (
            int(loaded.optimizer.iterations)
            == int(model.optimizer.iterations)
            > 0
        )
