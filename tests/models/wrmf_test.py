import keras
import numpy as np
import pytest

from rnr_keras import inputs
from rnr_keras import registry
from rnr_keras.datasets import Interactions
from rnr_keras.evaluation import evaluate_ranking
from rnr_keras.layers import SVDppRater
from rnr_keras.layers import SVDRater
from rnr_keras.layers import WRMFRanker
from rnr_keras.models import WRMF
from rnr_keras.models import RnRModel
from rnr_keras.models import VanillaModel
from tests import planted
from tests.test_case import TestCase

U = np.array([[1.0, 2.0], [-1.0, 0.5]], dtype="float32")
I = np.array([[1.0, 0.0], [0.0, 1.0], [2.0, -1.0]], dtype="float32")
TRAIN = Interactions(
    users=[0, 0, 1], items=[0, 1, 2], num_users=2, num_items=3
)


def hand_set_wrmf(l2=0.0, **kwargs):
    model = WRMF(num_users=2, num_items=3, embedding_dim=2, l2=l2, **kwargs)
    model.adapt(TRAIN)
    model.user_embedding.embeddings.assign(U)
    model.item_embedding.embeddings.assign(I)
    return model


def train_on_planted(model, split, epochs=8, learning_rate=0.05):
    """The planted-data recipe of tests/models/conftest.py (pair batches)."""
    model.adapt(split.train)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate), jit_compile=False
    )
    history = model.fit(
        inputs.dataset_for(model, split.train, batch_size=64, seed=0),
        epochs=epochs,
        verbose=0,
    )
    return history.history


@pytest.fixture(scope="module")
def planted_wrmf():
    keras.utils.set_random_seed(0)
    split = planted.block_split(0)
    model = WRMF(split.num_users, split.num_items, embedding_dim=8, l2=1e-4)
    return model, split, train_on_planted(model, split)


class TestWRMF:
    def test_score_is_dot_product(self):
        scores = hand_set_wrmf().score([0, 1])
        np.testing.assert_allclose(scores, U @ I.T, rtol=1e-6)

    def test_loss_over_one_epoch_is_the_full_objective_plus_l2(self):
        model = hand_set_wrmf(l2=0.1, confidence=1.0, unobserved_weight=0.5)
        assert not model.needs_negatives and model.uses_history
        x = {"user": np.array([0, 0, 1]), "item": np.array([0, 1, 2])}
        y_pred = model(x, training=True)
        assert sorted(y_pred) == ["rank"]
        loss = float(model.compute_loss(x, np.ones(3), y_pred))
        # Observed 2 * [(1 - 1)^2 + (1 - 2)^2 + (1 + 2.5)^2] = 26.5; the
        # unobserved cells (0, 2), (1, 0), (1, 1) score 0, -1, 0.5:
        # 0.5 * 1.25. l2: |p_u|^2 + |q_i|^2 = 6, 6, 6.25.
        expected = (26.5 + 0.625) / 3 + 0.1 * (6 + 6 + 6.25) / 3
        assert loss == pytest.approx(expected, rel=1e-5)

    def test_sampled_zeros_loss_by_hand(self):
        model = hand_set_wrmf(confidence=1.0, unobserved_weight=0.5, zeros="sampled")
        assert model.needs_negatives and not model.uses_history
        x = {
            "user": np.array([0, 1]),
            "item": np.array([1, 2]),
            "negative": np.array([2, 0]),
        }
        y_pred = model(x, training=True)
        assert sorted(y_pred) == ["rank", "rank_negative"]
        loss = float(model.compute_loss(x, np.ones(2), y_pred))
        # 2 * (1 - 2)^2 + 0.5 * 0^2 and 2 * 3.5^2 + 0.5 * (-1)^2.
        assert loss == pytest.approx((2.0 + 25.0) / 2, rel=1e-6)

    def test_gramian_gradient_equals_brute_force(self):
        import tensorflow as tf

        model = hand_set_wrmf(confidence=1.0, unobserved_weight=0.5)
        x = {"user": np.array([0, 0, 1]), "item": np.array([0, 1, 2])}
        variables = [
            model.user_embedding.embeddings.value,
            model.item_embedding.embeddings.value,
        ]
        with tf.GradientTape() as tape:
            loss = model.compute_loss(x, np.ones(3), model(x, training=True))
        gradients = tape.gradient(loss, variables)
        with tf.GradientTape() as tape:
            users = tf.convert_to_tensor(model.user_embedding.embeddings)
            scores = tf.matmul(users, model.item_embedding.embeddings, transpose_b=True)
            observed = np.zeros((2, 3), "float32")
            observed[x["user"], x["item"]] = 1.0
            full = tf.reduce_sum(
                2.0 * observed * tf.square(1.0 - scores)
                + 0.5 * (1.0 - observed) * tf.square(scores)
            ) / 3.0
        expected = tape.gradient(full, variables)
        for got, want in zip(gradients, expected):
            np.testing.assert_allclose(
                tf.convert_to_tensor(got), want, rtol=1e-5, atol=1e-6
            )

    def test_learns_planted_blocks(self, planted_wrmf):
        model, split, history = planted_wrmf
        recall = evaluate_ranking(model, split.test, split.train)["recall@10"]
        assert recall >= 0.6 > 3 * planted.random_recall_at_10(split)
        assert history["rank_loss"][-1] < 0.5 * history["rank_loss"][0]

    def test_sampled_zeros_learn_planted_blocks(self):
        keras.utils.set_random_seed(0)
        split = planted.block_split(0)
        model = WRMF(
            split.num_users, split.num_items, embedding_dim=8, l2=1e-4,
            zeros="sampled",
        )
        train_on_planted(model, split)
        recall = evaluate_ranking(model, split.test, split.train)["recall@10"]
        assert recall >= 0.6

    def test_defaults_come_from_the_head(self):
        model = WRMF(num_users=2, num_items=3)
        assert model.default_learning_rate == WRMFRanker.default_learning_rate
        assert model.default_patience == WRMFRanker.default_patience

    def test_single_task_rejects_head_arguments(self):
        with pytest.raises(
            ValueError,
            match=r"WRMF is single-task: its `alpha` is 1.0. Received: alpha=0.5",
        ):
            WRMF(num_users=3, num_items=5, alpha=0.5)
        with pytest.raises(ValueError, match="WRMF fixes its heads and takes no `rater`"):
            WRMF(num_users=3, num_items=5, rater="svd")
        with pytest.raises(ValueError, match=r"Received: confidence=-2"):
            WRMF(num_users=3, num_items=5, confidence=-2)


