import numpy as np
import pytest
from keras import ops

from rnr_keras.layers import BPRRanker
from rnr_keras.layers import HeadContext
from tests.test_case import TestCase


class TestBPRRanker:
    def test_build_for_creates_zero_item_bias(self):
        ranker = BPRRanker()
        ranker.build((3, 4, 2))
        assert [w.path.split("/")[-1] for w in ranker.weights] == ["item_bias"]
        np.testing.assert_array_equal(ranker.item_bias.numpy(), np.zeros(4))
        assert ranker.batch_kind == "pairs"

    def test_call_and_score_all(self):
        ranker = BPRRanker()
        ranker.build((2, 3, 2))
        bias = np.array([0.5, -1.0, 2.0], dtype="float32")
        ranker.item_bias.assign(bias)
        users = np.array([[1.0, 2.0], [3.0, -1.0]], dtype="float32")
        items = np.array([[1.0, 1.0], [0.0, 2.0], [1.0, 0.0]], dtype="float32")
        context = HeadContext(np.array([0, 1]))
        pairs = ranker.score(context, users, items[[2, 0]], np.array([2, 0]))
        # (1 * 1 + 2 * 0) + 2.0 and (3 - 1) + 0.5.
        np.testing.assert_allclose(pairs, [3.0, 2.5])
        full = ranker.score_all(context, users, items)
        assert tuple(full.shape) == (2, 3)
        np.testing.assert_allclose(full, users @ items.T + bias)

    def test_loss_is_stable_softplus(self):
        ranker = BPRRanker()
        diff = np.array([0.0, 2.0, -1000.0, 1000.0], dtype="float32")
        outputs = {
            "rank": ops.convert_to_tensor(diff),
            "rank_negative": ops.zeros((4,)),
        }
        loss = float(ranker.loss(HeadContext(np.arange(4)), outputs))
        # softplus(-d): log 2, log(1 + e^-2), 1000 (no overflow), 0.
        expected = (np.log(2.0) + np.log1p(np.exp(-2.0)) + 1000.0 + 0.0) / 4
        assert np.isfinite(loss)
        assert loss == pytest.approx(expected, rel=1e-6)

    def test_no_own_penalty(self):
        context = HeadContext(np.array([0]))
        assert BPRRanker().penalty(context, ops.ones((1,)), np.array([0]), ops.ones((1,))) == 0.0


class TestBPRRankerSerialization(TestCase):
    def test_serialization(self):
        self.run_serialization_test(BPRRanker(name="my_bpr"))
