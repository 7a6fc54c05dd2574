import numpy as np
import pytest

from rnr_keras.layers import PostConsumption
from tests.test_case import TestCase

KERNEL = np.array([[1.0, -1.0], [0.5, 2.0]], dtype="float32")
BIAS = np.array([0.1, -0.1], dtype="float32")
DEV = np.array([[0.0, 1.0], [1.0, 0.0], [-1.0, -1.0]], dtype="float32")
Q = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], dtype="float32")


def built(activation="tanh"):
    post = PostConsumption(num_items=3, embedding_dim=2, activation=activation)
    post.kernel.assign(KERNEL)
    post.bias.assign(BIAS)
    post.deviation.assign(DEV)
    return post


class TestPostConsumption:
    def test_initialisation(self):
        post = PostConsumption(num_items=4, embedding_dim=3)
        np.testing.assert_array_equal(post.deviation.numpy(), np.zeros((4, 3)))
        np.testing.assert_array_equal(post.bias.numpy(), np.zeros(3))
        assert post.kernel.shape == (3, 3)
        assert np.abs(post.kernel.numpy()).max() > 0

    def test_transform_is_tied_fc(self):
        post = built("tanh")
        p = np.array([[1.0, 2.0]], dtype="float32")
        np.testing.assert_allclose(
            post.transform(p), np.tanh(p @ KERNEL + BIAS), rtol=1e-6
        )

    def test_items_add_deviation_before_fc(self):
        post = built("relu")
        np.testing.assert_allclose(
            post.items(Q), np.maximum((Q + DEV) @ KERNEL + BIAS, 0), rtol=1e-6
        )
        # Selected items get their own deviation rows.
        np.testing.assert_allclose(
            post.items(Q[[2, 0]], np.array([2, 0])),
            np.maximum((Q[[2, 0]] + DEV[[2, 0]]) @ KERNEL + BIAS, 0),
            rtol=1e-6,
        )

    def test_theta_penalty(self):
        # |kernel|^2 = 1 + 1 + 0.25 + 4, |bias|^2 = 0.02.
        assert float(built().theta_penalty()) == pytest.approx(6.27, rel=1e-6)

    def test_bad_activation(self):
        with pytest.raises(
            ValueError,
            match="`activation` must be one of .* Received: activation='softmax'",
        ):
            PostConsumption(num_items=3, embedding_dim=2, activation="softmax")


class TestPostConsumptionSerialization(TestCase):
    def test_serialization(self):
        revived = self.run_serialization_test(
            PostConsumption(num_items=3, embedding_dim=2, activation="sigmoid")
        )
        assert (
            revived.num_items,
            revived.embedding_dim,
            revived.activation,
        ) == (3, 2, "sigmoid")
        assert revived.deviation.shape == (3, 2)
