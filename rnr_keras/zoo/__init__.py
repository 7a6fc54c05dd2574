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
and any `Recommender` class loads one with `Cls.from_preset(name_or_path)`.
"""

from rnr_keras.zoo.preset_utils import PRESETS_DIR_ENV
from rnr_keras.zoo.preset_utils import data_fingerprint
from rnr_keras.zoo.preset_utils import list_presets
from rnr_keras.zoo.preset_utils import load_preset
from rnr_keras.zoo.preset_utils import preset_path
from rnr_keras.zoo.preset_utils import presets_dir
from rnr_keras.zoo.preset_utils import read_id_maps
from rnr_keras.zoo.preset_utils import read_metadata


def list():  # noqa: A001 - `zoo.list()` reads best; shadows only here.
    """Sorted names of the available presets (see `presets_dir`)."""
    return list_presets()


def load(name_or_path):
    """The preset's model (any `Recommender`), weights loaded.

    Args:
        name_or_path: str or path-like. A name from `zoo.list()` or a preset
            folder. An unknown name raises `ValueError` listing the known
            ones.
    """
    return load_preset(name_or_path)


def metadata(name_or_path):
    """The preset's parsed `metadata.json`."""
    return read_metadata(name_or_path)


def id_maps(name_or_path):
    """`(user_ids, item_ids)`: arrays mapping index -> raw id."""
    return read_id_maps(name_or_path)


__all__ = [
    "PRESETS_DIR_ENV",
    "data_fingerprint",
    "id_maps",
    "list",
    "load",
    "metadata",
    "preset_path",
    "presets_dir",
]
