"""Full-ranking evaluation of held-out items: Recall@k, MRR@k, NDCG@k."""

import keras
import numpy as np

from rnr_keras.datasets.interactions import Interactions
from rnr_keras.validation import check_positive_int


def evaluate_ranking(
    model_or_score_fn,
    heldout,
    train,
    *,
    k=10,
    batch_size=1024,
    per_user=False,
):
    """Ranks each held-out item among all items and averages hit metrics.

    For every held-out row `(user, item)` the model scores ALL items for the
    user. The user's training items are excluded from the ranking (as if
    their score were `-inf`), except the held-out item itself, which always
    competes even if it also appears in `train` (it cannot under
    `all_but_last_one`, which keeps the two disjoint). Ties are broken
    pessimistically: the held-out item's rank is `1 + ` the number of other
    candidate items scoring greater than OR EQUAL to it, so a constant
    scorer ranks every held-out item last and scores 0, never a lucky hit.

    Each held-out row is its own case: under the protocol a user has exactly
    one; a user with several rows is scored once per row, and their other
    held-out items stay candidates (only `train` items are excluded).

    With `rank` the 1-based rank, the metrics are means over cases of
    `recall@k`: `rank <= k` (hit rate; one relevant item per case),
    `mrr@k`: `1 / rank` if `rank <= k` else 0,
    `ndcg@k`: `1 / log2(rank + 1)` if `rank <= k` else 0.

    The work runs `batch_size` users at a time, on the scores as the model
    returns them (for a zoo model, its backend tensor; nothing of size
    users x items is copied): one comparison pass counts the items scoring
    at least the target, and the user's training items that do are
    subtracted, so there is no sort and no Python loop over users or
    items. The result does not depend on `batch_size`.

    Args:
        model_or_score_fn: an object with a `score(user_indices)` method
            (checked first, e.g. an `rnr_keras` model), or a callable.
            Either maps an int32 array of `n` user indices to an `(n,
            num_items)` score array (numpy or a backend tensor); higher
            means more relevant.
        heldout: `Interactions`. The held-out rows (e.g. `split.val`).
        train: `Interactions`. The training rows whose items are excluded,
            in the same index space as `heldout` (same `num_items`; users
            beyond `train.num_users` have no training items).
        k: int. Cut-off of the metrics. Defaults to 10.
        batch_size: int. Users scored per call of the score function.
            Defaults to 1024.
        per_user: bool. Whether to add a `"per_user"` dict of arrays in
            held-out row order, for paired significance tests: `"users"`,
            `"items"`, `"rank"` (int64, the full rank even beyond `k`),
            `"reciprocal_rank@k"` and `"ndcg@k"` (0 beyond `k`). Defaults
            to `False`.

    Returns:
        dict: `{"recall@k": float, "mrr@k": float, "ndcg@k": float,
        "users": int}` with the actual `k` in the keys; `"users"` counts the
        held-out rows evaluated. Plus `"per_user"` when asked.

    Raises:
        ValueError: on a bad `k` or `batch_size`, empty `heldout`,
            mismatched `num_items`, a score array of the wrong shape, or NaN
            scores (naming the user).

    Example:

    >>> import numpy as np
    >>> from rnr_keras.datasets import Interactions
    >>> train = Interactions(users=[0, 1], items=[0, 1], num_items=4)
    >>> heldout = Interactions(users=[0, 1], items=[2, 3], num_items=4)
    >>> scores = np.array([[9.0, 1.0, 5.0, 7.0],    # item 0 is in train
    ...                    [0.0, 9.0, 2.0, 2.0]])   # tie: item 3 after 2
    >>> result = evaluate_ranking(lambda users: scores[users], heldout,
    ...                           train, k=1, per_user=True)
    >>> result["per_user"]["rank"].tolist()
    [2, 2]
    >>> result["recall@1"]
    0.0
    """
    k = check_positive_int("k", k)
    batch_size = check_positive_int("batch_size", batch_size)
    score_fn = _resolve_score_fn(model_or_score_fn)
    _check_data(heldout, train)

    num_items = heldout.num_items
    indptr, train_items, _ = train.csr()
    ranks = np.empty(len(heldout), dtype=np.int64)
    for start in range(0, len(heldout), batch_size):
        stop = min(start + batch_size, len(heldout))
        users = heldout.users[start:stop]
        scores = score_fn(users)
        if not hasattr(scores, "shape") or not hasattr(scores, "dtype"):
            scores = np.asarray(scores)
        expected = (len(users), num_items)
        if tuple(scores.shape) != expected:
            raise ValueError(
                "The score function must return one row of `num_items` "
                f"scores per user: expected shape {expected}, received "
                f"shape {tuple(scores.shape)}"
            )
        ranks[start:stop] = _batch_ranks(
            scores,
            users,
            heldout.items[start:stop],
            indptr,
            train_items,
            train.num_users,
        )
    results = ranking_metrics_from_ranks(ranks, k)
    if per_user:
        per_user_metrics = _per_rank_metrics(ranks, k)
        results["per_user"] = {
            "users": heldout.users.copy(),
            "items": heldout.items.copy(),
            "rank": ranks,
            f"reciprocal_rank@{k}": per_user_metrics["mrr"],
            f"ndcg@{k}": per_user_metrics["ndcg"],
        }
    return results


