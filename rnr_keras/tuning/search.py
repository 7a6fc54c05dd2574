"""Hyperparameter search: a keras-tuner tuner per strategy, and `tune`."""

import contextlib
import io
import json
import os
import tempfile
import time
import warnings

import keras
import keras_tuner

from rnr_keras import registry
from rnr_keras import training
from rnr_keras.io_utils import dump_json
from rnr_keras.io_utils import write_atomically
from rnr_keras.tuning.recommender_hyper_model import fit_key
from rnr_keras.tuning.recommender_hyper_model import hypermodel_for
from rnr_keras.tuning.resumable_grid_oracle import ResumableGridOracle

#: Search strategy name -> keras-tuner class (grid search is a plain
#: `Tuner` with a `ResumableGridOracle`; see there why).
TUNERS = {
    "grid": keras_tuner.Tuner,
    "random": keras_tuner.RandomSearch,
    "bayesian": keras_tuner.BayesianOptimization,
    "hyperband": keras_tuner.Hyperband,
}

#: Trials of random and Bayesian search when `max_trials` is not given.
DEFAULT_MAX_TRIALS = 10

#: Written in the project folder; a resumed search must match it.
SETTINGS_FILE = "rnr_settings.json"


def objective():
    """Validation Recall@10, to maximise."""
    return keras_tuner.Objective(training.MONITOR, "max")


def make_tuner(
    hypermodel,
    tuner="grid",
    max_trials=None,
    directory=os.path.join("runs", "tune"),
    project_name=None,
    overwrite=False,
    seed=0,
    **kwargs,
):
    """A keras-tuner tuner maximising `val_recall_at_10`.

    With `overwrite=False` a tuner made on the folder of an earlier search
    reloads it: finished trials are kept and `search()` runs only the
    remaining ones (an interrupted trial runs again from its start). The
    hypermodel's settings (`RecommenderHyperModel.settings`: model, space,
    epochs, patience, seed, split sizes...) are stored beside the trials,
    and resuming with other settings is refused, since their trials would
    not be comparable.

    Args:
        hypermodel: `RecommenderHyperModel`.
        tuner: str. "grid" (every combination once, with
            `ResumableGridOracle`), "random", "bayesian" or "hyperband".
            Defaults to "grid".
        max_trials: int or `None`. Most trials; `None` is every combination
            for grid search and 10 for random and Bayesian search.
            Hyperband sets its own from the hypermodel's `epochs`.
        directory: str. Parent folder of the project. Defaults to
            "runs/tune".
        project_name: str or `None`. Defaults to
            "<model>-<tuner>-<space>".
        overwrite: bool. Discard an earlier search in the same project.
            Defaults to `False` (resume it).
        seed: int. Seed of the search strategy's sampling. Defaults to 0.
        **kwargs: passed to the keras-tuner class (e.g. `factor` for
            Hyperband).

    Returns:
        A `keras_tuner.Tuner`; call `search()` (no data: the hypermodel
        holds the split).
    """
    if tuner not in TUNERS:
        raise ValueError(
            f"`tuner` must be one of {sorted(TUNERS)}. Received: tuner={tuner!r}"
        )
    if max_trials is not None and (
        isinstance(max_trials, bool) or not isinstance(max_trials, int)
        or max_trials < 1
    ):
        raise ValueError(
            "`max_trials` must be a positive integer or None. Received: "
            f"max_trials={max_trials!r}"
        )
    project_name = project_name or f"{hypermodel.name}-{tuner}-{hypermodel.space}"
    settings = {"tuner": tuner, **hypermodel.settings()}
    # JSON round trip: what is compared is what was written.
    settings = json.loads(json.dumps(settings))
    settings_path = os.path.join(str(directory), project_name, SETTINGS_FILE)
    if not overwrite and os.path.exists(settings_path):
        _check_same_settings(settings_path, settings)
    options = dict(
        hypermodel=hypermodel,
        directory=str(directory),
        project_name=project_name,
        overwrite=overwrite,
        **kwargs,
    )
    if tuner == "grid":
        options["oracle"] = ResumableGridOracle(
            objective(), max_trials=max_trials, seed=seed
        )
    elif tuner == "hyperband":
        if max_trials is not None:
            raise ValueError(
                "Hyperband sets its trials from `epochs`; `max_trials` does "
                f"not apply. Received: max_trials={max_trials}"
            )
        options.update(objective=objective(), seed=seed)
        options["max_epochs"] = hypermodel.epochs
    else:
        options.update(objective=objective(), seed=seed)
        options["max_trials"] = max_trials or DEFAULT_MAX_TRIALS
    search = TUNERS[tuner](**options)
    _write_json(settings_path, settings)
    return search


