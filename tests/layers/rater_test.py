import pytest
from keras import ops

from rnr_keras.layers import Rater
from rnr_keras.layers import SVDRater
from tests import planted
from tests.test_case import TestCase


class TestRater:
    def test_base_class(self):
        rater = Rater()
        rater.build_for(num_users=2, num_items=3, embedding_dim=2)
        assert rater.built and rater.weights == []
        assert rater.adapt(planted.tiny_train()) is None
        with pytest.raises(NotImplementedError):
            rater.rate_all(
                ops.ones((1, 2)), ops.ones((3, 2)), ops.zeros((1,), "int32")
            )
        assert issubclass(SVDRater, Rater)


class TestRaterSerialization(TestCase):
    def test_serialization(self):
        self.run_serialization_test(Rater(name="rater"))
