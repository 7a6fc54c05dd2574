import numpy as np
import tensorflow as tf

from rnr_keras.optimizers.sparse import as_row_slices


class TestAsRowSlices:
    def test_sums_duplicate_rows(self):
        gradient = tf.IndexedSlices(
            values=tf.constant([[1.0, 2.0], [3.0, 4.0], [10.0, 20.0]]),
            indices=tf.constant([4, 1, 4]),
            dense_shape=tf.constant([6, 2]),
        )
        rows, values = as_row_slices(gradient)
        np.testing.assert_array_equal(rows, [4, 1])
        np.testing.assert_array_equal(values, [[11.0, 22.0], [3.0, 4.0]])

    def test_dense_gradient_is_not_sliced(self):
        assert as_row_slices(tf.ones((3, 2))) is None


class TestUpdateRows:
    def test_sets_only_the_rows_given(self):
        from rnr_keras.optimizers.sparse import update_rows

        table = tf.Variable(np.arange(12, dtype="float32").reshape(6, 2))
        delta = tf.constant([[1.0, 2.0], [3.0, 4.0]])
        update_rows(table, tf.constant([4, 1]), lambda old: old - delta)
        expected = np.arange(12, dtype="float32").reshape(6, 2)
        expected[4] -= [1.0, 2.0]
        expected[1] -= [3.0, 4.0]
        np.testing.assert_array_equal(table.numpy(), expected)
