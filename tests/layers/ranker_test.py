import pytest
from keras import ops

from rnr_keras.layers import BPRRanker
from rnr_keras.layers import CDAERanker
from rnr_keras.layers import Ranker
from tests.test_case import TestCase


class TestRanker:
    def test_base_class(self):
        ranker = Ranker()
        ranker.build_for(num_users=2, num_items=3, embedding_dim=2)
        assert ranker.built and ranker.weights == []
        assert ranker.input_mode == "pairs"
        assert ranker.penalty(ops.ones((3,))) == 0.0
        with pytest.raises(NotImplementedError):
            ranker.score_all(ops.ones((1, 2)), ops.ones((3, 2)))
        with pytest.raises(NotImplementedError):
            ranker.loss(ops.ones((2,)))

    def test_subclasses_declare_their_batches(self):
        assert issubclass(BPRRanker, Ranker) and BPRRanker.input_mode == "pairs"
        assert (
            issubclass(CDAERanker, Ranker) and CDAERanker.input_mode == "rows"
        )


class TestRankerSerialization(TestCase):
    def test_serialization(self):
        self.run_serialization_test(Ranker(name="ranker"))
