"""How long a reproduction will take, measured before it starts."""

import time

#: Epochs a trial is assumed to run: early stopping ends a trial `patience`
#: epochs after its best one, which came after about this many times
#: `patience` epochs in our ML-100K and ML-1M runs (a rough guide, stated
#: with the estimate; capped at the job's `epochs`).
BEST_EPOCH_PER_PATIENCE = 1.0
#: Training batches timed per model (after `WARMUP_BATCHES` for tracing).
TIMED_BATCHES = 5
WARMUP_BATCHES = 3


def _time_epoch(model, train):
    dataset = model.training_dataset(train)
    batches = int(dataset.cardinality())
    timed = min(TIMED_BATCHES, batches)
    model.fit(dataset.take(min(WARMUP_BATCHES, batches)), epochs=1, verbose=0)
    start = time.perf_counter()
    model.fit(dataset.take(timed), epochs=1, verbose=0)
    return (time.perf_counter() - start) * batches / timed


def estimate_job(models, split, seeds=1, space="paper", epochs=100, patience=None):
    """Seconds a reproduction of `models` will take, from a short calibration.

    For each model: builds it on `split`, times `TIMED_BATCHES` training
    batches (after a warm-up) and one epoch-end validation, and multiplies
    by the epochs a trial is expected to run (`patience` plus
    `BEST_EPOCH_PER_PATIENCE * patience` for the best epoch, at most
    `epochs`), the grid's trials (`tuning.planned_trials`) and `seeds`.
    The calibration itself takes a few seconds per model on ML-1M, up to
    about a minute per model at Yelp size.

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

    from rnr_keras import evaluation
    from rnr_keras import registry
    from rnr_keras import tuning

    per_model = {}
    for name in models:
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
        seconds = seeds * trials * expected * (epoch_seconds + validation_seconds)
        per_model[name] = {
            "epoch_seconds": epoch_seconds,
            "validation_seconds": validation_seconds,
            "epochs": expected,
            "trials": trials,
            "seconds": seconds,
        }
    keras.utils.clear_session()
    return {
        "seconds": sum(m["seconds"] for m in per_model.values()),
        "models": per_model,
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
