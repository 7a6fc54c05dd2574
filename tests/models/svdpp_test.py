import keras
import numpy as np
import pytest

from rnr_keras import inputs
from rnr_keras import registry
from rnr_keras.evaluation import evaluate_rating
from rnr_keras.layers import BPRRanker
from rnr_keras.layers import SVDppRater
from rnr_keras.models import RnRModel
from rnr_keras.models import SVDpp
from tests import planted
from tests.test_case import TestCase

U = np.array([[1.0, 2.0], [-1.0, 0.5], [0.0, 1.0]], dtype="float32")
I = np.array(
    [[1.0, 0.0], [0.0, 1.0], [2.0, -1.0], [0.5, 0.5], [-1.0, -1.0]],
    dtype="float32",
)
Y = np.array(
    [[0.5, 0.0], [0.0, 0.5], [1.0, 1.0], [-0.5, 0.5], [0.0, -1.0]],
    dtype="float32",
)
B_USER = np.array([0.5, -0.5, 0.25], dtype="float32")
B_ITEM = np.array([0.1, -0.2, 0.3, 0.0, -0.4], dtype="float32")
# planted.tiny_train: user 0 has items 1, 2; user 1 item 0; user 2 items
# 0, 3, 4; ratings 4, 5, 3, 2, 1, 5 (mean 20 / 6).
HISTORIES = {0: [1, 2], 1: [0], 2: [0, 3, 4]}
MU = 20 / 6


def hand_set_svdpp(l2=0.0):
    model = SVDpp(num_users=3, num_items=5, embedding_dim=2, l2=l2)
    model.adapt(planted.tiny_train())
    model.user_embedding.embeddings.assign(U)
    model.item_embedding.embeddings.assign(I)
    model.rater.user_bias.assign(B_USER)
    model.rater.item_bias.assign(B_ITEM)
    model.rater.implicit.assign(Y)
    return model


def implicit_users():
    return np.stack(
        [Y[HISTORIES[u]].sum(0) / np.sqrt(len(HISTORIES[u])) for u in range(3)]
    )


def expected_ratings():
    return MU + B_USER[:, None] + B_ITEM[None, :] + (U + implicit_users()) @ I.T


def train_on_planted(model, split, epochs=8, learning_rate=0.05):
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
def planted_svdpp():
    keras.utils.set_random_seed(0)
    split = planted.block_split(0)
    model = SVDpp(split.num_users, split.num_items, embedding_dim=8, l2=1e-4)
    return model, split, train_on_planted(model, split)


class TestSVDpp:
    def test_predict_rating_by_hand(self):
        model = hand_set_svdpp()
        ratings = model.predict_rating([0, 2, 1], [3, 1, 0])
        # User 0, item 3: mu + 0.5 + 0 + (0.5, 0.5) . ((1, 2) + (y_1 + y_2)
        # / sqrt 2) with y_1 + y_2 = (1, 1.5).
        by_hand = MU + 0.5 + 0.5 * 3.0 + 0.5 * 2.5 / np.sqrt(2.0)
        assert ratings[0] == pytest.approx(by_hand, rel=1e-6)
        np.testing.assert_allclose(
            ratings, expected_ratings()[[0, 2, 1], [3, 1, 0]], rtol=1e-6
        )

    def test_score_ranks_by_predicted_rating(self):
        np.testing.assert_allclose(
            hand_set_svdpp().score([0, 1, 2]), expected_ratings(), rtol=1e-6
        )

    def test_loss_is_squared_error_plus_l2_with_mean_implicit_norms(self):
        model = hand_set_svdpp(l2=0.1)
        x = {"user": np.array([0, 1, 2, 2]), "item": np.array([2, 0, 4, 0])}
        y = np.array([5.0, 3.0, 5.0, 2.0])
        y_pred = model(x, training=True)
        assert sorted(y_pred) == ["rating"]
        loss = float(model.compute_loss(x, y, y_pred))
        users, items = x["user"], x["item"]
        error = expected_ratings()[users, items] - y
        implicit_norms = np.array(
            [np.mean((Y[HISTORIES[u]] ** 2).sum(1)) for u in users]
        )
        norms = (
            (U[users] ** 2).sum(1)
            + (I[items] ** 2).sum(1)
            + B_USER[users] ** 2
            + B_ITEM[items] ** 2
            + implicit_norms
        )
        expected = np.mean(error**2) + 0.1 * norms.mean()
        assert loss == pytest.approx(expected, rel=1e-5)

    def test_scoring_without_adapt_is_a_clear_error(self):
        model = SVDpp(num_users=3, num_items=5, embedding_dim=2)
        assert model.uses_history
        with pytest.raises(
            ValueError,
            match=r"SVDpp needs its training data for scoring: call "
            r"`model.adapt\(train\)` first",
        ):
            model.score([0])
        with pytest.raises(
            ValueError, match=r"SVDpp needs the training interactions .* "
            r"`model.adapt\(train\)`"
        ):
            model.predict_rating([0], [1])

    def test_learns_planted_ratings(self, planted_svdpp):
        model, split, history = planted_svdpp
        heldout = split.test
        mean = float(np.mean(split.train.ratings))
        baseline = float(np.sqrt(np.mean((heldout.ratings - mean) ** 2)))
        rmse = evaluate_rating(model, heldout)["rmse"]
        assert baseline > 0.8
        assert rmse < 0.6 * baseline
        assert history["rating_loss"][-1] < 0.5 * history["rating_loss"][0]
        # The implicit-feedback vectors learnt (they start at zero).
        assert np.abs(model.rater.implicit.numpy()).max() > 1e-2

    def test_single_task_rejects_head_arguments(self):
        with pytest.raises(
            ValueError,
            match=r"SVDpp is single-task: its `alpha` is 0.0. Received: alpha=0.5",
        ):
            SVDpp(num_users=3, num_items=5, alpha=0.5)
        with pytest.raises(
            ValueError, match="SVDpp fixes its heads and takes no `ranker`"
        ):
            SVDpp(num_users=3, num_items=5, ranker="bpr")


