import keras
import numpy as np
import pytest

from rnr_keras.evaluation import evaluate_ranking
from rnr_keras.models import CDAE
from tests import planted
from tests.test_case import TestCase

ACTIVATIONS = {
    "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(z, 0),
    "identity": lambda z: z,
}


def hand_set_cdae(corruption=0.5, hidden_activation="sigmoid", l2=0.0):
    """Every weight set by hand; returns the model and the weights."""
    rng = np.random.default_rng(0)
    w = {
        "V": rng.normal(size=(3, 2)).astype("float32"),
        "I": rng.normal(size=(5, 2)).astype("float32"),
        "W": rng.normal(size=(5, 2)).astype("float32"),
        "b": np.array([0.1, -0.3], dtype="float32"),
        "b_out": np.array([0.0, 0.5, -0.5, 0.2, 0.1], dtype="float32"),
    }
    model = CDAE(
        num_users=3,
        num_items=5,
        embedding_dim=2,
        l2=l2,
        corruption=corruption,
        hidden_activation=hidden_activation,
    ).adapt(planted.tiny_train(with_ratings=False))
    model.user_embedding.embeddings.assign(w["V"])
    model.item_embedding.embeddings.assign(w["I"])
    model.ranker.encoder.assign(w["W"])
    model.ranker.hidden_bias.assign(w["b"])
    model.ranker.output_bias.assign(w["b_out"])
    return model, w


# Training rows of tiny_train as multi-hot vectors.
ROWS = np.array(
    [[0, 1, 1, 0, 0], [1, 0, 0, 0, 0], [1, 0, 0, 1, 1]], dtype="float32"
)


def forward(w, activation="sigmoid"):
    hidden = ACTIVATIONS[activation](ROWS @ w["W"] + w["V"] + w["b"])
    return hidden @ w["I"].T + w["b_out"]


class TestCDAE:
    @pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
    def test_score_is_uncorrupted_forward_pass(self, activation):
        model, w = hand_set_cdae(corruption=0.5, hidden_activation=activation)
        scores = model.score([0, 1, 2])
        assert scores.shape == (3, 5)
        np.testing.assert_allclose(
            scores, forward(w, activation), rtol=1e-5, atol=1e-6
        )
        # Inference never drops inputs: the same scores again.
        np.testing.assert_array_equal(model.score([0, 1, 2]), scores)
        np.testing.assert_allclose(
            model.score([2, 0])[0],
            forward(w, activation)[2],
            rtol=1e-5,
            atol=1e-6,
        )

    def test_training_forward_pass_is_corrupted(self):
        model, w = hand_set_cdae(corruption=0.5)
        users = np.array([0, 1, 2])
        keras.utils.set_random_seed(3)
        outputs = [
            model({"user": users}, training=True)["rank"] for _ in range(4)
        ]
        clean = forward(w)
        assert any(
            not np.allclose(out, clean, rtol=1e-5, atol=1e-6) for out in outputs
        )

    def test_loss_is_cross_entropy_per_interaction(self):
        model, w = hand_set_cdae(corruption=0.0, l2=0.0)
        x = {"user": np.array([0, 2])}
        loss = model.compute_loss(x, None, model(x, training=True))
        logits = forward(w)[[0, 2]]
        rows = ROWS[[0, 2]]
        bce = (
            np.maximum(logits, 0)
            - logits * rows
            + np.log1p(np.exp(-np.abs(logits)))
        )
        # 2 + 3 observed interactions.
        assert float(loss) == pytest.approx(bce.sum() / 5, rel=1e-5)

    def test_score_needs_adapt(self):
        model = CDAE(num_users=3, num_items=5, embedding_dim=2)
        with pytest.raises(
            ValueError, match=r"call `model.adapt\(train\)` first"
        ):
            model.score([0])

    @pytest.mark.parametrize("corruption", [1.0, -0.1, 1.5])
    def test_bad_corruption(self, corruption):
        with pytest.raises(
            ValueError, match=rf"`corruption`.*corruption={corruption}"
        ):
            CDAE(num_users=3, num_items=5, corruption=corruption)

    def test_bad_activation(self):
        with pytest.raises(ValueError, match="hidden_activation='softmax'"):
            CDAE(num_users=3, num_items=5, hidden_activation="softmax")

    def test_learns_planted_blocks(self, trained):
        model, history = trained("cdae")
        recall = evaluate_ranking(model, trained.heldout, trained.split.train)
        assert recall["recall@10"] >= 0.6
        assert planted.random_recall_at_10(trained.split) < 0.2
        assert history["rank_loss"][-1] < history["rank_loss"][0]

    def test_single_task_rejects_head_arguments(self):
        assert CDAE(num_users=3, num_items=5, alpha=1.0).alpha == 1.0
        with pytest.raises(
            ValueError,
            match=r"CDAE is single-task: its `alpha` is 1.0. Received: alpha=0.5",
        ):
            CDAE(num_users=3, num_items=5, alpha=0.5)
        for key, value in (
            ("ranker", "bpr"),
            ("rater", "svd"),
            ("post_consumption", True),
            ("activation", "tanh"),
        ):
            with pytest.raises(
                ValueError, match=f"CDAE fixes its heads and takes no `{key}`"
            ):
                CDAE(num_users=3, num_items=5, **{key: value})


class TestCDAESerialization(TestCase):
    def test_serialization(self):
        revived = self.run_serialization_test(
            CDAE(
                num_users=3,
                num_items=4,
                embedding_dim=2,
                corruption=0.4,
                hidden_activation="relu",
            )
        )
        assert revived.ranker.corruption == 0.4
        assert revived.ranker.hidden_activation == "relu"

    def test_saving(self, trained, tmp_path):
        model, _ = trained("cdae")
        users = np.arange(trained.split.num_users)
        loaded = self.run_model_saving_test(
            model, tmp_path, lambda m: m.score(users)
        )
        assert loaded.ranker.corruption == model.ranker.corruption
        # CDAE encodes the data handed back by `adapt`, not a stored copy.
        np.testing.assert_array_equal(
            loaded.interaction_history.user_items(5),
            model.interaction_history.user_items(5),
        )
