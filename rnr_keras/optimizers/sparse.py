"""Row-sparse update helpers shared by the sparse optimisers."""

import keras


def as_row_slices(gradient):
    """`(rows, values)` if `gradient` is a TF `IndexedSlices`, else `None`.

    Duplicate rows (an item seen twice in a batch) are summed, so each row
    is updated once with its whole gradient, as a dense update would.
    """
    if keras.backend.backend() != "tensorflow":
        return None
    import tensorflow as tf

    if not isinstance(gradient, tf.IndexedSlices):
        return None
    rows, position = tf.unique(gradient.indices)
    values = tf.math.unsorted_segment_sum(
        gradient.values, position, tf.shape(rows)[0]
    )
    return rows, values


def tf_variable(variable):
    return variable.value if isinstance(variable, keras.Variable) else variable
