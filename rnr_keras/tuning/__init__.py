"""Hyperparameter search with keras-tuner: one HyperModel for every model.

`hypermodel_for(name, split)` gives the `RecommenderHyperModel` of a model
name (its space comes from the model's registration, see
`rnr_keras.registry`); `make_tuner` a keras-tuner tuner (grid, random, Bayesian, Hyperband)
maximising validation Recall@10 that resumes a stopped search; `tune` runs
the search, retrains the best hyperparameters and tests them
(`rnr-keras tune`, in `rnr_keras.cli.tune`, runs it).

The names load on first use, so that importing the package brings in
neither keras-tuner nor TensorFlow.
"""

import importlib

# Public name -> module of this package that defines it.
_EXPORTS = {
    "GENERIC_SPACE": "recommender_hyper_model",
    "RecommenderHyperModel": "recommender_hyper_model",
    "ResumableGridOracle": "resumable_grid_oracle",
    "SPACES": "recommender_hyper_model",
    "TUNERS": "search",
    "hypermodel_for": "recommender_hyper_model",
    "make_tuner": "search",
    "model_hyperparameters": "recommender_hyper_model",
    "objective": "search",
    "planned_trials": "search",
    "trial_records": "search",
    "tune": "search",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    if name in _EXPORTS:
        module = importlib.import_module(f"rnr_keras.tuning.{_EXPORTS[name]}")
        return getattr(module, name)
    raise AttributeError(f"module 'rnr_keras.tuning' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))
