"""`tf.data` pipelines that turn training `Interactions` into model batches.

Two kinds of batch, used by the `BatchKind` strategies of the models:
- pairs: `({"user", "item"[, "negative"]}, rating)`, one training
  interaction per example, with one negative item drawn uniformly from the
  items the user has NOT interacted with in training (rejection sampling,
  vectorised over the batch, inside the graph).
- rows: `{"user"}`, one user per example; the model rebuilds the user's
  row from the history it stores (so no dense user x item matrix exists).

Each epoch draws a fresh permutation and fresh negatives; both are a pure
function of `seed` and the epoch number, so two runs with the same seed see
the same batches.
"""

import numpy as np
import tensorflow as tf

from rnr_keras.validation import check_positive_int

#: Default batch sizes, chosen on ML-1M-sized data (see benchmarks/).
PAIRS_BATCH_SIZE = 1024
ROWS_BATCH_SIZE = 64


def _epoch_batches(n, batch_size, shuffle, seed, make_epoch, drop_remainder=False):
    """Dataset of batches; a new seeded permutation every epoch.

    `make_epoch(order, epoch_seed)` turns the epoch's order of example
    positions into a dict of whole-epoch tensors (gathers, negative
    sampling), done once per epoch with large vectorised ops; batches are
    then cheap slices of those tensors.
    """
    if drop_remainder and n >= batch_size:
        # One batch shape means one XLA compilation. The few rows left over
        # differ every epoch (fresh permutation), so all rows are used.
        num_batches = n // batch_size
    else:
        drop_remainder = False
        num_batches = -(-n // batch_size)
    # Keras iterates the dataset afresh every epoch; this counter numbers
    # the iterations, so epoch e of any run with `seed` sees the same
    # batches (TensorFlow's global seed plays no part).
    epoch_counter = tf.Variable(-1, dtype=tf.int64, trainable=False)
    epoch_seeds = tf.data.Dataset.from_tensors(tf.constant(0, tf.int64)).map(
        lambda _: int(seed) * 1_000_003 + epoch_counter.assign_add(1)
    )

    def batches(epoch_seed):
        if shuffle:
            order = tf.random.experimental.stateless_shuffle(
                tf.range(n, dtype=tf.int64), seed=tf.stack([epoch_seed, 0])
            )
        else:
            order = tf.range(n, dtype=tf.int64)
        epoch = make_epoch(order, tf.stack([epoch_seed, 1]))
        # Reshaping into (batches, batch_size) lets from_tensor_slices hand
        # out views; slicing captured tensors in a map copies them per batch.
        full, rest = divmod(n, batch_size)
        out = tf.data.Dataset.from_tensor_slices(
            tf.nest.map_structure(
                lambda t: tf.reshape(t[: full * batch_size], [full, batch_size]),
                epoch,
            )
        )
        if rest and not drop_remainder:
            out = out.concatenate(
                tf.data.Dataset.from_tensors(
                    tf.nest.map_structure(lambda t: t[full * batch_size :], epoch)
                )
            )
        return out

    # flat_map hides the length; restoring it gives Keras a progress bar
    # and an epoch end it knows in advance.
    return (
        epoch_seeds.flat_map(batches)
        .apply(tf.data.experimental.assert_cardinality(num_batches))
        .prefetch(tf.data.AUTOTUNE)
    )


def _sorted_keys(train):
    keys = train.users.astype(np.int64) * train.num_items + train.items
    return np.unique(keys)


def sample_negatives(users, keys, num_items, seed, max_rounds=1000):
    """Uniform items each user has not interacted with (TF, vectorised).

    Args:
        users: int32 tensor `(B,)`.
        keys: sorted int64 tensor of `user * num_items + item` positives.
        num_items: int.
        seed: int tensor of shape `(2,)`, a stateless RNG seed.
        max_rounds: int. Bound on resampling rounds (each round resamples
            only the draws that hit a positive). Defaults to 1000.

    Returns:
        int32 tensor `(B,)`.
    """
    users64 = tf.cast(users, tf.int64)
    last = tf.cast(tf.size(keys) - 1, tf.int64)

    def is_positive(users64, items):
        query = users64 * num_items + tf.cast(items, tf.int64)
        where = tf.minimum(tf.searchsorted(keys, query, out_type=tf.int64), last)
        return tf.equal(tf.gather(keys, where), query)

    def draw(shape, round_):
        return tf.random.stateless_uniform(
            shape,
            seed=tf.stack([seed[0], seed[1] * max_rounds + round_]),
            minval=0,
            maxval=num_items,
            dtype=tf.int32,
        )

    negatives = draw(tf.shape(users), tf.constant(0, tf.int64))
    bad = tf.where(is_positive(users64, negatives))[:, 0]

    # Each round redraws only the draws that hit a positive, so the total
    # work is about (1 + density) * B, not rounds * B.
    def body(round_, negatives, bad):
        bad_users = tf.gather(users64, bad)
        fresh = draw(tf.shape(bad), round_)
        negatives = tf.tensor_scatter_nd_update(
            negatives, tf.expand_dims(bad, 1), fresh
        )
        still = tf.where(is_positive(bad_users, fresh))[:, 0]
        return round_ + 1, negatives, tf.gather(bad, still)

    _, negatives, bad = tf.while_loop(
        lambda round_, _, bad: tf.logical_and(
            tf.size(bad) > 0, round_ < max_rounds
        ),
        body,
        (tf.constant(1, tf.int64), negatives, bad),
        shape_invariants=(
            tf.TensorShape([]),
            negatives.shape,
            tf.TensorShape([None]),
        ),
    )
    # Only a user who has seen nearly every item could exhaust the rounds;
    # fail loudly rather than hand out a positive as a negative.
    with tf.control_dependencies(
        [
            tf.debugging.Assert(
                tf.equal(tf.size(bad), 0),
                ["negative sampling did not converge in", max_rounds, "rounds"],
            )
        ]
    ):
        return tf.identity(negatives)


def pair_dataset(
    train,
    batch_size: int = PAIRS_BATCH_SIZE,
    negatives: bool = True,
    shuffle: bool = True,
    seed: int = 0,
):
    """Batches of training interactions, with sampled negatives.

    Args:
        train: `Interactions`. Training data.
        batch_size: int. Interactions per batch. Defaults to 1024.
        negatives: bool. Whether to add a `"negative"` item. Defaults to
            `True`.
        shuffle: bool. Whether to reshuffle every epoch. Defaults to `True`.
        seed: int. Seed of shuffling and sampling. Defaults to 0.

    Returns:
        `tf.data.Dataset` of `({"user", "item"[, "negative"]}, rating)`.

    Example:

    >>> from rnr_keras.datasets import Interactions
    >>> train = Interactions(users=[0, 0, 1], items=[1, 2, 0],
    ...                      ratings=[4, 5, 3])
    >>> x, y = next(iter(pair_dataset(train, batch_size=3)))
    >>> sorted(x)
    ['item', 'negative', 'user']
    """
    batch_size = check_positive_int("batch_size", batch_size)
    if len(train) == 0:
        raise ValueError("`train` is empty")
    users = tf.constant(train.users)
    items = tf.constant(train.items)
    ratings = tf.constant(train.ratings)
    if negatives:
        keys = _sorted_keys(train)
        full = np.flatnonzero(
            np.bincount(keys // train.num_items, minlength=train.num_users)
            >= train.num_items
        )
        if len(full):
            raise ValueError(
                f"User index {int(full[0])} interacted with all "
                f"{train.num_items} items: no negative item can be sampled"
            )
        keys = tf.constant(keys)
    num_items = train.num_items

    def make_epoch(order, epoch_seed):
        user = tf.gather(users, order)
        x = {"user": user, "item": tf.gather(items, order)}
        if negatives:
            x["negative"] = sample_negatives(user, keys, num_items, epoch_seed)
        return x, tf.gather(ratings, order)

    return _epoch_batches(
        len(train), batch_size, shuffle, seed, make_epoch, drop_remainder=shuffle
    )


def user_dataset(
    train,
    batch_size: int = ROWS_BATCH_SIZE,
    shuffle: bool = True,
    seed: int = 0,
):
    """Batches of the users that have training interactions.

    Args:
        train: `Interactions`. Training data.
        batch_size: int. Users per batch. Defaults to 64.
        shuffle: bool. Whether to reshuffle every epoch. Defaults to `True`.
        seed: int. Defaults to 0.

    Returns:
        `tf.data.Dataset` of `{"user": int32 (B,)}`.
    """
    batch_size = check_positive_int("batch_size", batch_size)
    active = np.flatnonzero(train.user_counts() > 0).astype(np.int32)
    if len(active) == 0:
        raise ValueError("`train` is empty")
    users = tf.constant(active)
    return _epoch_batches(
        len(active),
        batch_size,
        shuffle,
        seed,
        lambda order, _: {"user": tf.gather(users, order)},
    )


def dataset_for(model, train, batch_size=None, shuffle=True, seed=0):
    """The training dataset `model` needs, made by its batch kind.

    Args:
        model: a `MultiTaskModel` (BPR, CDAE, SVD, VanillaModel, RnRModel,
            ...). Its `batch_kind` (see `rnr_keras.models.BatchKind`) makes
            the pipeline.
        train: `Interactions`. Must match the model's index space.
        batch_size: int or `None`. Defaults to the batch kind's (1024
            interactions for pairs, 64 users for rows).
        shuffle: bool. Defaults to `True`.
        seed: int. Defaults to 0.
    """
    return model.training_dataset(
        train, batch_size=batch_size, shuffle=shuffle, seed=seed
    )
