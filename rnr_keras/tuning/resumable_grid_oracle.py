"""A grid-search oracle that resumes where a stopped search left off."""

import itertools

import keras_tuner
from keras_tuner.engine.trial import TrialStatus


class ResumableGridOracle(keras_tuner.Oracle):
    """Tries every combination of the search space once, in grid order.

    The order is keras-tuner's `GridSearchOracle`'s: the first trial takes
    every default, and the last-declared hyperparameter varies fastest,
    each hyperparameter's default first and its other values in order.

    keras-tuner 1.4.8's `GridSearchOracle` keeps its progress in fields it
    does not save, so a search reloaded with `overwrite=False` either stops
    at once or fails with a `KeyError` after its first trial (keras-tuner
    issue #1055). This oracle keeps no such state: each new trial takes the
    first combination that no recorded trial has, so a reloaded search runs
    exactly the combinations still missing (a trial interrupted mid-way is
    run again first, by keras-tuner's retry queue).

    Only unconditional spaces of `Choice`, `Fixed`, `Boolean` and stepped
    `Int`/`Float` hyperparameters are enumerated; all of
    `RecommenderHyperModel`'s are.

    Args:
        objective: `keras_tuner.Objective`.
        max_trials: int or `None`. Most trials; `None` runs the whole grid.
            Defaults to `None`.
        **kwargs: passed to `keras_tuner.Oracle` (`seed`, ...).

    Example:

    ```python
    oracle = ResumableGridOracle(
        keras_tuner.Objective("val_recall_at_10", "max")
    )
    tuner = keras_tuner.Tuner(
        hypermodel=BPRHyperModel(split), oracle=oracle, directory="runs/tune"
    )
    tuner.search()
    ```
    """

    def __init__(self, objective=None, max_trials=None, **kwargs):
        super().__init__(objective=objective, max_trials=max_trials, **kwargs)

    def populate_space(self, trial_id):
        space = self.get_space().space
        for hp in space:
            if hp.conditions:
                raise ValueError(
                    f"{type(self).__name__} does not enumerate conditional "
                    f"hyperparameters. Received: {hp.name!r} with "
                    f"conditions {hp.conditions}"
                )
        tried = {_key(trial.hyperparameters.values) for trial in self.trials.values()}
        grids = [_default_first(hp) for hp in space]
        for combination in itertools.product(*grids):
            values = {hp.name: value for hp, value in zip(space, combination)}
            if _key(values) not in tried:
                return {"status": TrialStatus.RUNNING, "values": values}
        return {"status": TrialStatus.STOPPED, "values": None}


def _default_first(hp):
    values = list(hp.values)
    if hp.default in values:
        values.remove(hp.default)
    return [hp.default, *values]


def _key(values):
    # Hyperband-style "tuner/..." entries never occur here; repr keeps
    # 1 and 1.0 (and "1") apart.
    return tuple(sorted((name, repr(value)) for name, value in values.items()))
