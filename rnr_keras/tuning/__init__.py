"""Hyperparameter search with keras-tuner: one HyperModel per zoo model.

`hypermodel_for(name, split)` gives the hypermodel of a `training.MODELS`
name; `make_tuner` a keras-tuner tuner (grid, random, Bayesian, Hyperband)
maximising validation Recall@10 that resumes a stopped search; `tune` runs
the search, retrains the best hyperparameters and tests them.
`command.add_tune_parser` adds `rnr-keras tune`.

The names load on first use, so that `rnr_keras.cli` can import
`rnr_keras.tuning.command` without importing keras-tuner or TensorFlow.
"""

import importlib

# Public name -> module of this package that defines it.
_EXPORTS = {
    "BPRHyperModel": "bpr_hyper_model",
    "CDAEHyperModel": "cdae_hyper_model",
    "HYPERMODELS": "registry",
    "PopularityHyperModel": "popularity_hyper_model",
    "RecommenderHyperModel": "recommender_hyper_model",
    "ResumableGridOracle": "resumable_grid_oracle",
    "RnRHyperModel": "rnr_hyper_model",
    "SPACES": "recommender_hyper_model",
    "SVDHyperModel": "svd_hyper_model",
    "TUNERS": "search",
    "VanillaHyperModel": "vanilla_hyper_model",
    "hypermodel_for": "registry",
    "make_tuner": "search",
    "model_hyperparameters": "recommender_hyper_model",
    "objective": "search",
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
