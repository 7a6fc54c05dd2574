"""Adam that updates only the embedding rows a batch touched."""

import keras
from keras import ops

from rnr_keras.api_export import rnr_export
from rnr_keras.optimizers.sparse import as_row_slices
from rnr_keras.optimizers.sparse import tf_variable
from rnr_keras.optimizers.sparse import update_rows


@rnr_export
class LazyAdam(keras.optimizers.Adam):
    """Adam with row-sparse ("lazy") updates for embedding gradients.

    For a gradient that only touches some rows of a table (a
    `tf.IndexedSlices`, as embedding lookups give), the first and second
    moments and the weights of those rows alone are updated; untouched rows
    keep their moments, as in TF Addons' LazyAdam. Dense gradients get the
    ordinary Adam update. On an ML-1M-sized table this removes the
    per-step cost of dense moment updates, which dominates BPR training.

    Args: as `keras.optimizers.Adam`.
    """

    def update_step(self, gradient, variable, learning_rate):
        sparse = as_row_slices(gradient)
        if sparse is None:
            return super().update_step(gradient, variable, learning_rate)
        import tensorflow as tf

        rows, values = sparse
        dtype = variable.dtype
        lr = ops.cast(learning_rate, dtype)
        step = ops.cast(self.iterations + 1, dtype)
        beta_1 = ops.cast(self.beta_1, dtype)
        beta_2 = ops.cast(self.beta_2, dtype)
        alpha = lr * ops.sqrt(1 - ops.power(beta_2, step)) / (
            1 - ops.power(beta_1, step)
        )
        index = self._get_variable_index(variable)
        m = tf_variable(self._momentums[index])
        v = tf_variable(self._velocities[index])
        m_rows = tf.gather(m, rows) * beta_1 + values * (1 - beta_1)
        v_rows = tf.gather(v, rows) * beta_2 + tf.square(values) * (1 - beta_2)
        m.scatter_update(tf.IndexedSlices(m_rows, rows))
        v.scatter_update(tf.IndexedSlices(v_rows, rows))
        update_rows(
            variable, rows, lambda old: old - alpha * m_rows / (tf.sqrt(v_rows) + self.epsilon)
        )
