import keras
import numpy as np
import pytest

from rnr_keras.datasets import Interactions
from rnr_keras.evaluation import RankingMetricsCallback
from rnr_keras.evaluation import evaluate_ranking
from rnr_keras.evaluation import ranking_metrics_callback as callback_module
from tests.test_case import TestCase

NUM_USERS, NUM_ITEMS = 24, 12


class DotModel(keras.Model):
    """Embedding dot product: `call((users, items))` gives logits, `score`
    gives every item's logit for each user."""

    def __init__(self, num_users, num_items, dim=4, **kwargs):
        super().__init__(**kwargs)
        self.users = keras.layers.Embedding(num_users, dim)
        self.items = keras.layers.Embedding(num_items, dim)
        self.num_items = num_items

    def call(self, inputs):
        users, items = inputs
        return keras.ops.sum(self.users(users) * self.items(items), axis=-1)

    def score(self, user_indices):
        all_items = self.items(keras.ops.arange(self.num_items))
        return keras.ops.matmul(
            self.users(user_indices), keras.ops.transpose(all_items)
        )


def planted_split():
    """Even users like items 0-5, odd users items 6-11. Each user holds out
    one liked item; training has the other liked items as positives."""
    users, items, labels = [], [], []
    train_users, train_items, held_users, held_items = [], [], [], []
    for user in range(NUM_USERS):
        liked = range(0, 6) if user % 2 == 0 else range(6, 12)
        held = liked[user % 6]
        held_users.append(user)
        held_items.append(held)
        for item in range(NUM_ITEMS):
            if item == held:
                continue
            users.append(user)
            items.append(item)
            labels.append(float(item in liked))
            if item in liked:
                train_users.append(user)
                train_items.append(item)
    train = Interactions(train_users, train_items, num_items=NUM_ITEMS)
    heldout = Interactions(held_users, held_items, num_items=NUM_ITEMS)
    x = (np.array(users, dtype="int32"), np.array(items, dtype="int32"))
    return train, heldout, x, np.array(labels, dtype="float32")


