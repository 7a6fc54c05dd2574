import numpy as np
import pytest

from rnr_keras.evaluation import evaluate_rating
from rnr_keras.models import SVD
from tests import planted
from tests.test_case import TestCase

U = np.array([[1.0, 2.0], [-1.0, 0.5], [0.0, 1.0]], dtype="float32")
I = np.array(
    [[1.0, 0.0], [0.0, 1.0], [2.0, -1.0], [0.5, 0.5], [-1.0, -1.0]],
    dtype="float32",
)
B_USER = np.array([0.5, -0.5, 0.25], dtype="float32")
B_ITEM = np.array([0.1, -0.2, 0.3, 0.0, -0.4], dtype="float32")


def hand_set_svd(l2=0.0):
    train = planted.tiny_train()
    model = SVD(num_users=3, num_items=5, embedding_dim=2, l2=l2).adapt(train)
    model.user_embedding.embeddings.assign(U)
    model.item_embedding.embeddings.assign(I)
    model.rater.user_bias.assign(B_USER)
    model.rater.item_bias.assign(B_ITEM)
    return model


def expected_ratings():
    mu = np.mean(planted.tiny_train().ratings)
    return mu + B_USER[:, None] + B_ITEM[None, :] + U @ I.T


class TestSVD:
    def test_adapt_sets_global_mean(self):
        model = hand_set_svd()
        # tiny_train ratings: 4, 5, 3, 2, 1, 5.
        assert float(model.rater.global_mean) == pytest.approx(20 / 6)

    def test_predict_rating_is_mu_plus_biases_plus_dot(self):
        model = hand_set_svd()
        users, items = np.array([0, 1, 2, 0]), np.array([2, 0, 4, 3])
        ratings = model.predict_rating(users, items)
        assert ratings.shape == (4,)
        # User 0, item 2: 20/6 + 0.5 + 0.3 + (2 - 2).
        assert ratings[0] == pytest.approx(20 / 6 + 0.8, rel=1e-6)
        np.testing.assert_allclose(
            ratings, expected_ratings()[users, items], rtol=1e-6
        )

    def test_score_ranks_by_predicted_rating(self):
        model = hand_set_svd()
        np.testing.assert_allclose(
            model.score([0, 1, 2]), expected_ratings(), rtol=1e-6
        )

    def test_loss_is_squared_error_plus_l2(self):
        model = hand_set_svd(l2=0.1)
        # Zero biases: only the factors' squared norms are penalised.
        model.rater.user_bias.assign(np.zeros(3, "float32"))
        model.rater.item_bias.assign(np.zeros(5, "float32"))
        x = {"user": np.array([0, 1, 2]), "item": np.array([2, 0, 4])}
        y = np.array([4.0, 3.0, 5.0])
        y_pred = model(x, training=True)
        assert sorted(y_pred) == ["rating"]
        loss = model.compute_loss(x, y, y_pred)
        mu = np.mean(planted.tiny_train().ratings)
        error = mu + (U @ I.T)[x["user"], x["item"]] - y
        norms = (U[x["user"]] ** 2).sum(1) + (I[x["item"]] ** 2).sum(1)
        expected = np.mean(error**2) + 0.1 * norms.mean()
        assert float(loss) == pytest.approx(expected, rel=1e-5)

    def test_l2_also_penalises_biases(self):
        model = hand_set_svd(l2=0.1)
        x = {"user": np.array([0, 1, 2, 0]), "item": np.array([2, 0, 4, 2])}
        y = np.array([4.0, 3.0, 5.0, 1.0])
        loss = model.compute_loss(x, y, model(x, training=True))
        users, items = x["user"], x["item"]
        error = expected_ratings()[users, items] - y
        norms = (
            (U[users] ** 2).sum(1)
            + (I[items] ** 2).sum(1)
            + B_USER[users] ** 2
            + B_ITEM[items] ** 2
        )
        expected = np.mean(error**2) + 0.1 * norms.mean()
        assert float(loss) == pytest.approx(expected, rel=1e-5)

    def test_trains_no_ranker_and_needs_no_negatives(self):
        model = hand_set_svd()
        assert model.ranker is None and model.alpha == 0.0
        assert not model.needs_negatives

    def test_rmse_beats_global_mean(self, trained):
        model, history = trained("svd")
        heldout = trained.heldout
        mean = float(np.mean(trained.split.train.ratings))
        baseline = float(np.sqrt(np.mean((heldout.ratings - mean) ** 2)))
        rmse = evaluate_rating(model, heldout)["rmse"]
        assert baseline > 0.8
        assert rmse < 0.6 * baseline
        assert history["rating_loss"][-1] < history["rating_loss"][0]
        np.testing.assert_array_equal(history["rank_loss"], 0.0)

    def test_single_task_rejects_head_arguments(self):
        assert SVD(num_users=3, num_items=5, alpha=0.0).alpha == 0.0
        with pytest.raises(
            ValueError,
            match=r"SVD is single-task: its `alpha` is 0.0. Received: alpha=0.5",
        ):
            SVD(num_users=3, num_items=5, alpha=0.5)
        for key, value in (
            ("ranker", "bpr"),
            ("rater", "svd"),
            ("post_consumption", True),
            ("activation", "tanh"),
        ):
            with pytest.raises(
                ValueError, match=f"SVD fixes its heads and takes no `{key}`"
            ):
                SVD(num_users=3, num_items=5, **{key: value})


class TestSVDSerialization(TestCase):
    def test_serialization(self):
        revived = self.run_serialization_test(
            SVD(num_users=3, num_items=4, embedding_dim=2, l2=0.01)
        )
        assert (revived.embedding_dim, revived.l2) == (2, 0.01)

    def test_saving(self, trained, tmp_path):
        model, _ = trained("svd")
        users = np.arange(trained.split.num_users)
        loaded = self.run_model_saving_test(
            model,
            tmp_path,
            lambda m: np.concatenate(
                [m.score(users).ravel(), m.predict_rating(users, users % 7)]
            ),
        )
        assert float(loaded.rater.global_mean) == pytest.approx(
            float(np.mean(trained.split.train.ratings))
        )
