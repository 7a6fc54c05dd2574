import keras
import numpy as np
import tensorflow as tf
from keras import ops

from rnr_keras.layers import row_reads
from rnr_keras.layers.row_reads import take_rows
from tests.test_case import TestCase

TABLE = np.arange(12, dtype="float32").reshape(4, 3)


class TestTakeRows(TestCase):
    def setup_method(self, method):
        super().setup_method(method)
        # These tables stand for large ones.
        self._threshold = row_reads.ROW_READ_MIN_ROWS
        row_reads.ROW_READ_MIN_ROWS = 4

    def teardown_method(self, method):
        row_reads.ROW_READ_MIN_ROWS = self._threshold

    def test_values_and_gradient_match_take(self):
        variable = keras.Variable(TABLE)
        indices = ops.array([3, 0, 3], dtype="int32")
        weights = ops.array([[1.0], [2.0], [3.0]])
        with tf.GradientTape(persistent=True) as tape:
            rows = take_rows(variable, indices)
            expected = ops.take(variable, indices, axis=0)
            mine = ops.sum(rows * weights)
            theirs = ops.sum(expected * weights)
        np.testing.assert_array_equal(rows, expected)
        np.testing.assert_array_equal(rows, TABLE[[3, 0, 3]])
        gradient = tape.gradient(mine, variable.value)
        # Row-sparse, as the sparse optimisers need it.
        assert isinstance(gradient, tf.IndexedSlices)
        dense = tf.convert_to_tensor(gradient)
        np.testing.assert_array_equal(
            dense, tf.convert_to_tensor(tape.gradient(theirs, variable.value))
        )
        np.testing.assert_array_equal(dense[:, 0], [2.0, 0.0, 0.0, 4.0])

    def test_tensors_and_vectors(self):
        indices = np.array([1, 1, 2])
        np.testing.assert_array_equal(
            take_rows(ops.convert_to_tensor(TABLE), indices), TABLE[indices]
        )
        vector = keras.Variable(np.array([5.0, 6.0, 7.0], dtype="float32"))
        np.testing.assert_array_equal(take_rows(vector, indices), [6.0, 6.0, 7.0])

    def test_reads_only_the_rows(self):
        # A gather from the variable itself, never a read of the whole
        # table (a full copy once the sparse optimisers write in place).
        variable = keras.Variable(TABLE)

        @tf.function
        def lookup(indices):
            return take_rows(variable, indices)

        graph = lookup.get_concrete_function(
            tf.TensorSpec([None], tf.int32)
        ).graph
        types = {op.type for op in graph.get_operations()}
        assert "ResourceGather" in types
        assert "ReadVariableOp" not in types
        # A smaller table keeps Keras's whole read (and its float order).
        row_reads.ROW_READ_MIN_ROWS = 5
        graph = tf.function(lambda indices: take_rows(variable, indices))
        types = {
            op.type
            for op in graph.get_concrete_function(
                tf.TensorSpec([None], tf.int32)
            ).graph.get_operations()
        }
        assert "ReadVariableOp" in types and "ResourceGather" not in types
