import numpy as np
import pytest

from rnr_keras.evaluation import evaluate_ranking
from rnr_keras.models import VanillaModel
from tests import planted
from tests.test_case import TestCase

RNG = np.random.default_rng(1)
U = RNG.normal(size=(3, 2)).astype("float32")
I = RNG.normal(size=(5, 2)).astype("float32")
B_USER = np.array([0.5, -0.5, 0.25], dtype="float32")
B_ITEM = np.array([0.1, -0.2, 0.3, 0.0, -0.4], dtype="float32")
B_RANK = np.array([1.0, 0.0, -1.0, 0.5, 0.0], dtype="float32")


def hand_set_vanilla():
    model = VanillaModel(num_users=3, num_items=5, embedding_dim=2)
    model.adapt(planted.tiny_train())
    model.user_embedding.embeddings.assign(U)
    model.item_embedding.embeddings.assign(I)
    model.rater.user_bias.assign(B_USER)
    model.rater.item_bias.assign(B_ITEM)
    model.ranker.item_bias.assign(B_RANK)
    return model


class TestVanillaModel:
    def test_rating_uses_raw_embeddings(self):
        model = hand_set_vanilla()
        assert model.post is None
        mu = np.mean(planted.tiny_train().ratings)
        expected = mu + B_USER[:, None] + B_ITEM + U @ I.T
        users, items = np.array([0, 1, 2, 2]), np.array([4, 0, 3, 1])
        np.testing.assert_allclose(
            model.predict_rating(users, items),
            expected[users, items],
            rtol=1e-5,
        )

    def test_ranking_shares_the_rating_embeddings(self):
        model = hand_set_vanilla()
        np.testing.assert_allclose(
            model.score([0, 1, 2]), U @ I.T + B_RANK, rtol=1e-5
        )

    def test_loss_weighs_rank_and_rating_by_alpha(self):
        model = VanillaModel(
            num_users=3, num_items=5, embedding_dim=2, alpha=0.25, l2=0.0
        )
        model.adapt(planted.tiny_train())
        model.user_embedding.embeddings.assign(U)
        model.item_embedding.embeddings.assign(I)
        model.ranker.item_bias.assign(B_RANK)
        x = {
            "user": np.array([0, 2]),
            "item": np.array([1, 3]),
            "negative": np.array([0, 1]),
        }
        y = np.array([4.0, 1.0])
        loss = model.compute_loss(x, y, model(x, training=True))
        s = U @ I.T + B_RANK
        diff = s[[0, 2], [1, 3]] - s[[0, 2], [0, 1]]
        rank = np.mean(np.log1p(np.exp(-diff)))
        mu = np.mean(planted.tiny_train().ratings)
        rating = np.mean((mu + (U @ I.T)[[0, 2], [1, 3]] - y) ** 2)
        assert float(loss) == pytest.approx(
            0.25 * rank + 0.75 * rating, rel=1e-5
        )

    def test_learns_planted_blocks(self, trained):
        model, history = trained("vanilla-bpr")
        recall = evaluate_ranking(model, trained.heldout, trained.split.train)
        assert recall["recall@10"] >= 0.6
        assert {"loss", "rank_loss", "rating_loss"} <= set(history)

    @pytest.mark.parametrize("heads", [{"ranker": None}, {"rater": None}])
    def test_needs_both_heads(self, heads):
        with pytest.raises(ValueError, match="needs both a ranker and a rater"):
            VanillaModel(num_users=3, num_items=5, **heads)


class TestVanillaModelSerialization(TestCase):
    def test_serialization(self):
        revived = self.run_serialization_test(
            VanillaModel(
                num_users=3,
                num_items=5,
                ranker="cdae",
                embedding_dim=2,
                alpha=0.5,
            )
        )
        assert revived.input_mode == "rows" and revived.alpha == 0.5
        config = revived.get_config()
        assert "post_consumption" not in config and "activation" not in config

    def test_saving(self, trained, tmp_path):
        model, _ = trained("vanilla-bpr")
        users = np.arange(trained.split.num_users)
        self.run_model_saving_test(
            model,
            tmp_path,
            lambda m: np.concatenate(
                [m.score(users).ravel(), m.predict_rating(users, users % 13)]
            ),
        )
