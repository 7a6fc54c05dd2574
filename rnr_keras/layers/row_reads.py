"""Row lookups that read only the rows they select."""

import keras
from keras import ops

#: Tables of at least this many rows are gathered from directly. Below
#: it, a whole read costs little (ML-1M's 6,040 x 50 users: 1.2 MB) and
#: `ops.take` keeps exactly the float order, and so the seeded results, of
#: the published small-data tables: a direct gather changes the order in
#: which a graph sums a row's gradient slices, and Adam's first steps turn
#: such last-bit differences into whole steps (after 2 epochs on ML-100K
#: a bias of RnR(BPR, SVD) differed by up to 0.4).
ROW_READ_MIN_ROWS = 10_000


def take_rows(table, indices):
    """`table[indices]` along axis 0, reading only those rows of a variable.

    Keras's `ops.take` first reads the whole variable as a tensor. Once the
    row-sparse optimisers have updated a TensorFlow variable in place
    (`scatter_update`), TensorFlow keeps it in copy-on-read mode, and that
    whole read is a copy of the table: at Yelp size (295k users x 50
    floats) about 9 ms, in every lookup of every step, a third of a BPR
    step. On TensorFlow a variable of at least `ROW_READ_MIN_ROWS` rows is
    gathered from directly (a `ResourceGather`, which copies the selected
    rows only); the values and the (row-sparse) gradient are those of
    `ops.take`. Anything else goes to `ops.take`, and a vector (a bias)
    always: its whole read is small (168k floats at Yelp size) and Keras's
    flat `take` gives it the dense gradient, and so the dense Adam update,
    it has always had.
    """
    if len(table.shape) == 1:
        return ops.take(table, indices)
    if (
        keras.backend.backend() == "tensorflow"
        and isinstance(table, keras.Variable)
        and table.shape[0] >= ROW_READ_MIN_ROWS
    ):
        import tensorflow as tf

        value = table.value
        if isinstance(value, tf.Variable):
            return tf.gather(value, indices)
    return ops.take(table, indices, axis=0)


def embedding_rows(embedding, indices):
    """The rows `indices` of a `keras.layers.Embedding`: its own lookup
    for a table below `ROW_READ_MIN_ROWS` rows, `take_rows` from there on.

    Below the threshold the layer's call, not `take_rows`'s `ops.take` of
    its table, keeps the published results bit for bit: with the latter,
    RnR(BPR, SVD)'s weights after 2 epochs on ML-100K were no longer
    those of the layer's lookup.
    """
    if embedding.embeddings.shape[0] < ROW_READ_MIN_ROWS:
        return embedding(indices)
    return take_rows(embedding.embeddings, indices)
