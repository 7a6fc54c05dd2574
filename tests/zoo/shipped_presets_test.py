"""Every shipped preset reproduces its recorded metrics on re-created data.

Parametrized over `rnr_keras.zoo.list()` at collection time, so a new
preset is tested as soon as it is in `rnr_keras/zoo/presets/`. To check a
fresh build before copying it into the package, point the zoo at it:

    RNR_PRESETS_DIR=/tmp/presets python -m pytest tests/zoo/shipped_presets_test.py

Real-data presets need their dataset (`RNR_DATA_DIR`, or the cache; nothing
is downloaded) and are skipped without it. With no preset shipped, nothing
is collected but the empty-parameter placeholders.
"""

import functools
import os

import keras
import numpy as np
import pytest

from rnr_keras import datasets
from rnr_keras import evaluation
from rnr_keras import protocol
from rnr_keras import zoo
from rnr_keras.zoo import preset_utils

# Resolved now: tests must not depend on the environment at run time.
PRESETS = {name: zoo.preset_path(name) for name in zoo.list()}
REQUIRED_METADATA = (
    "name",
    "model",
    "label",
    "dataset",
    "protocol",
    "hyperparameters",
    "metrics",
    "versions",
    "date",
    "parameter_count",
    "data_fingerprint",
)
METRICS = ("recall@10", "mrr@10", "ndcg@10")

pytestmark = pytest.mark.parametrize("name", sorted(PRESETS))


@functools.lru_cache(maxsize=None)
def _split(dataset, dataset_args, params):
    """The recorded split, re-created from the data (cached per split)."""
    kwargs = dict(dataset_args)
    params = dict(params)
    try:
        data = datasets.load(dataset, download=False, **kwargs)
    except OSError as err:
        pytest.skip(f"{dataset} is not available: {err}")
    if params.pop("name") != "all_but_last_one":
        raise AssertionError(f"Unknown protocol in {params}")
    return protocol.all_but_last_one(data, **params)


def _recorded_split(metadata):
    return _split(
        metadata["dataset"],
        tuple(sorted(metadata.get("dataset_args", {}).items())),
        tuple(sorted(metadata["protocol"].items())),
    )


def test_folder_and_metadata_are_complete(name):
    path = PRESETS[name]
    assert sorted(os.listdir(path)) == sorted(preset_utils.PRESET_FILES)
    metadata = zoo.metadata(path)
    missing = [key for key in REQUIRED_METADATA if key not in metadata]
    assert not missing, f"{name}: metadata lacks {missing}"
    assert metadata["name"] == name
    assert set(metadata["protocol"]) == {"name", "n_users", "seed", "val_fraction"}
    for part in ("val", "test"):
        assert set(METRICS) <= set(metadata["metrics"][part])
    assert set(metadata["versions"]) == {"rnr_keras", "keras", "tensorflow"}


def test_reproduces_recorded_test_metrics(name):
    path = PRESETS[name]
    metadata = zoo.metadata(path)
    split = _recorded_split(metadata)
    assert zoo.data_fingerprint(split) == metadata["data_fingerprint"], (
        f"{name}: the re-created {metadata['dataset']} split differs from "
        "the one the preset was measured on"
    )
    user_ids, item_ids = zoo.id_maps(path)
    np.testing.assert_array_equal(user_ids, split.train.user_ids)
    np.testing.assert_array_equal(item_ids, split.train.item_ids)

    model = zoo.load(path)
    measured = evaluation.evaluate_ranking(model, split.test, split.train, k=10)
    recorded = metadata["metrics"]["test"]
    for key in METRICS:
        assert measured[key] == pytest.approx(recorded[key], abs=1e-6), key
    assert measured["users"] == recorded["users"]


def test_scores_survive_a_keras_round_trip(name, tmp_path):
    model = zoo.load(PRESETS[name])
    file = os.path.join(str(tmp_path), "model.keras")
    model.save(file)
    loaded = keras.saving.load_model(file)
    assert type(loaded) is type(model)
    users = np.arange(model.num_users)
    np.testing.assert_array_equal(loaded.score(users), model.score(users))
    np.testing.assert_array_equal(
        loaded.recommend(users, k=10)[0], model.recommend(users, k=10)[0]
    )
