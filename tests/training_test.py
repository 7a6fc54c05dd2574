import keras
import numpy as np
import pytest

from rnr_keras import training
from tests import planted
from tests.test_case import TestCase

RANKING_KEYS = {"recall@10", "mrr@10", "ndcg@10", "users"}


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