def _check_same_settings(path, settings):
    with open(path) as file:
        stored = json.load(file)
    keys = sorted(set(stored) | set(settings))
    changed = [key for key in keys if stored.get(key) != settings.get(key)]
    if changed:
        details = ", ".join(
            f"{key}={stored.get(key)!r} (now {settings.get(key)!r})"
            for key in changed
        )
        raise ValueError(
            f"The search in {os.path.dirname(path)} was made with other "
            f"settings: {details}. Use another directory, or overwrite the "
            "search (`overwrite=True`, `--overwrite`)."
        )


def _write_json(path, record):
    # `overwrite=True` has just removed the project folder.
    os.makedirs(os.path.dirname(path), exist_ok=True)
    write_atomically(path, lambda tmp: dump_json(record, tmp))


def trial_records(search):
    """Each trial of a tuner: id, status, hyperparameters, objective."""
    # Popularity trains no epochs: its trials have no best epoch.
    trained = getattr(search.hypermodel, "trainable", True)
    records = []
    for trial_id in sorted(search.oracle.trials):
        trial = search.oracle.trials[trial_id]
        best_step = trial.best_step if trained else None
        records.append(
            {
                "trial_id": trial_id,
                "status": trial.status,
                "hyperparameters": _public_values(trial.hyperparameters.values),
                training.MONITOR: None
                if trial.score is None
                else float(trial.score),
                # History steps are 0-based epochs.
                "best_epoch": None if best_step is None else int(best_step) + 1,
            }
        )
    return records


def planned_trials(name, split, tuner="grid", max_trials=None, space="paper"):
    """How many trials `tune` runs for these arguments (Hyperband: `None`,
    it decides as it goes).

    Grid search runs every cell (`RecommenderHyperModel.grid_size`), at
    most `max_trials`; random and Bayesian search run `max_trials`
    (default `DEFAULT_MAX_TRIALS`), at most the grid's cells.
    """
    if tuner == "hyperband":
        return None
    cells = hypermodel_for(name, split, space=space).grid_size()
    if tuner == "grid":
        return cells if max_trials is None else min(cells, max_trials)
    return min(cells, max_trials or DEFAULT_MAX_TRIALS)


def _listen(search, on_trial):
    """Calls `on_trial(record)` after each of `search`'s trials ends, and
    at once for each trial an earlier process finished (`"resumed": True`
    in its record)."""
    end_trial = search.on_trial_end

    def record(trial, resumed):
        score = trial.score
        return {
            "trial_id": trial.trial_id,
            "status": trial.status,
            "hyperparameters": _public_values(trial.hyperparameters.values),
            training.MONITOR: None if score is None else float(score),
            "resumed": resumed,
        }

    for trial_id in sorted(search.oracle.trials):
        trial = search.oracle.trials[trial_id]
        if trial.status == "COMPLETED":
            on_trial(record(trial, True))

    def on_trial_end(trial):
        end_trial(trial)
        on_trial(record(search.oracle.get_trial(trial.trial_id), False))

    # An instance attribute: keras-tuner's `search` calls
    # `self.on_trial_end(trial)` once per finished trial.
    search.on_trial_end = on_trial_end


def _public_values(values):
    # Hyperband's "tuner/epochs", "tuner/bracket"... are its bookkeeping.
    return {k: v for k, v in values.items() if not k.startswith("tuner/")}


@contextlib.contextmanager
def _search_directory(directory):
    if directory is not None:
        yield directory
        return
    with tempfile.TemporaryDirectory(prefix="rnr-tune-") as folder:
        yield folder


