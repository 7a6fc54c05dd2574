import numpy as np
import pytest

from rnr_keras.datasets import Interactions
from rnr_keras.evaluation import MRRAtK
from rnr_keras.evaluation import evaluate_ranking
from tests.test_case import TestCase


class TestMRRAtK(TestCase):
    def test_hand_case_with_pessimistic_tie(self):
        metric = MRRAtK(k=2)
        y_pred = np.array(
            [[3.0, 1.0, 2.0], [1.0, 1.0, 1.0], [0.0, 5.0, -np.inf]]
        )
        # Ranks 2, 3 (beyond k: 0) and 2.
        metric.update_state(np.array([2, 0, 0]), y_pred)
        assert float(metric.result()) == pytest.approx((0.5 + 0 + 0.5) / 3)

    def test_matches_evaluate_ranking(self):
        rng = np.random.default_rng(1)
        table = rng.integers(0, 5, size=(40, 8)).astype("float32")
        targets = rng.integers(0, 8, size=40)
        heldout = Interactions(np.arange(40), targets, num_items=8)
        empty = Interactions([], [], num_users=40, num_items=8)
        for k in (1, 4):
            expected = evaluate_ranking(lambda u: table[u], heldout, empty, k=k)
            metric = MRRAtK(k=k)
            metric.update_state(targets, table)
            assert float(metric.result()) == pytest.approx(expected[f"mrr@{k}"])

    def test_name_and_config_round_trip(self):
        metric = MRRAtK(k=20)
        assert metric.name == "mrr_at_20"
        revived = self.run_serialization_test(metric)
        assert revived.k == 20


class TestBadArguments:
    @pytest.mark.parametrize("k", [0, True, None])
    def test_bad_k(self, k):
        with pytest.raises(ValueError, match="`k` must be a positive integer"):
            MRRAtK(k=k)