class TestWRMFRegistry:
    def test_registered(self):
        entry = registry.algorithm("wrmf")
        assert (entry.label, entry.kind, entry.model, entry.head) == (
            "WRMF", "ranker", WRMF, WRMFRanker,
        )
        space = registry.spec("wrmf").space("wide")
        assert space["confidence"].default == 1.0 == WRMF(2, 3).confidence
        assert registry.label("rnr-wrmf-svdpp") == "RnR(WRMF,SVD++)"

    @pytest.mark.parametrize(
        "name, cls, rater",
        [
            ("rnr-wrmf-svdpp", RnRModel, SVDppRater),
            ("vanilla-wrmf-svd", VanillaModel, SVDRater),
        ],
    )
    def test_composed_models_train_one_epoch(self, name, cls, rater):
        keras.utils.set_random_seed(0)
        split = planted.block_split(0)
        model = registry.build_model(
            name, split.num_users, split.num_items, embedding_dim=4,
            alpha=0.5, confidence=2.0,
        )
        assert type(model) is cls and type(model.rater) is rater
        assert model.ranker.confidence == 2.0 and not model.needs_negatives
        history = train_on_planted(model, split, epochs=1)
        assert history["rank_loss"][0] > 0 and history["rating_loss"][0] > 0
        assert np.isfinite(history["loss"][0])
        assert np.isfinite(model.score(np.arange(split.num_users))).all()


class TestWRMFSerialization(TestCase):
    def test_serialization(self):
        revived = self.run_serialization_test(
            WRMF(
                num_users=3, num_items=4, embedding_dim=2, l2=0.01,
                confidence=9.0, unobserved_weight=0.5, zeros="sampled",
            )
        )
        assert (
            revived.confidence, revived.unobserved_weight, revived.zeros
        ) == (9.0, 0.5, "sampled")
        assert revived.ranker.needs_negatives

    def test_saving(self, planted_wrmf, tmp_path):
        model, split, _ = planted_wrmf
        users = np.arange(split.num_users)
        # A loaded model gets its data back with `adapt` before scoring.
        loaded = self.run_model_saving_test(
            model, tmp_path, lambda m: m.adapt(split.train).score(users)
        )
        assert loaded.zeros == "all" and loaded.confidence == model.confidence
