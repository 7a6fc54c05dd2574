"""The zoo: trained models, ready to serve, by name.

Each preset is a folder (see `preset_utils`) holding a model trained on a
protocol split, its raw-id maps and a record of how it was made and how it
scored. The shipped presets live in `rnr_keras/zoo/presets/`; set
`RNR_PRESETS_DIR` to use another folder of presets instead.

Example:

>>> from rnr_keras import zoo
>>> zoo.list()  # doctest: +SKIP
['bpr_ml-100k', ..., 'svd_ml-100k']
>>> model = zoo.load("rnr-bpr-svd_ml-100k")  # doctest: +SKIP
>>> zoo.metadata("rnr-bpr-svd_ml-100k")["metrics"]["test"]  # doctest: +SKIP
{'recall@10': ..., 'mrr@10': ..., 'ndcg@10': ..., ...}

A model saves itself as a preset with `model.save_to_preset(path, ...)`
and any `Recommender` class loads one with `Cls.from_preset(name_or_path)`;
`save_preset_from_run(model, record, split, path)` saves a trained run
with its record (`rnr_keras.runs.run_record`).

Presets ship no training data. A model's training history (which items
each user rated, and the ratings for the CDAE+SVD models) is the dataset
itself, and the MovieLens licence forbids redistributing it: the
`model.weights.h5` of a preset holds the model's weights only, and
`metadata.json` says so under `"interaction_history"`. On load the history
is rebuilt from your own copy of the dataset (`data="auto"`, the default):
put MovieLens 100K in `$RNR_DATA_DIR/ml-100k/` (or let `rnr-keras data info
ml-100k` download it into the cache). Without it, `zoo.load` still returns
the model: Popularity, SVD, BPR and the BPR multi-task models score as
usual; CDAE-based models and `recommend(exclude_seen=True)` raise an error
saying how to provide the data. `zoo.load(name, data=None)` never looks for
the data; `zoo.load(name, data=train)` takes the training `Interactions`
(or the `Split`) you have, checked against the recorded fingerprints.

>>> model = zoo.load("cdae_ml-100k", data=None)  # doctest: +SKIP
>>> model.score([0])  # doctest: +SKIP
ValueError: CDAE has no training history: the preset 'cdae_ml-100k' ships ...
>>> split = zoo.recorded_split("cdae_ml-100k")  # doctest: +SKIP
>>> model = zoo.load("cdae_ml-100k", data=split.train)  # doctest: +SKIP
"""

from rnr_keras.zoo.preset_from_run import check_preset_target
from rnr_keras.zoo.preset_from_run import save_preset_from_run
from rnr_keras.zoo.preset_utils import AUTO
from rnr_keras.zoo.preset_utils import PRESETS_DIR_ENV
from rnr_keras.zoo.preset_utils import data_fingerprint
from rnr_keras.zoo.preset_utils import history_fingerprint
from rnr_keras.zoo.preset_utils import list_presets
from rnr_keras.zoo.preset_utils import load_preset
from rnr_keras.zoo.preset_utils import preset_path
from rnr_keras.zoo.preset_utils import presets_dir
from rnr_keras.zoo.preset_utils import read_id_maps
from rnr_keras.zoo.preset_utils import read_metadata
from rnr_keras.zoo.preset_utils import recorded_split as _recorded_split


def list():  # noqa: A001 - `zoo.list()` reads best; shadows only here.
    """Sorted names of the available presets (see `presets_dir`)."""
    return list_presets()


def load(name_or_path, data=AUTO, data_dir=None):
    """The preset's model (any `Recommender`), weights loaded, training
    history rebuilt from the data when available.

    Args:
        name_or_path: str or path-like. A name from `zoo.list()` or a preset
            folder. An unknown name raises `ValueError` listing the known
            ones.
        data: `"auto"`, `Interactions`, `Split` or `None`. Where the
            training history comes from: `"auto"` re-creates the recorded
            split from the dataset found in `data_dir`,
            `$RNR_DATA_DIR/<dataset>` or the cache (never downloaded) and
            returns the model without history when it is not found; an
            `Interactions` (the split's training part) or the `Split` is
            used directly; `None` loads no data. Data that differs from the
            recorded fingerprints raises `ValueError`. Defaults to
            `"auto"`. See `Recommender.from_preset`.
        data_dir: str, path-like or `None`. With `data="auto"`, the folder
            holding the dataset's files. Defaults to `None`.
    """
    return load_preset(name_or_path, data=data, data_dir=data_dir)


def recorded_split(name_or_path, data_dir=None):
    """The split the preset was trained and measured on, re-created from
    the dataset (never downloaded) and checked against its fingerprint.

    Raises `OSError` when the dataset is not found and `ValueError` when
    the local data differs from the preset's.
    """
    return _recorded_split(read_metadata(name_or_path), data_dir=data_dir)


def metadata(name_or_path):
    """The preset's parsed `metadata.json`."""
    return read_metadata(name_or_path)


def id_maps(name_or_path):
    """`(user_ids, item_ids)`: arrays mapping index -> raw id."""
    return read_id_maps(name_or_path)


__all__ = [
    "AUTO",
    "PRESETS_DIR_ENV",
    "check_preset_target",
    "data_fingerprint",
    "history_fingerprint",
    "id_maps",
    "list",
    "load",
    "metadata",
    "preset_path",
    "presets_dir",
    "recorded_split",
    "save_preset_from_run",
]