def ranking_metrics_from_ranks(ranks, k):
    """Recall@k, MRR@k and NDCG@k from 1-based ranks of held-out items.

    Args:
        ranks: int array. The 1-based rank of each case's held-out item.
        k: int. Cut-off of the metrics.

    Returns:
        dict: `{"recall@k", "mrr@k", "ndcg@k", "users"}` as in
        `evaluate_ranking`.

    Example:

    >>> ranking_metrics_from_ranks([1, 2, 11], k=10)["mrr@10"]
    0.5
    """
    k = check_positive_int("k", k)
    ranks = np.asarray(ranks, dtype=np.int64)
    if ranks.ndim != 1 or len(ranks) == 0 or ranks.min() < 1:
        raise ValueError(
            "`ranks` must be a non-empty 1-D array of ranks >= 1. "
            f"Received: ranks={ranks!r}"
        )
    per_case = _per_rank_metrics(ranks, k)
    return {
        f"recall@{k}": float(per_case["recall"].mean()),
        f"mrr@{k}": float(per_case["mrr"].mean()),
        f"ndcg@{k}": float(per_case["ndcg"].mean()),
        "users": int(len(ranks)),
    }


def metric_log_name(name):
    """A result key as a valid Keras metric name: `recall@10` ->
    `recall_at_10`."""
    return name.replace("@", "_at_")


def heldout_ranks(y_true, y_pred):
    """Pessimistic 1-based rank of each row's target item, with `keras.ops`.

    The in-graph counterpart of `evaluate_ranking`'s ranking, used by
    `RecallAtK` and `MRRAtK`: rank = number of items scoring greater than
    or equal to the target, the target included. Items to exclude should
    carry a score of `-inf` (with a finite target score they never count).

    Args:
        y_true: int tensor `(batch,)` or `(batch, 1)`. Target item index of
            each row.
        y_pred: float tensor `(batch, num_items)`. Scores of all items.

    Returns:
        int32 tensor `(batch,)` of ranks >= 1.

    Example:

    >>> import numpy as np
    >>> ranks = heldout_ranks(np.array([1]), np.array([[3.0, 2.0, 2.0]]))
    >>> keras.ops.convert_to_numpy(ranks).tolist()
    [3]
    """
    y_pred = keras.ops.convert_to_tensor(y_pred)
    y_true = keras.ops.reshape(
        keras.ops.cast(keras.ops.convert_to_tensor(y_true), "int32"), (-1, 1)
    )
    target = keras.ops.take_along_axis(y_pred, y_true, axis=1)
    not_below = keras.ops.cast(
        keras.ops.greater_equal(y_pred, target), "int32"
    )
    # The target compares equal to itself, so the count is already 1-based;
    # max(., 1) keeps a NaN target (which compares unequal) at rank >= 1.
    return keras.ops.maximum(keras.ops.sum(not_below, axis=1), 1)


