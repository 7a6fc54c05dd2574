"""Rating-prediction evaluation of held-out rows: RMSE and MAE."""

import numpy as np

from rnr_keras.datasets.interactions import Interactions
from rnr_keras.evaluation.ranking import _to_numpy
from rnr_keras.validation import check_positive_int


def evaluate_rating(model_or_predict_fn, heldout, *, batch_size=None):
    """Root mean squared and mean absolute error of predicted ratings.

    Every held-out row `(user, item, rating)` is one case; predictions are
    compared with `heldout.ratings` as given (no clipping to the rating
    scale, so a model is judged on what it outputs).

    Args:
        model_or_predict_fn: an object with a `predict_rating(users, items)`
            method (checked first, e.g. an `rnr_keras` model), or a callable
            `(users, items) -> ratings`. Both get int32 arrays of equal
            length `n` and return `n` predictions (shape `(n,)` or `(n, 1)`,
            numpy or a backend tensor).
        heldout: `Interactions`. The held-out rows with their true ratings.
        batch_size: int or `None`. Rows per call of the prediction function;
            `None` predicts all rows in one call. Defaults to `None`.

    Returns:
        dict: `{"rmse": float, "mae": float}`.

    Raises:
        ValueError: on empty `heldout`, a bad `batch_size`, predictions of
            the wrong shape or NaN predictions.

    Example:

    >>> from rnr_keras.datasets import Interactions
    >>> heldout = Interactions(users=[0, 1], items=[0, 0], ratings=[4, 2])
    >>> evaluate_rating(lambda users, items: [3.0, 3.0], heldout)
    {'rmse': 1.0, 'mae': 1.0}
    """
    predict_fn = getattr(model_or_predict_fn, "predict_rating", None)
    if not callable(predict_fn):
        if not callable(model_or_predict_fn):
            raise TypeError(
                "`model_or_predict_fn` must be a callable or have a "
                "`predict_rating(users, items)` method. Received: "
                f"model_or_predict_fn={model_or_predict_fn!r}"
            )
        predict_fn = model_or_predict_fn
    if not isinstance(heldout, Interactions):
        raise TypeError(
            "`heldout` must be an `Interactions`. Received: "
            f"heldout={heldout!r}"
        )
    n = len(heldout)
    if n == 0:
        raise ValueError(
            f"`heldout` has no rows to evaluate. Received: heldout={heldout!r}"
        )
    if batch_size is None:
        batch_size = n
    batch_size = check_positive_int("batch_size", batch_size)

    predictions = np.empty(n, dtype=np.float64)
    for start in range(0, n, batch_size):
        stop = min(start + batch_size, n)
        batch = _to_numpy(
            predict_fn(heldout.users[start:stop], heldout.items[start:stop])
        )
        if batch.shape not in ((stop - start,), (stop - start, 1)):
            raise ValueError(
                "The prediction function must return one rating per row: "
                f"expected shape ({stop - start},), received shape "
                f"{batch.shape}"
            )
        predictions[start:stop] = batch.reshape(-1)
    if np.isnan(predictions).any():
        row = int(np.flatnonzero(np.isnan(predictions))[0])
        raise ValueError(
            f"The predicted rating of user {int(heldout.users[row])} for item "
            f"{int(heldout.items[row])} is NaN"
        )
    errors = predictions - heldout.ratings.astype(np.float64)
    return {
        "rmse": float(np.sqrt(np.mean(errors**2))),
        "mae": float(np.mean(np.abs(errors))),
    }
