import keras
import numpy as np
import pytest

from rnr_keras import training
from rnr_keras.layers import BPRRanker
from rnr_keras.layers import CDAERanker
from rnr_keras.layers import SVDRater
from rnr_keras.models import BPR
from rnr_keras.models import CDAE
from rnr_keras.models import SVD
from rnr_keras.models import Popularity
from rnr_keras.models import RnRModel
from rnr_keras.models import VanillaModel
from tests import planted
from tests.test_case import TestCase

EXPECTED = {
    "popularity": (Popularity, None, None),
    "svd": (SVD, None, SVDRater),
    "bpr": (BPR, BPRRanker, None),
    "cdae": (CDAE, CDAERanker, None),
    "vanilla-bpr-svd": (VanillaModel, BPRRanker, SVDRater),
    "vanilla-cdae-svd": (VanillaModel, CDAERanker, SVDRater),
    "rnr-bpr-svd": (RnRModel, BPRRanker, SVDRater),
    "rnr-cdae-svd": (RnRModel, CDAERanker, SVDRater),
}
RANKING_KEYS = {"recall@10", "mrr@10", "ndcg@10", "users"}


class TestBuildModel:
    def test_every_name(self):
        assert sorted(training.MODELS) == sorted(EXPECTED)
        assert sorted(training.LABELS) == sorted(EXPECTED)
        for name, (cls, ranker, rater) in EXPECTED.items():
            model = training.build_model(name, num_users=4, num_items=6)
            assert type(model) is cls, name
            assert (model.num_users, model.num_items) == (4, 6)
            if cls is not Popularity:
                assert type(model.ranker) is ranker or (
                    ranker is None and model.ranker is None
                ), name
                assert type(model.rater) is rater or (
                    rater is None and model.rater is None
                ), name

    def test_hyperparameters_reach_the_model(self):
        model = training.build_model(
            "rnr-bpr-svd",
            num_users=4,
            num_items=6,
            alpha=0.5,
            l2=0.01,
            embedding_dim=3,
        )
        assert (model.alpha, model.l2, model.embedding_dim) == (0.5, 0.01, 3)

    @pytest.mark.parametrize(
        "name", ["cdae", "vanilla-cdae-svd", "rnr-cdae-svd"]
    )
    def test_cdae_options(self, name):
        model = training.build_model(
            name,
            num_users=4,
            num_items=6,
            corruption=0.5,
            hidden_activation="tanh",
        )
        assert model.ranker.corruption == 0.5
        assert model.ranker.hidden_activation == "tanh"

    @pytest.mark.parametrize("name", ["bpr", "rnr-bpr-svd", "svd"])
    def test_cdae_options_elsewhere(self, name):
        with pytest.raises(
            ValueError,
            match=rf"\['corruption'\] only apply to CDAE models, not '{name}'",
        ):
            training.build_model(name, num_users=4, num_items=6, corruption=0.5)

    def test_unknown_name(self):
        with pytest.raises(
            ValueError, match=r"Unknown model 'foo'. Known: \['bpr', "
        ):
            training.build_model("foo", num_users=4, num_items=6)


class TestFitAndEvaluate(TestCase):
    def test_popularity_needs_no_training(self):
        split = planted.block_split()
        model = training.build_model(
            "popularity", split.num_users, split.num_items
        )
        result = training.fit_model(model, split, verbose=0)
        assert result["epochs"] == 0 and result["history"] == {}
        assert set(result) == {
            "epochs",
            "best_epoch",
            "history",
            "train_seconds",
        }
        np.testing.assert_array_equal(
            model.score([0])[0], split.train.item_counts()
        )
        metrics = training.evaluate_model(model, split)
        assert set(metrics) == {"val", "test"}
        assert set(metrics["val"]) == RANKING_KEYS
        assert metrics["test"]["users"] == len(split.test)

    @pytest.mark.parametrize("name", ["rnr-bpr-svd", "cdae"])
    def test_fit_then_evaluate(self, name):
        split = planted.block_split()
        model = training.build_model(
            name, split.num_users, split.num_items, embedding_dim=8
        )
        result = training.fit_model(
            model,
            split,
            epochs=3,
            patience=1,
            batch_size=32,
            optimizer=keras.optimizers.Adam(0.05),
            verbose=0,
        )
        assert set(result) == {
            "epochs",
            "best_epoch",
            "history",
            "train_seconds",
        }
        history = result["history"]
        assert {"loss", "rank_loss", "rating_loss", training.MONITOR} <= set(
            history
        )
        assert 1 <= result["epochs"] <= 3
        assert len(history[training.MONITOR]) == result["epochs"]
        values = history[training.MONITOR]
        assert result["best_epoch"] == 1 + int(np.argmax(values))
        assert result["train_seconds"] > 0

        metrics = training.evaluate_model(model, split)
        assert set(metrics) == {"val", "test"}
        rating_keys = {"rmse", "mae"} if model.rater is not None else set()
        for part in ("val", "test"):
            assert set(metrics[part]) == RANKING_KEYS | rating_keys
        # The best epoch's weights are the ones left in the model.
        assert metrics["val"]["recall@10"] == pytest.approx(max(values))
