import keras
import numpy as np
import pytest

from rnr_keras import inputs
from rnr_keras.evaluation import evaluate_ranking
from rnr_keras.layers import BPRRanker
from rnr_keras.layers import CDAERanker
from rnr_keras.models import RnRModel
from tests import planted
from tests.test_case import TestCase

RNG = np.random.default_rng(0)
U = RNG.normal(size=(3, 2)).astype("float32")
I = RNG.normal(size=(5, 2)).astype("float32")
DEV = RNG.normal(size=(5, 2)).astype("float32")
KERNEL = np.array([[0.5, -1.0], [1.5, 0.25]], dtype="float32")
BIAS = np.array([0.1, -0.2], dtype="float32")
B_USER = np.array([0.5, -0.5, 0.25], dtype="float32")
B_ITEM = np.array([0.1, -0.2, 0.3, 0.0, -0.4], dtype="float32")
B_RANK = np.array([1.0, 0.0, -1.0, 0.5, 0.0], dtype="float32")
ACTIVATIONS = {
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(z, 0),
    "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
    "linear": lambda z: z,
}


def hand_set_rnr(activation="tanh", **kwargs):
    model = RnRModel(
        num_users=3,
        num_items=5,
        embedding_dim=2,
        activation=activation,
        **kwargs,
    ).adapt(planted.tiny_train())
    model.user_embedding.embeddings.assign(U)
    model.item_embedding.embeddings.assign(I)
    model.post.deviation.assign(DEV)
    model.post.kernel.assign(KERNEL)
    model.post.bias.assign(BIAS)
    model.rater.user_bias.assign(B_USER)
    model.rater.item_bias.assign(B_ITEM)
    if isinstance(model.ranker, BPRRanker):
        model.ranker.item_bias.assign(B_RANK)
    return model


def expected_ratings(activation="tanh"):
    fc = ACTIVATIONS[activation]
    mu = np.mean(planted.tiny_train().ratings)
    p_post = fc(U @ KERNEL + BIAS)
    q_post = fc((I + DEV) @ KERNEL + BIAS)
    return mu + B_USER[:, None] + B_ITEM + p_post @ q_post.T


def weights_of(*layers):
    """All weights of `layers` (frozen ones too), by path."""
    return {v.path: v.numpy().copy() for layer in layers for v in layer.weights}


def trainable_of(*layers):
    return {
        v.path: v.numpy().copy()
        for layer in layers
        for v in layer.trainable_weights
    }


def fit_briefly(model, train):
    """One epoch of two-example batches, without XLA's compile time."""
    model.compile(optimizer=keras.optimizers.Adam(0.1), jit_compile=False)
    return model.fit(
        inputs.dataset_for(model, train, batch_size=2), epochs=1, verbose=0
    ).history


