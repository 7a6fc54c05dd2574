import keras
import numpy as np
import pytest
import tensorflow as tf

from rnr_keras import inputs
from rnr_keras.models import BPR
from rnr_keras.optimizers import SparseAdagrad
from tests import planted
from tests.test_case import TestCase

BATCHES = [[0, 2, 2], [5, 0], [3, 3, 3, 1], [2]]


def lookup_gradients(table, indices, target):
    with tf.GradientTape() as tape:
        rows = tf.gather(table.value, indices)
        loss = tf.reduce_sum(tf.square(rows - target))
    (gradient,) = tape.gradient(loss, [table.value])
    return gradient


class TestSparseAdagrad:
    def test_dense_gradient_equals_adagrad(self):
        rng = np.random.default_rng(0)
        start = rng.normal(size=(4, 3)).astype("float32")
        a, b = keras.Variable(start), keras.Variable(start)
        sparse = SparseAdagrad(learning_rate=0.1)
        dense = keras.optimizers.Adagrad(learning_rate=0.1)
        for _ in range(3):
            gradient = rng.normal(size=(4, 3)).astype("float32")
            sparse.apply_gradients([(tf.constant(gradient), a)])
            dense.apply_gradients([(tf.constant(gradient), b)])
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6)
        assert not np.allclose(a.numpy(), start)

    def test_embedding_gradient_equals_dense_adagrad(self):
        rng = np.random.default_rng(1)
        start = rng.normal(size=(6, 3)).astype("float32")
        a, b = keras.Variable(start), keras.Variable(start)
        sparse = SparseAdagrad(learning_rate=0.5)
        dense = keras.optimizers.Adagrad(learning_rate=0.5)
        for indices in BATCHES:
            target = rng.normal(size=(len(indices), 3)).astype("float32")
            gradient = lookup_gradients(a, indices, target)
            assert isinstance(gradient, tf.IndexedSlices)
            sparse.apply_gradients([(gradient, a)])
            dense.apply_gradients(
                [
                    (
                        tf.convert_to_tensor(
                            lookup_gradients(b, indices, target)
                        ),
                        b,
                    )
                ]
            )
            np.testing.assert_allclose(
                a.numpy(), b.numpy(), rtol=1e-5, atol=1e-6
            )
        # Row 4 was never looked up.
        np.testing.assert_array_equal(a.numpy()[4], start[4])
        np.testing.assert_allclose(
            sparse._accumulators[0].numpy(),
            dense._accumulators[0].numpy(),
            rtol=1e-5,
        )

    @pytest.mark.parametrize("jit_compile", [False])
    def test_trains_a_model(self, jit_compile):
        train = planted.tiny_train()
        model = BPR(num_users=3, num_items=5, embedding_dim=2).adapt(train)
        start = [w.numpy() for w in model.trainable_weights]
        model.compile(
            optimizer=SparseAdagrad(learning_rate=0.1), jit_compile=jit_compile
        )
        history = model.fit(
            inputs.dataset_for(model, train, batch_size=2), epochs=2, verbose=0
        ).history
        assert np.all(np.isfinite(history["loss"]))
        for before, after in zip(start, model.trainable_weights):
            after = after.numpy()
            assert np.isfinite(after).all() and not np.array_equal(
                before, after
            )


class TestSparseAdagradSerialization(TestCase):
    def test_serialization(self):
        optimizer = SparseAdagrad(
            learning_rate=0.05, initial_accumulator_value=0.2
        )
        revived = self.run_serialization_test(optimizer)
        assert float(revived.learning_rate) == pytest.approx(0.05)
        assert revived.initial_accumulator_value == pytest.approx(0.2)
