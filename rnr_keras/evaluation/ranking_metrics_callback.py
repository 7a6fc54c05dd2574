"""Epoch-end ranking metrics in the training logs."""

import logging
import sys

import keras
import numpy as np

from rnr_keras.evaluation.ranking import _check_data
from rnr_keras.evaluation.ranking import evaluate_ranking
from rnr_keras.evaluation.ranking import metric_log_name
from rnr_keras.validation import check_positive_int

LOGGER = logging.getLogger("rnr_keras.training")
#: With `max_rows="auto"`, the most (held-out row, item) scores one
#: evaluation computes: 10^9 keeps a Yelp-size validation (168k items) to
#: about 6,000 users, a few seconds per epoch on 2 cores, and evaluates all
#: of ML-1M's (6,040 x 3,706) and ML-100K's.
AUTO_MAX_SCORES = 1_000_000_000
#: With `max_rows="auto"`, never fewer rows than this (the standard error
#: of Recall@10 near 0.1 on 5,000 users is about 0.004).
AUTO_MIN_ROWS = 5000


class RankingMetricsCallback(keras.callbacks.Callback):
    """Writes full-ranking Recall@k, MRR@k and NDCG@k into the epoch logs.

    At the end of every `every`-th epoch it runs `evaluate_ranking` on the
    model being trained (which must have a `score(user_indices)` method) and
    adds `{prefix}recall_at_{k}`, `{prefix}mrr_at_{k}` and
    `{prefix}ndcg_at_{k}` to `logs` ("@" becomes "_at_" so the names are
    valid Keras metric names). The values then reach `history.history`, the
    progress bar, `EarlyStopping`, `ModelCheckpoint` and keras-tuner
    objectives (`keras_tuner.Objective("val_recall_at_10", "max")`).

    Order matters: Keras calls callbacks in list order with one shared
    `logs` dict, so this callback must come BEFORE any callback that reads
    its metrics (`callbacks=[RankingMetricsCallback(...),
    EarlyStopping(...)]`); placed after, they see no value for the epoch.
    (`History` and the progress bar are appended by Keras after all user
    callbacks, so they always see the values.)

    With `every > 1` the keys are only present on evaluation epochs (the
    last epoch of every `every`): `history.history` lists for them are then
    shorter than the loss lists, and `EarlyStopping` patience counts
    evaluations, not epochs.

    Args:
        heldout: `Interactions`. Held-out rows to rank (e.g. `split.val`).
        train: `Interactions`. Training rows whose items are excluded from
            each user's ranking.
        k: int. Cut-off of the metrics. Defaults to 10.
        every: int. Evaluate every `every` epochs (at epochs `every`,
            `2 * every`, ... counting from 1). Defaults to 1.
        prefix: str. Prepended to each log name. Defaults to `"val_"`.
        batch_size: int. Users scored per call of `model.score`. Defaults to
            1024.
        max_rows: int, `None` or `"auto"`. Evaluate a seeded uniform
            sample of at most this many held-out rows (the same rows every
            epoch), or all of them with `None`. `"auto"` evaluates all
            rows unless rows x items exceeds `AUTO_MAX_SCORES` (10^9),
            then `max(AUTO_MIN_ROWS, 10^9 // num_items)` rows: on Yelp
            (168k items) about 6,000 of 25,000 validation users. A sample
            is announced once, at the start of training (stderr and the
            `rnr_keras.training` logger), and its size is in
            `sampled_rows`. Test metrics (`evaluate_ranking`) always use
            every row. Defaults to `"auto"`.
        seed: int. Seed of the sample. Defaults to 0.

    Example:

    ```python
    callbacks = [
        RankingMetricsCallback(split.val, split.train, k=10),
        keras.callbacks.EarlyStopping(
            monitor="val_recall_at_10", mode="max", patience=3,
            restore_best_weights=True,
        ),
    ]
    model.fit(dataset, epochs=50, callbacks=callbacks)
    ```
    """

    def __init__(
        self,
        heldout,
        train,
        k=10,
        every=1,
        prefix="val_",
        batch_size=1024,
        max_rows="auto",
        seed=0,
    ):
        super().__init__()
        self.k = check_positive_int("k", k)
        self.every = check_positive_int("every", every)
        self.batch_size = check_positive_int("batch_size", batch_size)
        if not isinstance(prefix, str):
            raise ValueError(
                f"`prefix` must be a string. Received: prefix={prefix!r}"
            )
        _check_data(heldout, train)
        if max_rows == "auto":
            limit = None
            if len(heldout) * heldout.num_items > AUTO_MAX_SCORES:
                limit = max(AUTO_MIN_ROWS, AUTO_MAX_SCORES // heldout.num_items)
        elif max_rows is None:
            limit = None
        else:
            limit = check_positive_int("max_rows", max_rows)
        self.max_rows = max_rows
        self.seed = int(seed)
        self.prefix = prefix
        self.train = train
        self.total_rows = len(heldout)
        #: Rows evaluated each epoch, or `None` when all are.
        self.sampled_rows = None
        if limit is not None and limit < len(heldout):
            rows = np.random.default_rng(self.seed).choice(
                len(heldout), size=limit, replace=False
            )
            heldout = heldout.select(np.sort(rows))
            self.sampled_rows = limit
        self.heldout = heldout
        # The latest evaluation: `{"epoch": int, "recall@k": ..., ...}`.
        self.last_results = None

    def on_train_begin(self, logs=None):
        if self.sampled_rows is not None:
            message = (
                f"{type(self).__name__}: {self.prefix}* metrics on a seeded "
                f"sample of {self.sampled_rows:,} of {self.total_rows:,} "
                f"held-out rows (seed {self.seed}; max_rows={self.max_rows!r}"
                "); test metrics use every row."
            )
            LOGGER.info(message)
            if (self.params or {}).get("verbose", 1):
                print(message, file=sys.stderr, flush=True)

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every:
            return
        results = evaluate_ranking(
            self.model,
            self.heldout,
            self.train,
            k=self.k,
            batch_size=self.batch_size,
        )
        self.last_results = {"epoch": epoch, **results}
        if logs is not None:
            for key, value in results.items():
                if "@" in key:
                    logs[self.prefix + metric_log_name(key)] = value

    def get_config(self):
        """The primitive arguments, for the record (the data is not kept)."""
        return {
            "k": self.k,
            "every": self.every,
            "prefix": self.prefix,
            "batch_size": self.batch_size,
            "max_rows": self.max_rows,
            "seed": self.seed,
        }
