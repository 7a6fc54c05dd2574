"""Every shipped preset reproduces its recorded metrics on re-created data.

Parametrized over `rnr_keras.zoo.list()` at collection time, so a new
preset is tested as soon as it is in `rnr_keras/zoo/presets/`. To check a
fresh build before copying it into the package, point the zoo at it:

    RNR_PRESETS_DIR=/tmp/presets python -m pytest tests/zoo/shipped_presets_test.py

Presets ship no training data (models do not hold it, and the MovieLens
licence forbids redistributing it): loading gives it back from the
dataset, so real-data presets need their dataset (`RNR_DATA_DIR`, or the cache; nothing
is downloaded) and the tests that use it are skipped without it. With no
preset shipped, nothing is collected but the empty-parameter placeholders.
"""

import functools
import os

import h5py
import keras
import numpy as np
import pytest

from rnr_keras import evaluation
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
    "interaction_history",
)
METRICS = ("recall@10", "mrr@10", "ndcg@10")
#: Largest preset folder the package may carry.
MAX_BYTES = 1.5 * 2**20

pytestmark = pytest.mark.parametrize("name", sorted(PRESETS))


@functools.lru_cache(maxsize=None)
def _split(name):
    """The recorded split, re-created from the data (cached per preset)."""
    try:
        return zoo.recorded_split(PRESETS[name])
    except OSError as err:
        pytest.skip(f"{zoo.metadata(PRESETS[name])['dataset']} is not available: {err}")


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
    size = sum(os.path.getsize(os.path.join(path, f)) for f in os.listdir(path))
    assert size < MAX_BYTES, f"{name}: {size:,} bytes"


def test_ships_no_training_data(name):
    path = PRESETS[name]
    metadata = zoo.metadata(path)
    history = metadata["interaction_history"]
    assert history["shipped"] is False
    assert history["interactions"] == metadata["interactions"]["train"]
    model = zoo.load(path, data=None)
    assert model.interaction_history is None
    # Written before the data left the model: the old key loads, ignored.
    assert "history_size" not in model.get_config()
    stored = []
    with h5py.File(os.path.join(path, preset_utils.WEIGHTS_FILE), "r") as file:
        file.visititems(
            lambda key, value: stored.append((key, value.size))
            if isinstance(value, h5py.Dataset)
            else None
        )
    assert not [key for key, _ in stored if "history" in key]
    # Nothing the size of the training data hides under another name.
    assert sum(size for _, size in stored) == metadata["parameter_count"]


def test_reproduces_recorded_test_metrics(name):
    path = PRESETS[name]
    metadata = zoo.metadata(path)
    split = _split(name)
    assert zoo.data_fingerprint(split) == metadata["data_fingerprint"]
    user_ids, item_ids = zoo.id_maps(path)
    np.testing.assert_array_equal(user_ids, split.train.user_ids)
    np.testing.assert_array_equal(item_ids, split.train.item_ids)

    model = zoo.load(path)  # data="auto": the history rebuilt from the data
    assert model.interaction_history is not None, model.missing_history_reason
    measured = evaluation.evaluate_ranking(model, split.test, split.train, k=10)
    recorded = metadata["metrics"]["test"]
    for key in METRICS:
        assert measured[key] == pytest.approx(recorded[key], abs=1e-6), key
    assert measured["users"] == recorded["users"]


def test_scores_survive_a_keras_round_trip(name, tmp_path):
    _split(name)  # skips without the data
    model = zoo.load(PRESETS[name])
    file = os.path.join(str(tmp_path), "model.keras")
    model.save(file)
    loaded = keras.saving.load_model(file)
    assert type(loaded) is type(model)
    # The .keras file carries no training data; it is handed back.
    assert loaded.interaction_history is None
    loaded.adapt(model.training_interactions)
    users = np.arange(model.num_users)
    np.testing.assert_array_equal(loaded.score(users), model.score(users))
    np.testing.assert_array_equal(
        loaded.recommend(users, k=10)[0], model.recommend(users, k=10)[0]
    )
