import pytest
from keras import ops

from rnr_keras.layers import BPRRanker
from rnr_keras.layers import CDAERanker
from rnr_keras.layers import HeadContext
from rnr_keras.layers import Ranker
from tests.test_case import TestCase


class DotRanker(Ranker):
    """The smallest complete ranker: p_u . q_i, squared loss to 1."""

    needs_negatives = False

    def score(self, context, user_vectors, item_vectors, items):
        return ops.sum(user_vectors * item_vectors, axis=-1)

    def score_all(self, context, user_vectors, item_matrix, training=False):
        return ops.matmul(user_vectors, ops.transpose(item_matrix))

    def loss(self, context, outputs):
        return ops.mean(ops.square(1.0 - outputs["rank"]))


class TestRanker:
    def test_base_class_is_abstract(self):
        with pytest.raises(TypeError, match="abstract"):
            Ranker()

    def test_defaults_of_a_minimal_subclass(self):
        ranker = DotRanker()
        ranker.build((2, 3, 2))
        assert ranker.built and ranker.weights == []
        assert ranker.batch_kind == "pairs" and not ranker.uses_history
        context = HeadContext(ops.array([0]))
        assert ranker.penalty(context, ops.ones((1,)), ops.array([0]), ops.ones((1,))) == 0.0
        assert float(ranker.loss(context, {"rank": ops.ones((2,))})) == 0.0

    def test_subclasses_declare_their_batches(self):
        assert issubclass(BPRRanker, Ranker) and BPRRanker.batch_kind == "pairs"
        assert BPRRanker.needs_negatives
        assert issubclass(CDAERanker, Ranker) and CDAERanker.batch_kind == "rows"
        assert CDAERanker.uses_history and not CDAERanker.needs_negatives


class TestRankerSerialization(TestCase):
    def test_serialization(self):
        self.run_serialization_test(BPRRanker(name="ranker"))