def _batch_ranks(scores, users, items, indptr, train_items, num_train_users):
    """Ranks of `items` within one batch of score rows.

    Nothing of the `(B, M)` scores is copied or written: the rank is the
    count of items scoring at least the target (the target included),
    minus the count among the user's distinct training items other than
    the target, which are gathered (a few per user). The two full passes
    (NaN check, comparison) run as backend ops on the scores as the model
    returned them, on every core.
    """
    scores = keras.ops.convert_to_tensor(scores)
    if not keras.backend.is_float_dtype(scores.dtype):
        scores = keras.ops.cast(scores, "float64")
    nan_rows = keras.ops.convert_to_numpy(
        keras.ops.any(keras.ops.isnan(scores), axis=1)
    )
    if nan_rows.any():
        row = int(np.flatnonzero(nan_rows)[0])
        values = keras.ops.convert_to_numpy(scores[row])
        item = int(np.flatnonzero(np.isnan(values))[0])
        raise ValueError(
            f"The scores of user {int(users[row])} contain NaN (first at "
            f"item {item}); ranking needs finite or infinite scores"
        )
    rows = np.arange(len(users))
    num_items = int(scores.shape[1])
    flat = keras.ops.reshape(scores, (-1,))
    target_index = rows.astype(np.int64) * num_items + items
    target = keras.ops.take(flat, target_index)
    at_least = keras.ops.sum(
        keras.ops.cast(scores >= keras.ops.expand_dims(target, 1), "int32"),
        axis=1,
    )

    # The batch users' training items: row ids by np.repeat over the CSR
    # row lengths, item ids by one gather of their CSR slices; each
    # (row, item) once, and never the target (it stays a candidate).
    clipped = np.minimum(users, num_train_users)
    starts = indptr[clipped]
    lengths = indptr[np.minimum(users.astype(np.int64) + 1, num_train_users)]
    lengths = lengths - starts
    total = int(lengths.sum())
    mask_rows = np.repeat(rows, lengths)
    row_offsets = np.cumsum(lengths) - lengths
    offsets = np.arange(total) - np.repeat(row_offsets, lengths)
    mask_items = train_items[np.repeat(starts, lengths) + offsets]
    keys = np.unique(mask_rows.astype(np.int64) * num_items + mask_items)
    keys = keys[keys != target_index[keys // num_items]]
    excluded = np.zeros(len(users), dtype=np.int64)
    if len(keys):
        seen = keras.ops.convert_to_numpy(keras.ops.take(flat, keys))
        beaten = seen >= keras.ops.convert_to_numpy(target)[keys // num_items]
        excluded = np.bincount(
            (keys // num_items)[beaten], minlength=len(users)
        )
    # The target scores at least itself (it is not NaN), so `at_least`
    # counts it: the rank is already 1-based.
    return keras.ops.convert_to_numpy(at_least).astype(np.int64) - excluded


def _check_data(heldout, train):
    for arg, value in (("heldout", heldout), ("train", train)):
        if not isinstance(value, Interactions):
            raise TypeError(
                f"`{arg}` must be an `Interactions`. Received: "
                f"{arg}={value!r}"
            )
    if len(heldout) == 0:
        raise ValueError(
            f"`heldout` has no rows to evaluate. Received: heldout={heldout!r}"
        )
    if heldout.num_items != train.num_items:
        raise ValueError(
            "`heldout` and `train` must share one item index space. "
            f"Received: heldout.num_items={heldout.num_items}, "
            f"train.num_items={train.num_items}"
        )


def _per_rank_metrics(ranks, k):
    hit = ranks <= k
    return {
        "recall": hit.astype(np.float64),
        "mrr": np.where(hit, 1.0 / ranks, 0.0),
        "ndcg": np.where(hit, 1.0 / np.log2(ranks + 1.0), 0.0),
    }


def _resolve_score_fn(model_or_score_fn):
    score_batch = getattr(model_or_score_fn, "score_batch", None)
    if callable(score_batch) and callable(getattr(model_or_score_fn, "score", None)):
        # A zoo model: its scores as a backend tensor, without `score`'s
        # copy into a host array.
        model = model_or_score_fn

        def score_tensor(users):
            if getattr(model, "uses_history", False):
                model.require_history("scoring")
            users = model._user_array(users)
            return score_batch(keras.ops.convert_to_tensor(users))

        return score_tensor
    score = getattr(model_or_score_fn, "score", None)
    if callable(score):
        return score
    if callable(model_or_score_fn):
        return model_or_score_fn
    raise TypeError(
        "`model_or_score_fn` must be a callable or have a `score(users)` "
        f"method. Received: model_or_score_fn={model_or_score_fn!r}"
    )


def _to_numpy(values):
    if isinstance(values, np.ndarray):
        return values
    return np.asarray(keras.ops.convert_to_numpy(values))
