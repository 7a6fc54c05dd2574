"""Training zoo models on a protocol split.

This is what `rnr-keras train`, `rnr-keras reproduce` and the keras-tuner
hypermodel share: the training loop (validation Recall@10 at every epoch,
early stopping on it, best weights restored) and the evaluation of a
trained model. Models are built by name with `rnr_keras.registry`
(`build_model` is re-exported here).
"""

import time

import keras

from rnr_keras import evaluation
from rnr_keras.callbacks.epoch_log import EpochLog
from rnr_keras.registry import build_model  # noqa: F401  (the public name)

MONITOR = "val_recall_at_10"
#: What `fit_model` can early-stop on, with the direction of "better".
MONITORS = {
    "val_recall_at_10": "max",
    "val_mrr_at_10": "max",
    "val_ndcg_at_10": "max",
    "val_rmse": "min",
}

# Left out of the recorded hyperparameters: sizes, which the data fixes,
# and Keras-layer bookkeeping of the nested heads.
_SIZE_KEYS = ("name", "num_users", "num_items", "history_size")
_LAYER_KEYS = ("name", "trainable", "dtype", "activity_regularizer", "autocast")


def model_hyperparameters(model):
    """The model's config without sizes; nested heads as their options.

    What `rnr-keras train` records in `metrics.json` and zoo presets in
    `metadata.json`.

    Example:

    >>> model = build_model("bpr", 3, 4, embedding_dim=2)
    >>> model_hyperparameters(model)
    {'embedding_dim': 2, 'l2': 0.001}
    """
    config = {
        key: value
        for key, value in model.get_config().items()
        if key not in _SIZE_KEYS
    }
    for key in ("ranker", "rater"):
        head = config.get(key)
        if isinstance(head, dict):
            options = {
                k: v
                for k, v in head.get("config", {}).items()
                if k not in _LAYER_KEYS
            }
            config[key] = {"class_name": head["class_name"], **options}
    return config


def fit_model(
    model,
    split,
    epochs=100,
    patience=None,
    batch_size=None,
    optimizer="default",
    seed=0,
    verbose=1,
    callbacks=(),
    monitor=MONITOR,
):
    """Adapts, compiles and fits `model` on `split.train`.

    Validation Recall@10 is computed at every epoch end (written into the
    logs as `val_recall_at_10`, with `val_mrr_at_10` and
    `val_ndcg_at_10`); training stops after `patience` epochs without
    improvement of `monitor` and the best epoch's weights are restored.

    Args:
        model: a zoo model.
        split: `Split`.
        epochs: int. Most epochs. Defaults to 100.
        patience: int or `None`. Early-stopping patience in epochs.
            Defaults to `None`: the model's `default_patience` (30 for
            pair-wise rankers, 10 otherwise, at most 5 on a large model:
            `multi_task_model.LARGE_PATIENCE`).
        batch_size: int or `None`. See `rnr_keras.inputs.dataset_for`.
        optimizer: str or `keras.optimizers.Optimizer`. "default" (Adam)
            or "paper" (AdaGrad, lr 0.001). Defaults to "default".
        seed: int. Seed of batching and negative sampling. Defaults to 0.
        verbose: int. Keras verbosity. Defaults to 1.
        callbacks: extra Keras callbacks, run after the early stopping
            and an `EpochLog` (one line per epoch to the
            `rnr_keras.training` logger, for log files).
        monitor: str. What early stopping watches, one of `MONITORS`:
            "val_recall_at_10" (the default), "val_mrr_at_10",
            "val_ndcg_at_10", or "val_rmse" (validation RMSE, lower is
            better; only for a model that trains a rater, and computed at
            every epoch end only then).

    Returns:
        dict: `{"epochs": epochs run, "best_epoch": ..., "history": ...,
        "train_seconds": ...}`.
    """
    if monitor not in MONITORS:
        raise ValueError(
            f"`monitor` must be one of {sorted(MONITORS)}. Received: "
            f"monitor={monitor!r}"
        )
    if monitor == "val_rmse" and not getattr(model, "trains_rater", False):
        raise ValueError(
            "`monitor='val_rmse'` needs a model that trains a rater. "
            f"Received: {type(model).__name__} with no trained rater"
        )
    start = time.perf_counter()
    model.adapt(split.train)
    if not model.trained_by_fit:
        return {
            "epochs": 0,
            "best_epoch": 0,
            "history": {},
            "train_seconds": time.perf_counter() - start,
        }
    if patience is None:
        patience = model.default_patience
    model.compile(optimizer=optimizer)
    mode = MONITORS[monitor]
    stopper = keras.callbacks.EarlyStopping(
        monitor=monitor,
        mode=mode,
        patience=patience,
        restore_best_weights=True,
    )
    metrics = [evaluation.RankingMetricsCallback(split.val, split.train)]
    if monitor == "val_rmse":
        metrics.append(_RatingMetricsCallback(split.val))
    history = model.fit(
        model.training_dataset(split.train, batch_size=batch_size, seed=seed),
        epochs=epochs,
        verbose=verbose,
        shuffle=False,  # the dataset reshuffles itself, seeded, each epoch
        callbacks=[*metrics, stopper, EpochLog(type(model).__name__), *callbacks],
    )
    values = history.history.get(monitor, [])
    pick = max if mode == "max" else min
    best = pick(range(len(values)), key=values.__getitem__) if values else 0
    return {
        "epochs": len(values),
        "best_epoch": best + 1,
        "history": {k: [float(v) for v in vs] for k, vs in history.history.items()},
        "train_seconds": time.perf_counter() - start,
    }


class _RatingMetricsCallback(keras.callbacks.Callback):
    """Writes `val_rmse` and `val_mae` of `heldout` into the epoch logs
    (for `fit_model(monitor="val_rmse")`)."""

    def __init__(self, heldout):
        super().__init__()
        self.heldout = heldout

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            result = evaluation.evaluate_rating(self.model, self.heldout)
            logs["val_rmse"] = result["rmse"]
            logs["val_mae"] = result["mae"]


def evaluate_model(model, split, k=10):
    """Validation and test ranking metrics, plus RMSE and MAE for models
    whose rating head was trained (`model.trains_rater`).

    A multi-task model with `alpha=1` has a rater that was never trained:
    its ratings mean nothing, so none are reported.
    """
    result = {}
    for part in ("val", "test"):
        metrics = evaluation.evaluate_ranking(
            model, split.heldout(part), split.train, k=k
        )
        if getattr(model, "trains_rater", False):
            metrics.update(
                evaluation.evaluate_rating(model, split.heldout(part))
            )
        result[part] = metrics
    return result
