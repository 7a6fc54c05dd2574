"""A zoo model as a TensorFlow SavedModel, for TensorFlow Serving."""

import contextlib
import os

import keras
import numpy as np

from rnr_keras.io_utils import check_folder_target
from rnr_keras.io_utils import folder_written_atomically
from rnr_keras.validation import check_positive_int

#: The signature serving top-k recommendations (`serving_default` too).
RECOMMEND_SIGNATURE = "recommend"
#: The signature serving predicted ratings (models with a rater).
RATE_SIGNATURE = "rate"
#: What an unfilled top-k slot holds in `item_ids` (its score is -inf).
EMPTY_ITEM = ""


def export_saved_model(
    model,
    directory,
    k: int = 10,
    overwrite: bool = False,
    user_ids=None,
    item_ids=None,
    verbose: bool = False,
):
    """Writes `model` as a TensorFlow SavedModel that serves by raw ids.

    The SavedModel needs neither rnr_keras nor Keras: it loads with
    `tf.saved_model.load(directory)` and serves with TensorFlow Serving.
    Its signatures (`saved_model_cli show --dir DIR --all` lists them):

    - `serving_default` (also `recommend`): `user_ids`, a 1-D `tf.string`
      tensor of raw user ids (as `Interactions.user_ids`; an int id such
      as MovieLens user 196 is the string "196"), to `item_ids` (`tf.string`,
      `(n, k)`) and `scores` (float32, `(n, k)`), best first. A known user
      gets `model.recommend([user], k)`: the model's own `score_batch`,
      traced, with the user's training items (the data given to `adapt`)
      left out; a slot the user cannot fill holds item "" with score -inf.
      An unknown user (a raw id without an index) gets the `k` items with
      the most training interactions, scored by that count (a float).
    - `rate` (models with a rater, `predict_rating`: SVD, SVD++,
      Vanilla/RnR): `user_ids` and `item_ids`, 1-D `tf.string` of the same
      length, to `ratings` (float32, `(n,)`), `model.predict_rating` of
      each pair. A pair with an unknown user or item gets the mean rating
      of the training data.

    `k` is capped at the number of items, as in `recommend`. Ties in score
    may come in another order than `recommend`'s (TensorFlow's `top_k`
    puts the lower item index first).

    The training data is written into the SavedModel (as variables): the
    items to leave out, and what history-reading models (CDAE, SVD++,
    EASE, SASRec, Transition) score from. Share the export only where the
    data's licence allows (MovieLens forbids redistributing it).

    The export is written into a temporary folder beside `directory`, then
    renamed: `directory` is never left half-written.

    Args:
        model: an rnr_keras `Recommender`, adapted to its training data
            (`model.adapt(train)`; `zoo.load` does it for a preset).
        directory: str or path-like. The SavedModel folder to write.
        k: int. Items per user of `serving_default`. Defaults to 10.
        overwrite: bool. Whether to replace an existing, non-empty
            `directory`. Defaults to `False`.
        user_ids: array or `None`. Raw id of each user index. Defaults to
            the training data's `user_ids`.
        item_ids: array or `None`. Raw id of each item index. Defaults to
            the training data's `item_ids`.
        verbose: bool. Print where the export went and its signatures.
            Defaults to `False`.

    Returns:
        str. The SavedModel folder's absolute path.

    Raises:
        ValueError: a model without training data, a bad `k` or raw-id map,
            or a backend other than TensorFlow.
        FileExistsError: `directory` is a file, or a folder that is not
            empty (without `overwrite`).

    Example:

    >>> from rnr_keras.datasets import Interactions
    >>> from rnr_keras.models import Popularity
    >>> train = Interactions(users=[0, 1, 1], items=[2, 2, 0],
    ...                      user_ids=["ann", "bob"], item_ids=["x", "y", "z"])
    >>> model = Popularity(num_users=2, num_items=3).adapt(train)
    >>> path = export_saved_model(model, "/tmp/popularity", k=2)  # doctest: +SKIP
    >>> import tensorflow as tf  # doctest: +SKIP
    >>> serve = tf.saved_model.load(path).signatures["serving_default"]  # doctest: +SKIP
    >>> serve(user_ids=tf.constant(["ann", "eve"]))["item_ids"]  # doctest: +SKIP
    <tf.Tensor: shape=(2, 2), dtype=string, numpy=
    array([[b'x', b'y'],
           [b'z', b'x']], dtype=object)>
    """
    if not (isinstance(model, keras.Model) and hasattr(model, "score_batch")):
        raise ValueError(
            "`model` must be an rnr_keras `Recommender`. Received: "
            f"model={model!r}"
        )
    k = check_positive_int("k", k)
    if keras.backend.backend() != "tensorflow":
        raise ValueError(
            "A SavedModel export needs the TensorFlow backend; this process "
            f"runs Keras on {keras.backend.backend()!r} (set "
            "KERAS_BACKEND=tensorflow)"
        )
    path = os.path.abspath(os.fspath(directory))
    check_folder_target(path, overwrite, what="export")
    history = model.require_history("a SavedModel export")
    train = model.training_interactions
    user_ids = _id_strings(
        "user_ids", train.user_ids if user_ids is None else user_ids,
        model.num_users,
    )
    item_ids = _id_strings(
        "item_ids", train.item_ids if item_ids is None else item_ids,
        model.num_items,
    )
    rates = getattr(model, "rater", None) is not None

    with folder_written_atomically(path, overwrite, what="export") as tmp:
        with _traceable_history(model, history) as graph_history:
            archive = _archive(
                model, graph_history, train, user_ids, item_ids,
                min(k, model.num_items), rates,
            )
            archive.write_out(tmp, verbose=False)
    if verbose:
        signatures = (
            f"serving_default and {RECOMMEND_SIGNATURE} (user_ids -> "
            f"item_ids, scores; k={min(k, model.num_items)})"
        )
        if rates:
            signatures += f", {RATE_SIGNATURE} (user_ids, item_ids -> ratings)"
        print(f"Saved a SavedModel of {type(model).__name__} at {path}: "
              f"signatures {signatures}.")
    return path


