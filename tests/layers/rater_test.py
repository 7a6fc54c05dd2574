import numpy as np
import pytest
from keras import ops

from rnr_keras.layers import HeadContext
from rnr_keras.layers import Rater
from rnr_keras.layers import SVDRater
from tests import planted
from tests.test_case import TestCase


class DotRater(Rater):
    def rate(self, context, user_vectors, item_vectors, items):
        return ops.sum(user_vectors * item_vectors, axis=-1)

    def rate_all(self, context, user_vectors, item_matrix):
        return ops.matmul(user_vectors, ops.transpose(item_matrix))


class TestRater:
    def test_base_class_is_abstract(self):
        with pytest.raises(TypeError, match="abstract"):
            Rater()

    def test_defaults_of_a_minimal_subclass(self):
        rater = DotRater()
        rater.build((2, 3, 2))
        assert rater.built and rater.weights == []
        assert rater.adapt(planted.tiny_train()) is None
        context = HeadContext(ops.array([0]))
        assert rater.penalty(context, ops.ones((1,)), ops.array([0]), ops.ones((1,))) == 0.0
        assert issubclass(SVDRater, Rater)

    def test_default_loss_is_mean_or_weighted_squared_error(self):
        rater = DotRater()
        predicted = ops.convert_to_tensor([1.0, 2.0, 4.0])
        ratings = ops.convert_to_tensor([2.0, 2.0, 1.0])
        assert float(rater.loss(predicted, ratings)) == pytest.approx(10 / 3)
        weights = ops.convert_to_tensor([1.0, 1.0, 0.0])
        assert float(rater.loss(predicted, ratings, weights)) == pytest.approx(0.5)
        np.testing.assert_allclose(
            float(rater.loss(predicted, ratings, ops.zeros((3,)))), 0.0
        )


class TestRaterSerialization(TestCase):
    def test_serialization(self):
        self.run_serialization_test(SVDRater(name="rater"))
