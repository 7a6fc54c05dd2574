import keras
import numpy as np
import pytest
import tensorflow as tf

from rnr_keras import inputs
from rnr_keras.models import BPR
from rnr_keras.optimizers import LazyAdam
from tests import planted
from tests.test_case import TestCase


def lookup_gradient(table, indices, target):
    with tf.GradientTape() as tape:
        rows = tf.gather(table.value, indices)
        loss = tf.reduce_sum(tf.square(rows - target))
    (gradient,) = tape.gradient(loss, [table.value])
    return gradient


class NumpyLazyAdam:
    """Reference: Adam on the touched rows only, moments of others kept."""

    def __init__(self, table, lr, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
        self.table = table.astype("float64")
        self.m = np.zeros_like(self.table)
        self.v = np.zeros_like(self.table)
        self.lr, self.b1, self.b2, self.eps = lr, beta_1, beta_2, epsilon
        self.t = 0

    def step(self, indices, target):
        self.t += 1
        grad = np.zeros_like(self.table)
        np.add.at(grad, indices, 2 * (self.table[indices] - target))
        rows = np.unique(indices)
        self.m[rows] = self.b1 * self.m[rows] + (1 - self.b1) * grad[rows]
        self.v[rows] = self.b2 * self.v[rows] + (1 - self.b2) * grad[rows] ** 2
        alpha = self.lr * np.sqrt(1 - self.b2**self.t) / (1 - self.b1**self.t)
        self.table[rows] -= (
            alpha * self.m[rows] / (np.sqrt(self.v[rows]) + self.eps)
        )


class TestLazyAdam:
    def test_dense_gradient_equals_adam(self):
        rng = np.random.default_rng(0)
        start = rng.normal(size=(4, 3)).astype("float32")
        a, b = keras.Variable(start), keras.Variable(start)
        lazy = LazyAdam(learning_rate=0.1)
        dense = keras.optimizers.Adam(learning_rate=0.1)
        for _ in range(3):
            gradient = tf.constant(rng.normal(size=(4, 3)).astype("float32"))
            lazy.apply_gradients([(gradient, a)])
            dense.apply_gradients([(gradient, b)])
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6)
        assert not np.allclose(a.numpy(), start)

    def test_embedding_gradient_updates_touched_rows_only(self):
        rng = np.random.default_rng(1)
        start = rng.normal(size=(6, 3)).astype("float32")
        table = keras.Variable(start)
        lazy = LazyAdam(learning_rate=0.1)
        reference = NumpyLazyAdam(start, lr=0.1)
        batches = [[0, 2, 2], [1, 2], [2, 1, 1]]
        for step, indices in enumerate(batches):
            target = rng.normal(size=(len(indices), 3)).astype("float32")
            before = table.numpy().copy()
            moments = (
                [v.numpy().copy() for v in (lazy._momentums + lazy._velocities)]
                if step
                else None
            )
            gradient = lookup_gradient(table, indices, target)
            assert isinstance(gradient, tf.IndexedSlices)
            lazy.apply_gradients([(gradient, table)])
            reference.step(np.array(indices), target)
            np.testing.assert_allclose(
                table.numpy(), reference.table, rtol=1e-5, atol=1e-6
            )
            untouched = sorted(set(range(6)) - set(indices))
            np.testing.assert_array_equal(
                table.numpy()[untouched], before[untouched]
            )
            if moments is not None:
                for old, new in zip(
                    moments, lazy._momentums + lazy._velocities
                ):
                    np.testing.assert_array_equal(
                        new.numpy()[untouched], old[untouched]
                    )
        # Row 0 was touched only at the first step; plain Adam would keep
        # moving it on its momentum afterwards.
        dense_table = keras.Variable(start)
        dense = keras.optimizers.Adam(learning_rate=0.1)
        rng = np.random.default_rng(1)
        rng.normal(size=(6, 3))
        for indices in batches:
            target = rng.normal(size=(len(indices), 3)).astype("float32")
            gradient = tf.convert_to_tensor(
                lookup_gradient(dense_table, indices, target)
            )
            dense.apply_gradients([(gradient, dense_table)])
        assert not np.allclose(dense_table.numpy()[0], table.numpy()[0])
        np.testing.assert_array_equal(
            table.numpy()[[3, 4, 5]], start[[3, 4, 5]]
        )

    @pytest.mark.parametrize("jit_compile", [True])
    def test_trains_a_model(self, jit_compile):
        train = planted.tiny_train()
        model = BPR(num_users=3, num_items=5, embedding_dim=2).adapt(train)
        start = [w.numpy() for w in model.trainable_weights]
        model.compile(
            optimizer=LazyAdam(learning_rate=0.1), jit_compile=jit_compile
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


class TestLazyAdamSerialization(TestCase):
    def test_serialization(self):
        revived = self.run_serialization_test(
            LazyAdam(learning_rate=0.01, beta_1=0.8)
        )
        assert float(revived.learning_rate) == pytest.approx(0.01)
        assert revived.beta_1 == pytest.approx(0.8)
