import keras
import numpy as np
import pytest

from rnr_keras.datasets import Interactions
from rnr_keras.evaluation import RecallAtK
from rnr_keras.evaluation import evaluate_ranking
from tests.test_case import TestCase


class TestRecallAtK(TestCase):
    def test_hand_case_with_pessimistic_tie(self):
        metric = RecallAtK(k=2)
        y_pred = np.array(
            [[3.0, 1.0, 2.0], [1.0, 1.0, 1.0], [0.0, 5.0, -np.inf]]
        )
        # Ranks: 2 (item 2 after item 0), 3 (constant: last), 2 (-inf never
        # counts against a finite target).
        metric.update_state(np.array([2, 0, 0]), y_pred)
        assert float(metric.result()) == pytest.approx(2 / 3)

    def test_matches_evaluate_ranking_and_accumulates(self):
        rng = np.random.default_rng(0)
        table = rng.integers(0, 5, size=(40, 8)).astype("float32")
        targets = rng.integers(0, 8, size=40)
        heldout = Interactions(np.arange(40), targets, num_items=8)
        empty = Interactions([], [], num_users=40, num_items=8)
        expected = evaluate_ranking(lambda u: table[u], heldout, empty, k=3)
        metric = RecallAtK(k=3)
        metric.update_state(targets[:25], table[:25])
        metric.update_state(targets[25:, None], table[25:])
        assert float(metric.result()) == pytest.approx(expected["recall@3"])
        metric.reset_state()
        assert float(metric.result()) == 0.0

    def test_sample_weight(self):
        metric = RecallAtK(k=1)
        y_pred = np.array([[1.0, 0.0], [1.0, 0.0]])
        metric.update_state(np.array([0, 1]), y_pred, sample_weight=[3.0, 1.0])
        assert float(metric.result()) == pytest.approx(0.75)

    def test_in_compile_and_evaluate(self):
        # Compiled into the graph: the model's output rows are the scores.
        rng = np.random.default_rng(2)
        table = rng.normal(size=(16, 6)).astype("float32")
        targets = rng.integers(0, 6, size=16)
        users = keras.Input(shape=(), dtype="int32")
        scores = keras.layers.Embedding(
            16, 6, embeddings_initializer=keras.initializers.Constant(table)
        )(users)
        model = keras.Model(users, scores)
        model.compile(
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            metrics=[RecallAtK(k=3)],
        )
        logs = model.evaluate(
            np.arange(16), targets, batch_size=5, verbose=0, return_dict=True
        )
        eager = RecallAtK(k=3)
        eager.update_state(targets, table)
        assert logs["recall_at_3"] == pytest.approx(float(eager.result()))

    def test_name_and_config_round_trip(self):
        metric = RecallAtK(k=5)
        assert metric.name == "recall_at_5"
        revived = self.run_serialization_test(metric)
        assert revived.k == 5
        assert RecallAtK(k=5, name="hr").get_config()["name"] == "hr"


class TestBadArguments:
    @pytest.mark.parametrize("k", [0, -2, 1.5, "10"])
    def test_bad_k(self, k):
        with pytest.raises(ValueError, match=f"Received: k={k!r}"):
            RecallAtK(k=k)