class TestSVDppRegistry:
    def test_registered(self):
        entry = registry.algorithm("svdpp")
        assert (entry.label, entry.kind, entry.model, entry.head) == (
            "SVD++", "rater", SVDpp, SVDppRater,
        )

    def test_rnr_bpr_svdpp_trains_one_epoch(self):
        keras.utils.set_random_seed(0)
        split = planted.block_split(0)
        model = registry.build_model(
            "rnr-bpr-svdpp", split.num_users, split.num_items,
            embedding_dim=4, alpha=0.5,
        )
        assert type(model) is RnRModel
        assert type(model.ranker) is BPRRanker
        assert type(model.rater) is SVDppRater
        history = train_on_planted(model, split, epochs=1)
        assert history["rank_loss"][0] > 0 and history["rating_loss"][0] > 0
        # The implicit term lives in the post-consumption space and learns.
        assert np.abs(model.rater.implicit.numpy()).max() > 0
        assert np.isfinite(model.predict_rating(split.test.users, split.test.items)).all()


class TestSVDppSerialization(TestCase):
    def test_serialization(self):
        revived = self.run_serialization_test(
            SVDpp(num_users=3, num_items=4, embedding_dim=2, l2=0.01)
        )
        assert (revived.embedding_dim, revived.l2) == (2, 0.01)

    def test_saving(self, planted_svdpp, tmp_path):
        model, split, _ = planted_svdpp
        users = np.arange(split.num_users)
        items = split.test.items
        loaded = self.run_model_saving_test(
            model,
            tmp_path,
            lambda m: np.concatenate(
                [
                    m.adapt(split.train).score(users).ravel(),
                    m.predict_rating(split.test.users, items),
                ]
            ),
        )
        np.testing.assert_array_equal(
            loaded.rater.implicit.numpy(), model.rater.implicit.numpy()
        )

    def test_loaded_model_needs_adapt_before_scoring(self, tmp_path):
        path = str(tmp_path / "svdpp.keras")
        hand_set_svdpp().save(path)
        loaded = keras.saving.load_model(path)
        with pytest.raises(ValueError, match=r"model.adapt\(train\)"):
            loaded.score([0])
        loaded.adapt(planted.tiny_train())
        np.testing.assert_allclose(
            loaded.score([0, 1, 2]), expected_ratings(), rtol=1e-6
        )


class TestFitModelMonitor:
    """`training.fit_model(monitor=...)`, added for SVD++'s RMSE."""

    def test_early_stops_on_validation_rmse(self):
        from rnr_keras import training

        keras.utils.set_random_seed(0)
        split = planted.block_split(0)
        model = SVDpp(split.num_users, split.num_items, embedding_dim=4)
        fit = training.fit_model(
            model, split, epochs=3, patience=3, verbose=0, monitor="val_rmse",
            optimizer=keras.optimizers.Adam(0.05),
        )
        rmse = fit["history"]["val_rmse"]
        assert len(rmse) == fit["epochs"] == 3
        assert fit["best_epoch"] == int(np.argmin(rmse)) + 1
        # The best epoch's weights are restored.
        assert evaluate_rating(model, split.val)["rmse"] == pytest.approx(
            min(rmse), rel=1e-5
        )

    def test_bad_monitor(self):
        from rnr_keras import training

        split = planted.block_split(0)
        model = SVDpp(split.num_users, split.num_items)
        with pytest.raises(
            ValueError, match=r"`monitor` must be one of .* Received: monitor='loss'"
        ):
            training.fit_model(model, split, monitor="loss")
        ranker = registry.build_model("wrmf", split.num_users, split.num_items)
        with pytest.raises(ValueError, match="needs a model that trains a rater"):
            training.fit_model(ranker, split, monitor="val_rmse")
