"""Recall@k of one target item per row, as a Keras metric."""

import keras

from rnr_keras.api_export import rnr_export
from rnr_keras.evaluation.ranking import heldout_ranks
from rnr_keras.validation import check_positive_int


@rnr_export
class RecallAtK(keras.metrics.Mean):
    """Share of rows whose target item ranks in the top `k` of all items.

    `y_true` holds one target item index per row and `y_pred` the scores of
    all items, `(batch, num_items)`. Ranking follows `evaluate_ranking`:
    ties are pessimistic (the target ranks after every item with an equal
    score). Nothing is excluded in-graph; give items to exclude (e.g. the
    user's training items) a score of `-inf`. For the full protocol with
    training-item masking use `evaluate_ranking` or
    `RankingMetricsCallback`; this metric fits `compile(metrics=...)` on
    models that output score rows.

    Args:
        k: int. Cut-off. Defaults to 10.
        name: str or `None`. Metric name. Defaults to `"recall_at_{k}"`.
        dtype: dtype of the result. Defaults to `None` (float32).

    Example:

    >>> import numpy as np
    >>> metric = RecallAtK(k=1)
    >>> metric.update_state(np.array([0, 1]),
    ...                     np.array([[2.0, 1.0], [2.0, 1.0]]))
    >>> float(metric.result())
    0.5
    """

    def __init__(self, k=10, name=None, dtype=None, **kwargs):
        k = check_positive_int("k", k)
        super().__init__(name=name or f"recall_at_{k}", dtype=dtype, **kwargs)
        self.k = k

    def update_state(self, y_true, y_pred, sample_weight=None):
        ranks = heldout_ranks(y_true, y_pred)
        hits = keras.ops.cast(keras.ops.less_equal(ranks, self.k), self.dtype)
        return super().update_state(hits, sample_weight=sample_weight)

    def get_config(self):
        return {**super().get_config(), "k": self.k}