class TestRnRModel:
    @pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
    def test_rating_uses_tied_post_consumption_vectors(self, activation):
        model = hand_set_rnr(activation)
        users, items = np.array([0, 1, 2, 2]), np.array([4, 0, 3, 1])
        np.testing.assert_allclose(
            model.predict_rating(users, items),
            expected_ratings(activation)[users, items],
            rtol=1e-5,
        )

    def test_rating_differs_from_raw_dot_product(self):
        # Guards the hand check above against a model that ignores post.
        model = hand_set_rnr()
        mu = np.mean(planted.tiny_train().ratings)
        raw = mu + B_USER[:, None] + B_ITEM + U @ I.T
        assert not np.allclose(expected_ratings(), raw, atol=1e-2)
        assert not np.allclose(
            model.predict_rating([0, 1], [0, 1]), raw[[0, 1], [0, 1]], atol=1e-2
        )

    def test_ranking_uses_raw_embeddings(self):
        model = hand_set_rnr()
        np.testing.assert_allclose(
            model.score([0, 1, 2]), U @ I.T + B_RANK, rtol=1e-5
        )

    def test_deviation_starts_at_zero(self):
        model = RnRModel(num_users=3, num_items=5, embedding_dim=2)
        np.testing.assert_array_equal(model.post.deviation.numpy(), 0.0)
        np.testing.assert_array_equal(model.post.bias.numpy(), 0.0)

    def test_call_returns_rank_and_rating(self):
        model = hand_set_rnr()
        out = model({"user": np.array([0, 1]), "item": np.array([4, 0])})
        assert sorted(out) == ["rank", "rating"]
        np.testing.assert_allclose(
            out["rating"], expected_ratings()[[0, 1], [4, 0]], rtol=1e-5
        )
        np.testing.assert_allclose(
            out["rank"], (U @ I.T + B_RANK)[[0, 1], [4, 0]], rtol=1e-5
        )

    def test_loss_by_hand(self):
        model = hand_set_rnr(alpha=0.75, l2=0.1)
        # Zero rater biases, so the check holds whether or not they are
        # penalised: what is checked is |Id|^2 and |theta|^2.
        model.rater.user_bias.assign(np.zeros(3, "float32"))
        model.rater.item_bias.assign(np.zeros(5, "float32"))
        x = {
            "user": np.array([0, 2]),
            "item": np.array([1, 3]),
            "negative": np.array([0, 1]),
        }
        y = np.array([4.0, 1.0])
        loss = model.compute_loss(x, y, model(x, training=True))
        users, items, negatives = x["user"], x["item"], x["negative"]
        s = U @ I.T + B_RANK
        diff = s[users, items] - s[users, negatives]
        rank = np.mean(np.log1p(np.exp(-diff)))
        predicted = (expected_ratings() - B_USER[:, None] - B_ITEM)[
            users, items
        ]
        rating = np.mean((predicted - y) ** 2)
        norms = (
            (U[users] ** 2).sum(1)
            + (I[items] ** 2).sum(1)
            + (I[negatives] ** 2).sum(1)
            + (DEV[items] ** 2).sum(1)
        )
        theta = (KERNEL**2).sum() + (BIAS**2).sum()
        expected = 0.75 * rank + 0.25 * rating + 0.1 * (norms.mean() + theta)
        assert float(loss) == pytest.approx(expected, rel=1e-5)

    @pytest.mark.parametrize("ranker", ["bpr", "cdae"])
    def test_learns_planted_blocks(self, trained, ranker):
        model, history = trained(f"rnr-{ranker}")
        recall = evaluate_ranking(model, trained.heldout, trained.split.train)
        assert recall["recall@10"] >= 0.6
        assert planted.random_recall_at_10(trained.split) < 0.2
        assert {"loss", "rank_loss", "rating_loss"} <= set(history)
        assert history["rating_loss"][-1] < 0.5 * history["rating_loss"][0]

    @pytest.mark.parametrize("ranker", ["bpr", "cdae"])
    def test_alpha_one_leaves_rating_head_unchanged(self, ranker):
        train = planted.tiny_train()
        model = RnRModel(
            num_users=3,
            num_items=5,
            ranker=ranker,
            embedding_dim=2,
            alpha=1.0,
            l2=0.1,
        ).adapt(train)
        # Non-zero values, so that a penalty on them would move them.
        model.post.deviation.assign(DEV)
        model.rater.user_bias.assign(B_USER)
        model.rater.item_bias.assign(B_ITEM)
        rating_head = weights_of(model.rater, model.post)
        assert len(rating_head) == 6
        ranker_before = trainable_of(model.ranker)
        assert ranker_before
        history = fit_briefly(model, train)
        for path, value in weights_of(model.rater, model.post).items():
            np.testing.assert_array_equal(
                value, rating_head[path], err_msg=path
            )
        for path, value in trainable_of(model.ranker).items():
            assert not np.array_equal(value, ranker_before[path]), path
        np.testing.assert_array_equal(history["rating_loss"], 0.0)
        assert history["rank_loss"][0] > 0

    @pytest.mark.parametrize("ranker", ["bpr", "cdae"])
    def test_alpha_zero_leaves_ranker_unchanged(self, ranker):
        train = planted.tiny_train()
        model = RnRModel(
            num_users=3,
            num_items=5,
            ranker=ranker,
            embedding_dim=2,
            alpha=0.0,
            l2=0.1,
        ).adapt(train)
        if ranker == "bpr":
            model.ranker.item_bias.assign(B_RANK)
            assert not model.needs_negatives
        else:
            model.ranker.hidden_bias.assign([0.5, -0.5])
        ranker_before = weights_of(model.ranker)
        assert len(ranker_before) == (1 if ranker == "bpr" else 3)
        rating_head = trainable_of(model.rater, model.post)
        assert len(rating_head) == 5
        history = fit_briefly(model, train)
        for path, value in weights_of(model.ranker).items():
            np.testing.assert_array_equal(
                value, ranker_before[path], err_msg=path
            )
        for path, value in trainable_of(model.rater, model.post).items():
            assert not np.array_equal(value, rating_head[path]), path
        np.testing.assert_array_equal(history["rank_loss"], 0.0)
        assert history["rating_loss"][0] > 0

    @pytest.mark.parametrize("alpha", [1.3, -0.1])
    def test_bad_alpha(self, alpha):
        with pytest.raises(
            ValueError,
            match=rf"`alpha` must be in \[0, 1\]. Received: alpha={alpha}",
        ):
            RnRModel(num_users=3, num_items=5, alpha=alpha)

    @pytest.mark.parametrize("heads", [{"ranker": None}, {"rater": None}])
    def test_needs_both_heads(self, heads):
        with pytest.raises(ValueError, match="needs both a ranker and a rater"):
            RnRModel(num_users=3, num_items=5, **heads)

    def test_bad_activation(self):
        with pytest.raises(ValueError, match="activation='softmax'"):
            RnRModel(num_users=3, num_items=5, activation="softmax")


class TestRnRModelSerialization(TestCase):
    def test_serialization(self):
        revived = self.run_serialization_test(
            RnRModel(
                num_users=3,
                num_items=5,
                embedding_dim=2,
                alpha=0.7,
                l2=0.01,
                activation="relu",
            )
        )
        assert (revived.alpha, revived.activation) == (0.7, "relu")
        assert "post_consumption" not in revived.get_config()

    def test_custom_ranker_round_trips_with_its_options(self, tmp_path):
        model = RnRModel(
            num_users=3,
            num_items=5,
            embedding_dim=2,
            ranker=CDAERanker(corruption=0.5, hidden_activation="tanh"),
        )
        revived = self.run_serialization_test(model)
        assert isinstance(revived.ranker, CDAERanker)
        assert (
            revived.ranker.corruption,
            revived.ranker.hidden_activation,
        ) == (0.5, "tanh")
        assert revived.input_mode == "rows"

        model.adapt(planted.tiny_train())
        users = np.array([0, 1, 2])
        loaded = self.run_model_saving_test(
            model,
            tmp_path,
            lambda m: np.concatenate(
                [m.score(users).ravel(), m.predict_rating(users, [4, 0, 3])]
            ),
        )
        assert (loaded.ranker.corruption, loaded.ranker.hidden_activation) == (
            0.5,
            "tanh",
        )

    @pytest.mark.parametrize("ranker", ["bpr", "cdae"])
    def test_saving(self, trained, tmp_path, ranker):
        model, _ = trained(f"rnr-{ranker}")
        users = np.arange(trained.split.num_users)
        self.run_model_saving_test(
            model,
            tmp_path,
            lambda m: np.concatenate(
                [m.score(users).ravel(), m.predict_rating(users, users % 11)]
            ),
        )