def _archive(model, history, train, user_ids, item_ids, k, rates):
    """The `keras.export.ExportArchive` of the serving functions."""
    import tensorflow as tf

    user_table = _lookup_table(user_ids)
    item_table = _lookup_table(item_ids)
    item_strings = tf.constant(item_ids, dtype=tf.string)
    # Unknown users get the most interacted-with training items, scored
    # by their count.
    popularity = tf.Variable(
        train.item_counts().astype(np.float32), trainable=False,
        name="item_counts",
    )
    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.track(user_table)
    archive.track(item_table)

    def recommend(user_ids):
        users = user_table.lookup(user_ids)
        known = users >= 0
        safe = tf.cast(tf.where(known, users, 0), tf.int32)
        scores = tf.cast(model.score_batch(safe), tf.float32)
        # As `recommend(exclude="train")`: training items score -inf.
        row, items, _ = history.entries(safe)
        seen = tf.stack([tf.cast(row, tf.int32), tf.cast(items, tf.int32)], 1)
        scores = tf.tensor_scatter_nd_update(
            scores, seen, tf.fill(tf.shape(row), float("-inf"))
        )
        scores = tf.where(known[:, None], scores, popularity[None, :])
        top = tf.math.top_k(scores, k=k)
        empty = tf.math.equal(top.values, float("-inf"))
        ids = tf.where(empty, EMPTY_ITEM, tf.gather(item_strings, top.indices))
        return {"item_ids": ids, "scores": top.values}

    archive.add_endpoint(
        RECOMMEND_SIGNATURE,
        recommend,
        input_signature=[tf.TensorSpec([None], tf.string, name="user_ids")],
    )
    if rates:
        mean = float(np.mean(train.ratings))

        def rate(user_ids, item_ids):
            tf.debugging.assert_equal(
                tf.size(user_ids), tf.size(item_ids),
                message="`user_ids` and `item_ids` must have the same length",
            )
            users = user_table.lookup(user_ids)
            items = item_table.lookup(item_ids)
            known = tf.logical_and(users >= 0, items >= 0)
            ratings = tf.cast(
                model.rate_batch(
                    tf.cast(tf.where(known, users, 0), tf.int32),
                    tf.cast(tf.where(known, items, 0), tf.int32),
                ),
                tf.float32,
            )
            return {"ratings": tf.where(known, ratings, mean)}

        archive.add_endpoint(
            RATE_SIGNATURE,
            rate,
            input_signature=[
                tf.TensorSpec([None], tf.string, name="user_ids"),
                tf.TensorSpec([None], tf.string, name="item_ids"),
            ],
        )
    return archive


@contextlib.contextmanager
def _traceable_history(model, history):
    """The model reads a copy of `history` whose tensors are variables.

    The history's tensors are eager constants; a traced function would
    embed them in the graph (`saved_model.pb`, which protobuf caps at
    2 GB). As variables they are saved with the weights instead. The
    model's own history and batch context come back on exit.
    """
    import tensorflow as tf

    graph_history = object.__new__(type(history))
    for name, value in vars(history).items():
        if tf.is_tensor(value) and not isinstance(value, tf.Variable):
            value = tf.Variable(value, trainable=False, name=f"history_{name}")
        setattr(graph_history, name, value)
    saved = model.interaction_history, model._context
    model.interaction_history, model._context = graph_history, None
    try:
        yield graph_history
    finally:
        model.interaction_history, model._context = saved


def _lookup_table(ids):
    """A `StaticHashTable` raw id (str) -> index (int64), -1 if unknown."""
    import tensorflow as tf

    return tf.lookup.StaticHashTable(
        tf.lookup.KeyValueTensorInitializer(
            tf.constant(ids, dtype=tf.string),
            tf.range(len(ids), dtype=tf.int64),
        ),
        default_value=-1,
    )


def _id_strings(argument, ids, size):
    """`ids` as one str per index, checked: 1-D, `size` long, unique."""
    values = np.asarray(ids)
    if values.ndim != 1 or len(values) != size:
        raise ValueError(
            f"`{argument}` must hold one raw id per index ({size}). "
            f"Received shape {values.shape}"
        )
    strings = [str(value) for value in values.tolist()]
    if len(set(strings)) != len(strings):
        raise ValueError(
            f"`{argument}` holds a raw id more than once (as a string: the "
            "SavedModel takes ids as tf.string)"
        )
    return strings
