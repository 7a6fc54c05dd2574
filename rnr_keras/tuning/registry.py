"""The hypermodel of each zoo model, by `training.MODELS` name."""

from rnr_keras import training
from rnr_keras.tuning.bpr_hyper_model import BPRHyperModel
from rnr_keras.tuning.cdae_hyper_model import CDAEHyperModel
from rnr_keras.tuning.popularity_hyper_model import PopularityHyperModel
from rnr_keras.tuning.rnr_hyper_model import RnRHyperModel
from rnr_keras.tuning.svd_hyper_model import SVDHyperModel
from rnr_keras.tuning.vanilla_hyper_model import VanillaHyperModel

#: Model name -> (hypermodel class, fixed constructor arguments).
HYPERMODELS = {
    "popularity": (PopularityHyperModel, {}),
    "svd": (SVDHyperModel, {}),
    "bpr": (BPRHyperModel, {}),
    "cdae": (CDAEHyperModel, {}),
    "vanilla-bpr-svd": (VanillaHyperModel, {"ranker": "bpr"}),
    "vanilla-cdae-svd": (VanillaHyperModel, {"ranker": "cdae"}),
    "rnr-bpr-svd": (RnRHyperModel, {"ranker": "bpr"}),
    "rnr-cdae-svd": (RnRHyperModel, {"ranker": "cdae"}),
}


def hypermodel_for(name, split, **kwargs):
    """The hypermodel of zoo model `name` on `split`.

    Args:
        name: str. One of `training.MODELS`.
        split: `Split`.
        **kwargs: see `RecommenderHyperModel` (`space`, `epochs`,
            `patience`, `batch_size`, `optimizer`, `seed`, `verbose`).

    Example:

    >>> hypermodel_for("rnr-cdae-svd", split).name  # doctest: +SKIP
    'rnr-cdae-svd'
    """
    if name not in HYPERMODELS:
        raise ValueError(
            f"Unknown model {name!r}. Known: {sorted(training.MODELS)}"
        )
    cls, fixed = HYPERMODELS[name]
    return cls(split, **fixed, **kwargs)