def tune(
    name,
    split,
    tuner="grid",
    max_trials=None,
    directory=None,
    space="paper",
    epochs=100,
    patience=None,
    batch_size=None,
    optimizer="default",
    seed=0,
    verbose=0,
    overwrite=False,
    project_name=None,
    return_model=False,
    retrain=False,
    on_trial=None,
):
    """Searches `name`'s hyperparameters, then retrains and tests the best.

    Each trial trains on `split.train` and is scored by its best epoch's
    Recall@10 on `split.val`. The best hyperparameters are then trained
    again from scratch as `training.fit_model` does (same seed, epochs and
    early stopping) and the model is evaluated on `split.val` and
    `split.test` with `training.evaluate_model`.

    Args:
        name: str. A registered or composed model name (`rnr_keras.registry`).
        split: `Split`.
        tuner: str. "grid", "random", "bayesian" or "hyperband". Defaults
            to "grid".
        max_trials: int or `None`. See `make_tuner`.
        directory: str or `None`. Folder of the search, kept so that a
            stopped search resumes; `None` searches in a temporary folder,
            removed afterwards. Defaults to `None`.
        space: str. "paper" or "wide". Defaults to "paper".
        epochs: int. Most epochs per trial and for the retraining.
            Defaults to 100.
        patience: int. Early-stopping patience. Defaults to 10.
        batch_size: int or `None`. Defaults to `None` (the pipeline's).
        optimizer: str. "default" or "paper" preset. Defaults to "default".
        seed: int. Seed of models, batches and the search. Defaults to 0.
        verbose: int. 0 prints nothing; 1 keras-tuner's trial summaries and
            Keras progress bars; 2 one line per epoch. Defaults to 0.
        overwrite: bool. Discard an earlier search in `directory`.
            Defaults to `False`.
        project_name: str or `None`. See `make_tuner`.
        return_model: bool. Also return the chosen model. Defaults to
            `False`.
        retrain: bool. Train the best hyperparameters again from scratch
            instead of reloading the best trial's best-epoch checkpoint.
            Defaults to `False`; a trial that ran in an earlier (stopped)
            process is always retrained, since its timings are not known.
        on_trial: callable or `None`. Called after each trial with the
            trial's record (`trial_id`, `status`, `hyperparameters`,
            `val_recall_at_10`, and `resumed`: `True` for a trial a
            resumed search had already finished, reported when the search
            starts); what drives the command line's progress bar. Defaults
            to `None`.

    Returns:
        dict (JSON-serialisable): `model`, `label`, `tuner`, `space`,
        `best_hyperparameters` (constructor arguments, plus `learning_rate`
        in the wide space), `best_trial`, `trials` (one dict per trial:
        `trial_id`, `status`, `hyperparameters`, `val_recall_at_10`,
        `best_epoch`), `val` and `test` metrics of the retrained model,
        `train_seconds`, `epochs`, `best_epoch`, `history` of the
        retraining and `search_seconds`. With `return_model`,
        `(results, model)`.

    Example:

    ```python
    split = protocol.all_but_last_one(datasets.load("ml-100k"), n_users=943)
    results = tune("rnr-bpr-svd", split, directory="runs/tune-rnr")
    results["best_hyperparameters"]  # {"embedding_dim": 50, "l2": ..., "alpha": ...}
    ```
    """
    hypermodel = hypermodel_for(
        name,
        split,
        space=space,
        epochs=epochs,
        patience=patience,
        batch_size=batch_size,
        optimizer=optimizer,
        seed=seed,
        verbose=verbose,
    )
    # keras-tuner prints "Reloading Tuner from ..." whatever the verbosity.
    quiet = contextlib.redirect_stdout(io.StringIO()) if not verbose else (
        contextlib.nullcontext()
    )
    with _search_directory(directory) as folder:
        with quiet:
            search = make_tuner(
                hypermodel,
                tuner,
                max_trials=max_trials,
                directory=folder,
                project_name=project_name,
                overwrite=overwrite,
                seed=seed,
            )
        if on_trial is not None:
            _listen(search, on_trial)
        start = time.perf_counter()
        search.search(verbose=verbose)
        search_seconds = time.perf_counter() - start
        trials = trial_records(search)
        best = search.get_best_hyperparameters(1)
        best_trial = search.oracle.get_best_trials(1)
        if not best:
            raise RuntimeError(
                f"No trial of the {tuner} search for {name!r} completed; see "
                "keras-tuner's messages above."
            )
        best_hp = best[0]
        fit = None if retrain else hypermodel.fit_records.get(fit_key(best_hp))
        model = None
        if fit is not None and getattr(hypermodel, "trainable", True):
            # The trial's checkpoint holds its best epoch's weights (those
            # early stopping restored), the stored history included; it
            # must be read before a temporary search folder goes away.
            keras.utils.clear_session()
            with quiet, warnings.catch_warnings():
                # The checkpoint carries optimizer slots the fresh model's
                # optimizer has not built yet; only the weights matter.
                warnings.filterwarnings("ignore", "Skipping variable loading")
                model = search.get_best_models(1)[0]

    if model is None:
        # Retrain from scratch: no checkpoint or timings of the winner.
        keras.utils.clear_session()
        model = hypermodel.build(best_hp)
        fit = training.fit_model(
            model,
            split,
            epochs=epochs,
            patience=patience,
            batch_size=batch_size,
            optimizer=getattr(model, "optimizer", None) or optimizer,
            seed=seed,
            verbose=verbose,
        )
    metrics = training.evaluate_model(model, split)
    results = {
        "model": name,
        "label": registry.label(name),
        "tuner": tuner,
        "space": space,
        "objective": {"name": training.MONITOR, "direction": "max"},
        "best_hyperparameters": _public_values(best_hp.values),
        "best_trial": best_trial[0].trial_id,
        "trials": trials,
        "val": metrics["val"],
        "test": metrics["test"],
        "train_seconds": fit["train_seconds"],
        "epochs": fit["epochs"],
        "best_epoch": fit["best_epoch"],
        "history": fit["history"],
        "search_seconds": search_seconds,
    }
    if return_model:
        return results, model
    return results
