"""How long a reproduction will take, measured before it starts."""

import logging
import time

#: Epochs a trial is assumed to run: early stopping ends a trial `patience`
#: epochs after its best one, which came after about this many times
#: `patience` epochs in our ML-100K and ML-1M runs (a rough guide, stated
#: with the estimate; capped at the job's `epochs`).
BEST_EPOCH_PER_PATIENCE = 1.0
#: Training batches timed per model (after `WARMUP_BATCHES` for tracing),
#: in two fits, `SHORT_BATCHES` and `SHORT_BATCHES + TIMED_BATCHES` long.
TIMED_BATCHES = 5
SHORT_BATCHES = 2
WARMUP_BATCHES = 3


def epoch_from_fits(short_seconds, long_seconds, short, long, batches):
    """Seconds of an epoch of `batches` batches, from two timed fits of
    `short` and `long` batches.

    A fit pays a fixed cost once (its data pipeline's epoch set-up: at
    Yelp size, shuffling 3.6M pairs and drawing their negatives) and a
    cost per batch. Scaling one short fit by `batches / timed` multiplies
    the fixed part too: BPR at Yelp size was estimated at 89 s per epoch
    against 14 s measured. The difference of the two fits gives the cost
    per batch, the rest of the short fit the fixed cost.
    """
    per_batch = max(long_seconds - short_seconds, 0.0) / (long - short)
    fixed = max(short_seconds - short * per_batch, 0.0)
    return fixed + batches * per_batch


class _NoRetracingWarning(logging.Filter):
    """Drops TensorFlow's "triggered tf.function retracing" warning: the
    calibration fits datasets of a few batches, of different lengths, on
    purpose, and at Yelp size the warning filled the terminal before the
    estimate."""

    def filter(self, record):
        return "triggered tf.function retracing" not in record.getMessage()


def _time_epoch(model, train):
    dataset = model.training_dataset(train)
    batches = int(dataset.cardinality())
    model.fit(dataset.take(min(WARMUP_BATCHES, batches)), epochs=1, verbose=0)
    long = SHORT_BATCHES + TIMED_BATCHES
    if batches <= long:
        start = time.perf_counter()
        model.fit(dataset, epochs=1, verbose=0)
        return time.perf_counter() - start
    seconds = []
    for timed in (SHORT_BATCHES, long):
        start = time.perf_counter()
        model.fit(dataset.take(timed), epochs=1, verbose=0)
        seconds.append(time.perf_counter() - start)
    return epoch_from_fits(seconds[0], seconds[1], SHORT_BATCHES, long, batches)


def estimate_job(models, split, seeds=1, space="paper", epochs=100, patience=None):
    """Seconds a reproduction of `models` will take, from a short calibration.

    For each model: builds it on `split`, times two short fits (after a
    warm-up; `epoch_from_fits` separates their fixed cost from the cost
    per batch) and one epoch-end validation, and multiplies
    by the epochs a trial is expected to run (`patience` plus
    `BEST_EPOCH_PER_PATIENCE * patience` for the best epoch, at most
    `epochs`), the grid's trials (`tuning.planned_trials`) and `seeds`.
    The calibration itself takes a few seconds per model on ML-1M, up to
    about a minute per model at Yelp size. TensorFlow's warnings that
    those short fits retrace the training function are dropped while it
    runs.

    Args:
        models: model names.
        split: `Split` the job trains on.
        seeds: int. Number of seeds (splits) of the job. Defaults to 1.
        space: str. Search space. Defaults to "paper".
        epochs: int. The job's most epochs per trial. Defaults to 100.
        patience: int or `None`. The job's patience; `None` for each
            model's `default_patience`.

    Returns:
        dict: `{"seconds": total, "models": {name: {"epoch_seconds",
        "validation_seconds", "epochs", "trials", "seconds"}}}`.
    """
    import keras

    tensorflow_logger = logging.getLogger("tensorflow")
    quiet = _NoRetracingWarning()
    tensorflow_logger.addFilter(quiet)
    try:
        per_model = {
            name: _estimate_model(name, split, seeds, space, epochs, patience)
            for name in models
        }
    finally:
        tensorflow_logger.removeFilter(quiet)
    keras.utils.clear_session()
    return {
        "seconds": sum(m["seconds"] for m in per_model.values()),
        "models": per_model,
    }


def _estimate_model(name, split, seeds, space, epochs, patience):
    """`estimate_job`'s figures for one model."""
    import keras

    from rnr_keras import evaluation
    from rnr_keras import registry
    from rnr_keras import tuning

    keras.utils.clear_session()
    model = registry.build_model(name, split.num_users, split.num_items)
    start = time.perf_counter()
    model.adapt(split.train)
    adapt_seconds = time.perf_counter() - start
    trials = tuning.planned_trials(name, split, space=space)
    callback = evaluation.RankingMetricsCallback(split.val, split.train)
    if model.trained_by_fit:
        model.compile()
        epoch_seconds = _time_epoch(model, split.train)
        wait = model.default_patience if patience is None else patience
        expected = min(epochs, round(wait * (1 + BEST_EPOCH_PER_PATIENCE)))
    else:
        epoch_seconds, expected = adapt_seconds, 1
    callback.set_model(model)
    callback.params = {"verbose": 0}
    start = time.perf_counter()
    callback.on_epoch_end(0, {})
    validation_seconds = time.perf_counter() - start
    return {
        "epoch_seconds": epoch_seconds,
        "validation_seconds": validation_seconds,
        "epochs": expected,
        "trials": trials,
        "seconds": seeds * trials * expected * (epoch_seconds + validation_seconds),
    }


def describe(estimate):
    """One line per model and a total, for the log."""
    lines = []
    for name, m in estimate["models"].items():
        lines.append(
            f"  {name}: {m['trials']} trial(s) x ~{m['epochs']} epoch(s) x "
            f"({m['epoch_seconds']:.1f} s train + "
            f"{m['validation_seconds']:.1f} s validation) = "
            f"{m['seconds'] / 60:.0f} min"
        )
    hours = estimate["seconds"] / 3600
    lines.append(
        f"Estimated total: {hours:.1f} h ({estimate['seconds'] / 60:.0f} min), "
        "from a few timed batches per model and about "
        f"{1 + BEST_EPOCH_PER_PATIENCE:g} x patience epochs per trial; "
        "early stopping makes the real time shorter or longer."
    )
    return "\n".join(lines)
