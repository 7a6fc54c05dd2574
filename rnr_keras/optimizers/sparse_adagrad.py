"""AdaGrad with row-sparse updates (the paper's optimiser, made fast)."""

import keras
from keras import ops

from rnr_keras.api_export import rnr_export
from rnr_keras.optimizers.sparse import as_row_slices
from rnr_keras.optimizers.sparse import tf_variable
from rnr_keras.optimizers.sparse import update_rows


@rnr_export
class SparseAdagrad(keras.optimizers.Adagrad):
    """AdaGrad that updates only the rows an embedding gradient touches.

    AdaGrad's accumulator and weight of a row with zero gradient do not
    change, so updating just the touched rows is EXACTLY the dense update,
    without its per-step cost over whole tables.

    Args: as `keras.optimizers.Adagrad`.
    """

    def update_step(self, gradient, variable, learning_rate):
        sparse = as_row_slices(gradient)
        if sparse is None:
            return super().update_step(gradient, variable, learning_rate)
        import tensorflow as tf

        rows, values = sparse
        lr = ops.cast(learning_rate, variable.dtype)
        accumulator = tf_variable(
            self._accumulators[self._get_variable_index(variable)]
        )
        accumulated = tf.gather(accumulator, rows) + tf.square(values)
        accumulator.scatter_update(tf.IndexedSlices(accumulated, rows))
        update_rows(
            variable, rows, lambda old: old - lr * values / tf.sqrt(accumulated + self.epsilon)
        )