class Drift(keras.Model):
    """One weight `w` that SGD(lr=1) on loss `-w` raises by exactly 1 per
    step. Item `j` scores `-|j - w|`, so the held-out item 3 ranks
    4, 3, 1, 3, 5, ... at the ends of epochs 1, 2, 3, 4, 5 (w = 1, 2, ...)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.w = self.add_weight(shape=(), initializer="zeros", name="w")

    def call(self, x):
        return keras.ops.zeros_like(x[:, 0]) + self.w

    def score(self, user_indices):
        positions = np.arange(8, dtype="float32")
        w = float(keras.ops.convert_to_numpy(self.w))
        return np.tile(-np.abs(positions - w), (len(user_indices), 1))


def fit_drift(callbacks, epochs):
    model = Drift()
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=1.0),
        loss=lambda y_true, y_pred: -keras.ops.mean(y_pred),
    )
    history = model.fit(
        np.zeros((4, 1), "float32"),
        np.zeros((4,), "float32"),
        batch_size=4,
        epochs=epochs,
        callbacks=callbacks,
        verbose=0,
    )
    return model, history


def drift_data():
    heldout = Interactions([0], [3], num_items=8)
    train = Interactions([], [], num_users=1, num_items=8)
    return heldout, train


class TestRankingMetricsCallback(TestCase):
    def test_logs_reach_history_and_match_evaluate_ranking(self):
        train, heldout, x, y = planted_split()
        model = DotModel(NUM_USERS, NUM_ITEMS)
        model.compile(
            optimizer=keras.optimizers.Adam(0.05),
            loss=keras.losses.BinaryCrossentropy(from_logits=True),
        )
        before = evaluate_ranking(model, heldout, train, k=1)
        callback = RankingMetricsCallback(heldout, train, k=1)
        history = model.fit(
            x, y, batch_size=64, epochs=3, callbacks=[callback], verbose=0
        )
        for key in ("val_recall_at_1", "val_mrr_at_1", "val_ndcg_at_1"):
            assert len(history.history[key]) == 3
        assert "val_users" not in history.history
        final = evaluate_ranking(model, heldout, train, k=1)
        assert history.history["val_recall_at_1"][-1] == pytest.approx(
            final["recall@1"]
        )
        assert callback.last_results["epoch"] == 2
        # The planted signal is learnt: the held-out liked item beats the
        # six disliked candidates for most users.
        assert final["recall@1"] >= 0.75
        assert before["recall@1"] < 0.5

    def test_every_and_prefix(self):
        heldout, train = drift_data()
        callback = RankingMetricsCallback(
            heldout, train, k=3, every=2, prefix="dev_"
        )
        _, history = fit_drift([callback], epochs=5)
        # Evaluated after epochs 2 and 4: w = 2 (rank 3), w = 4 (rank 3).
        assert history.history["dev_mrr_at_3"] == pytest.approx([1 / 3, 1 / 3])
        assert len(history.history["loss"]) == 5
        assert callback.last_results["epoch"] == 3

    def test_early_stopping_restores_best_weights(self):
        heldout, train = drift_data()
        stopper = keras.callbacks.EarlyStopping(
            monitor="val_mrr_at_5",
            mode="max",
            patience=2,
            restore_best_weights=True,
        )
        model, history = fit_drift(
            [RankingMetricsCallback(heldout, train, k=5), stopper], epochs=20
        )
        assert history.history["val_mrr_at_5"] == pytest.approx(
            [1 / 4, 1 / 3, 1.0, 1 / 3, 1 / 5]
        )
        assert stopper.stopped_epoch == 4
        # Weights of the best epoch (the third: w = 3), not the last (w = 5).
        assert float(keras.ops.convert_to_numpy(model.w)) == 3.0
        assert evaluate_ranking(model, heldout, train, k=5)["mrr@5"] == 1.0

    def test_placed_after_early_stopping_the_metric_is_not_seen(self):
        # Documents why the callback must come first in the list.
        heldout, train = drift_data()
        stopper = keras.callbacks.EarlyStopping(
            monitor="val_mrr_at_5", mode="max", patience=2
        )
        with pytest.warns(UserWarning, match="val_mrr_at_5"):
            _, history = fit_drift(
                [stopper, RankingMetricsCallback(heldout, train, k=5)],
                epochs=6,
            )
        assert len(history.history["loss"]) == 6
        assert stopper.stopped_epoch == 0

    def test_get_config(self):
        heldout, train = drift_data()
        callback = RankingMetricsCallback(heldout, train, k=7, every=3)
        assert callback.get_config() == {
            "k": 7,
            "every": 3,
            "prefix": "val_",
            "batch_size": 1024,
            "max_rows": "auto",
            "seed": 0,
        }


class TestValidationSample(TestCase):
    def sampled(self, monkeypatch, **kwargs):
        monkeypatch.setattr(callback_module, "AUTO_MAX_SCORES", 10 * NUM_ITEMS)
        monkeypatch.setattr(callback_module, "AUTO_MIN_ROWS", 4)
        train, heldout, _, _ = planted_split()
        return heldout, RankingMetricsCallback(heldout, train, **kwargs)

    def test_auto_samples_large_validations_only(self, monkeypatch):
        train, heldout, _, _ = planted_split()
        # 24 rows x 12 items is far below the real budget: every row.
        callback = RankingMetricsCallback(heldout, train)
        assert callback.sampled_rows is None and len(callback.heldout) == 24
        # Over the budget: max(min rows, budget // items) = 10 rows.
        heldout, callback = self.sampled(monkeypatch)
        assert callback.sampled_rows == 10 and len(callback.heldout) == 10
        rows = set(zip(callback.heldout.users.tolist(), callback.heldout.items.tolist()))
        assert rows <= set(zip(heldout.users.tolist(), heldout.items.tolist()))
        # Seeded: the same rows again, other rows with another seed.
        _, again = self.sampled(monkeypatch)
        np.testing.assert_array_equal(again.heldout.users, callback.heldout.users)
        _, other = self.sampled(monkeypatch, seed=1)
        assert not np.array_equal(other.heldout.users, callback.heldout.users)

    def test_explicit_sizes(self):
        train, heldout, _, _ = planted_split()
        assert RankingMetricsCallback(heldout, train, max_rows=5).sampled_rows == 5
        assert RankingMetricsCallback(heldout, train, max_rows=100).sampled_rows is None
        assert RankingMetricsCallback(heldout, train, max_rows=None).sampled_rows is None
        with pytest.raises(ValueError, match="max_rows"):
            RankingMetricsCallback(heldout, train, max_rows=0)

    def test_sample_is_announced_and_evaluated(self, monkeypatch, capsys, caplog):
        heldout, callback = self.sampled(monkeypatch)
        _, _, x, y = planted_split()
        model = DotModel(NUM_USERS, NUM_ITEMS)
        model.compile(optimizer="sgd", loss="mse")
        with caplog.at_level("INFO", logger="rnr_keras.training"):
            model.fit(x, y, epochs=1, verbose=0, callbacks=[callback])
        message = "seeded sample of 10 of 24 held-out rows"
        assert message in caplog.text
        # verbose=0: the log only, nothing on stderr.
        assert message not in capsys.readouterr().err
        expected = evaluate_ranking(model, callback.heldout, callback.train)
        assert callback.last_results["recall@10"] == expected["recall@10"]
        assert callback.last_results["users"] == 10


class TestBadArguments:
    @pytest.mark.parametrize(
        "kwargs, message",
        [
            ({"k": 0}, "Received: k=0"),
            ({"every": 0}, "Received: every=0"),
            ({"batch_size": -1}, "Received: batch_size=-1"),
            ({"prefix": 3}, "Received: prefix=3"),
        ],
    )
    def test_bad_values(self, kwargs, message):
        heldout, train = drift_data()
        with pytest.raises(ValueError, match=message):
            RankingMetricsCallback(heldout, train, **kwargs)

    def test_data_checked_at_construction(self):
        heldout, _ = drift_data()
        other = Interactions([0], [0], num_items=9)
        with pytest.raises(ValueError, match="num_items=8.*num_items=9"):
            RankingMetricsCallback(heldout, other)
