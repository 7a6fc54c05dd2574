import numpy as np
import pytest
from keras import ops

from rnr_keras.layers import HeadContext
from rnr_keras.layers import SASRecRanker
from rnr_keras.layers import SequenceRanker
from tests.test_case import TestCase

NUM_ITEMS, DIM = 7, 4


def built(**kwargs):
    kwargs.setdefault("max_length", 5)
    kwargs.setdefault("dropout", 0.0)
    ranker = SASRecRanker(**kwargs)
    ranker.build((3, NUM_ITEMS, DIM))
    return ranker


def item_matrix(seed=0):
    return np.random.default_rng(seed).normal(size=(NUM_ITEMS, DIM)).astype("float32")


def encode(ranker, sequence, items=None):
    context = HeadContext(ops.zeros((len(sequence),), "int32"), sequence=np.array(sequence))
    return ops.convert_to_numpy(
        ranker.encode(context, item_matrix() if items is None else items)
    )


class TestSASRecRanker(TestCase):
    def test_is_a_sequence_ranker(self):
        ranker = built()
        assert isinstance(ranker, SequenceRanker)
        assert ranker.batch_kind == "sequences" and ranker.uses_history
        assert not ranker.needs_negatives
        assert built(objective="bce").needs_negatives

    def test_causal(self):
        # A later item never changes an earlier state.
        ranker = built()
        a = encode(ranker, [[-1, 1, 2, 3, 4]])
        b = encode(ranker, [[-1, 1, 2, 6, 0]])
        np.testing.assert_allclose(a[0, :3], b[0, :3], atol=1e-5)
        assert not np.allclose(a[0, 3:], b[0, 3:], atol=1e-3)

    def test_padded_positions_are_zero_and_ignored(self):
        ranker = built()
        states = encode(ranker, [[-1, -1, 3, 4, 5], [0, 1, 3, 4, 5]])
        np.testing.assert_array_equal(states[0, :2], 0.0)
        # The padded user's states differ from the full one's only
        # through what they attend to: both are finite, not equal.
        assert np.all(np.isfinite(states))
        assert not np.allclose(states[0, 2:], states[1, 2:])

    def test_reads_the_users_latest_items_without_a_sequence(self):
        from rnr_keras.datasets import Interactions
        from rnr_keras.inputs import InteractionHistory

        train = Interactions(
            users=[0, 0, 0], items=[5, 1, 2], timestamps=[3, 1, 2], num_items=NUM_ITEMS
        )
        ranker = built(max_length=3)
        context = HeadContext(np.array([0]), InteractionHistory(train))
        from_history = ops.convert_to_numpy(ranker.encode(context, item_matrix()))
        np.testing.assert_allclose(
            from_history, encode(ranker, [[1, 2, 5]]), atol=1e-6
        )

    def test_uses_the_given_item_matrix(self):
        ranker = built()
        a = encode(ranker, [[0, 1, 2, 3, 4]], item_matrix(0))
        b = encode(ranker, [[0, 1, 2, 3, 4]], item_matrix(1))
        assert not np.allclose(a, b)

    def test_sequence_outputs_and_losses(self):
        ranker = built()
        states = np.random.default_rng(0).normal(size=(3, DIM)).astype("float32")
        items = item_matrix()
        targets = np.array([1, 2, 6])
        outputs = ranker.sequence_outputs(states, items, targets)
        logits = states @ items.T
        np.testing.assert_allclose(outputs["rank"], logits, rtol=1e-5)
        outputs["target"] = targets
        log_softmax = logits - np.log(np.exp(logits).sum(1, keepdims=True))
        expected = -log_softmax[np.arange(3), targets].mean()
        np.testing.assert_allclose(ranker.loss(None, outputs), expected, rtol=1e-5)

        bce = built(objective="bce")
        negatives = np.array([0, 0, 3])
        outputs = bce.sequence_outputs(states, items, targets, negatives)
        pos = (states * items[targets]).sum(1)
        neg = (states * items[negatives]).sum(1)
        expected = np.mean(np.log1p(np.exp(-pos)) + np.log1p(np.exp(neg)))
        np.testing.assert_allclose(bce.loss(None, outputs), expected, rtol=1e-5)

    def test_weights(self):
        # Per block: query, key, value, output (kernel + bias each), two
        # norms (gamma + beta each), two dense layers; then the positions
        # and the final norm.
        names = [w.path for w in built(num_blocks=2).weights]
        assert len([n for n in names if "/attention_0/" in n or "/attention_1/" in n]) == 2 * 8
        assert len(names) == 2 * (8 + 2 + 2 + 4) + 1 + 2
        assert any(n.endswith("positions") for n in names)

    def test_bad_arguments(self):
        with pytest.raises(ValueError, match="objective"):
            SASRecRanker(objective="hinge")
        with pytest.raises(ValueError, match="dropout"):
            SASRecRanker(dropout=1.0)
        with pytest.raises(ValueError, match="num_blocks"):
            SASRecRanker(num_blocks=0)
        with pytest.raises(ValueError, match="max_length"):
            SASRecRanker(max_length=0)
        with pytest.raises(ValueError, match="num_heads"):
            SASRecRanker(num_heads=3).build((3, NUM_ITEMS, DIM))

    def test_serialization(self):
        ranker = SASRecRanker(
            max_length=7, num_blocks=3, num_heads=2, dropout=0.3, objective="bce"
        )
        revived = self.run_serialization_test(ranker)
        assert revived.max_length == 7 and revived.objective == "bce"
        assert revived.num_heads == 2 and revived.dropout == 0.3
