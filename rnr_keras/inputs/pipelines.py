"""`tf.data` pipelines that turn training `Interactions` into model batches.

Two kinds of batch, used by the `BatchKind` strategies of the models:
- pairs: `({"user", "item"[, "negative"]}, rating)`, one training
  interaction per example, with one negative item drawn uniformly from the
  items the user has NOT interacted with in training (rejection sampling,
  vectorised over the batch, inside the graph).
- rows: `{"user"}`, one user per example; the model rebuilds the user's
  row from the history it stores (so no dense user x item matrix exists).
- sequences: `({"user", "sequence", "target"[, "negative"]}, ratings)`,
  one window of a user's time-ordered training items per example (see
  `sequence_dataset`).

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
SEQUENCES_BATCH_SIZE = 128


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
                lambda t: tf.reshape(
                    t[: full * batch_size],
                    tf.concat([[full, batch_size], tf.shape(t)[1:]], 0),
                ),
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
    # and an epoch end it knows in advance. Batches are views of the
    # epoch's tensors, so two prefetched ones keep the model fed; tf.data's
    # autotuner, on by default, has nothing to tune here but stalled
    # whole seconds: with it, about one epoch boundary in two (Keras makes
    # and drops an iterator there) waited 3.7-4.1 s at Yelp size (BPR,
    # epochs of ~6.3 s on 2 cores); without it, none in 27.
    options = tf.data.Options()
    options.autotune.enabled = False
    return (
        epoch_seeds.flat_map(batches)
        .apply(tf.data.experimental.assert_cardinality(num_batches))
        .prefetch(2)
        .with_options(options)
    )


#: Size of the table `pair_dataset` checks drawn negatives against first:
#: one byte per cell `key % size`, True where a positive's key falls
#: (`key = user * num_items + item`; the size is users x items where that
#: is smaller, so each cell is one pair). Only draws that land on a True
#: cell are then searched for among the sorted positives, so the draws
#: are the same as with the search alone; where each cell is one pair the
#: table answers alone. 67,108,859 is the largest prime below 2^26 (64
#: MB); ML-1M needs 22M cells. Sampling an epoch's negatives on 2 cores:
#: ML-1M-sized data 30 ms instead of 87 ms, Yelp-sized data (a hashed
#: table) 117 ms instead of 350 ms.
SEEN_FILTER_SIZE = 67_108_859


def _sorted_keys(train):
    keys = train.users.astype(np.int64) * train.num_items + train.items
    return np.unique(keys)


def _seen_filter(keys, num_users, num_items):
    """bool `(size,)`: True at `key % size` of each positive key, with
    `size` the smaller of users x items and `SEEN_FILTER_SIZE`."""
    size = min(num_users * num_items, SEEN_FILTER_SIZE)
    table = np.zeros(size, dtype=bool)
    table[keys % size] = True
    return table


def sample_negatives(users, keys, num_items, seed, max_rounds=1000, seen=None):
    """Uniform items each user has not interacted with (TF, vectorised).

    Args:
        users: int32 tensor `(B,)`.
        keys: sorted int64 tensor of `user * num_items + item` positives,
            or `None` if `seen` has one cell per user x item pair.
        num_items: int.
        seed: int tensor of shape `(2,)`, a stateless RNG seed.
        max_rounds: int. Bound on resampling rounds (each round resamples
            only the draws that hit a positive). Defaults to 1000.
        seen: optional bool tensor `(size,)`, True at `key % size` of
            every positive key (`_seen_filter`): a draw whose cell is
            False is no positive, and only the others search `keys` (the
            same negatives, faster). With `keys=None` a True cell is a
            positive: the table must then have a cell per pair.

    Returns:
        int32 tensor `(B,)`.
    """
    users64 = tf.cast(users, tf.int64)
    if keys is None and seen is None:
        raise ValueError("`sample_negatives` needs `keys`, `seen` or both")

    def search(query):
        last = tf.cast(tf.size(keys) - 1, tf.int64)
        where = tf.minimum(tf.searchsorted(keys, query, out_type=tf.int64), last)
        return tf.equal(tf.gather(keys, where), query)

    def is_positive(users64, items):
        query = users64 * num_items + tf.cast(items, tf.int64)
        if seen is None:
            return search(query)
        if keys is None:
            return tf.gather(seen, query)
        maybe = tf.gather(seen, query % tf.size(seen, out_type=tf.int64))
        candidates = tf.where(maybe)
        return tf.tensor_scatter_nd_update(
            maybe, candidates, search(tf.gather_nd(query, candidates))
        )

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
        table = _seen_filter(keys, train.num_users, train.num_items)
        seen = tf.constant(table)
        # A cell per pair answers alone; a hashed table needs the search.
        exact = len(table) == train.num_users * train.num_items
        keys = None if exact else tf.constant(keys)
    num_items = train.num_items

    def make_epoch(order, epoch_seed):
        user = tf.gather(users, order)
        x = {"user": user, "item": tf.gather(items, order)}
        if negatives:
            x["negative"] = sample_negatives(
                user, keys, num_items, epoch_seed, seen=seen
            )
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


def sequence_windows(train, max_length):
    """Each user's time-ordered training items cut into windows.

    A user's items (by timestamp, ties in input order) `s_0 .. s_{n-1}`
    give the windows ending at `n, n - L, n - 2L, ...` (`L = max_length`):
    each holds `L + 1` items, left-padded with -1, so every transition
    `s_t -> s_{t+1}` is a target exactly once and the latest window (the
    one that matters most for the held-out item) is always whole. No dense
    user x item matrix is made; vectorised over users.

    Args:
        train: `Interactions`.
        max_length: int. L, the items a window feeds the encoder.

    Returns:
        `(users, items, ratings)`: int32 `(W,)`, int32 `(W, L + 1)` and
        float32 `(W, L + 1)` NumPy arrays (rating 0 at pads).

    Example:

    >>> from rnr_keras.datasets import Interactions
    >>> train = Interactions(users=[0, 0, 0, 0], items=[5, 6, 7, 8],
    ...                      num_items=9)
    >>> users, items, _ = sequence_windows(train, max_length=2)
    >>> users.tolist(), items.tolist()
    ([0, 0], [[6, 7, 8], [-1, 5, 6]])
    """
    max_length = check_positive_int("max_length", max_length)
    order = train.time_order()
    items = train.items[order]
    ratings = train.ratings[order]
    counts = train.user_counts()
    indptr = np.zeros(train.num_users + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    # A user with n items has n - 1 transitions: ceil((n - 1) / L) windows.
    windows = np.where(counts > 1, -(-(counts - 1) // max_length), 0)
    users = np.repeat(np.arange(train.num_users), windows)
    first = np.cumsum(windows) - windows
    rank = np.arange(len(users)) - np.repeat(first, windows)
    ends = np.repeat(indptr[1:], windows) - rank * max_length
    offsets = np.arange(-max_length - 1, 0)
    window_positions = ends[:, None] + offsets
    valid = window_positions >= np.repeat(indptr[:-1], windows)[:, None]
    safe = np.where(valid, window_positions, 0)
    return (
        users.astype(np.int32),
        np.where(valid, items[safe], -1).astype(np.int32),
        np.where(valid, ratings[safe], 0.0).astype(np.float32),
    )


def sequence_dataset(
    train,
    max_length: int,
    batch_size: int = SEQUENCES_BATCH_SIZE,
    negatives: bool = False,
    shuffle: bool = True,
    seed: int = 0,
):
    """Batches of windows of users' time-ordered training items.

    Each example is one window of `sequence_windows`: the encoder reads
    `sequence` (the first L items) and is trained to predict, at every
    position, the next item, `target` (the last L); pads are -1 in both.

    Args:
        train: `Interactions`. Training data.
        max_length: int. L, items per window.
        batch_size: int. Windows per batch. Defaults to 128.
        negatives: bool. Whether to add a `"negative"` item per position,
            drawn uniformly from the catalogue (for the one-negative binary
            loss; it may hit an item of the user's history with
            probability ~ history / catalogue). Defaults to `False`.
        shuffle: bool. Whether to reshuffle every epoch; shuffled epochs
            drop the last partial batch (one batch shape, one XLA
            compilation; the windows left over differ every epoch).
            Defaults to `True`.
        seed: int. Seed of shuffling and sampling. Defaults to 0.

    Returns:
        `tf.data.Dataset` of `({"user", "sequence", "target"[,
        "negative"]}, ratings)`, `ratings` being the targets' ratings.

    Example:

    >>> from rnr_keras.datasets import Interactions
    >>> train = Interactions(users=[0, 0, 0, 1, 1], items=[1, 2, 0, 2, 1])
    >>> x, y = next(iter(sequence_dataset(train, max_length=3,
    ...                                   shuffle=False)))
    >>> x["sequence"].numpy().tolist(), x["target"].numpy().tolist()
    ([[-1, 1, 2], [-1, -1, 2]], [[1, 2, 0], [-1, 2, 1]])
    """
    batch_size = check_positive_int("batch_size", batch_size)
    users, items, ratings = sequence_windows(train, max_length)
    if len(users) == 0:
        raise ValueError(
            "`train` has no user with two or more interactions: a sequence "
            "model has nothing to learn from"
        )
    users = tf.constant(users)
    sequences = tf.constant(items[:, :-1])
    targets = tf.constant(items[:, 1:])
    target_ratings = tf.constant(ratings[:, 1:])
    num_items = train.num_items

    def make_epoch(order, epoch_seed):
        target = tf.gather(targets, order)
        x = {
            "user": tf.gather(users, order),
            "sequence": tf.gather(sequences, order),
            "target": target,
        }
        if negatives:
            x["negative"] = tf.random.stateless_uniform(
                tf.shape(target), seed=epoch_seed, maxval=num_items,
                dtype=tf.int32,
            )
        return x, tf.gather(target_ratings, order)

    return _epoch_batches(
        len(users), batch_size, shuffle, seed, make_epoch, drop_remainder=shuffle
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
