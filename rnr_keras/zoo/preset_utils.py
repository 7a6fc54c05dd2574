"""Reading and writing zoo presets: one folder per trained model.

A preset folder holds

- `config.json`: the model, serialized with
  `keras.saving.serialize_keras_object`, with no compile config (presets
  serve, they do not resume training); a model's config never depends on
  its training data;
- `model.weights.h5`: the model's weights (embeddings, biases, and data
  statistics such as Popularity's item counts and SVD's mean rating), no
  optimizer state; models never hold their training data as weights;
- `metadata.json`: what the model is and how it was made (dataset, dataset
  arguments, split, hyperparameters, metrics, versions, date, parameter
  count, data fingerprint) and, under `"interaction_history"`, a record of
  the training history that was left out (size and fingerprint);
- `user_ids.json` / `item_ids.json`: JSON lists, index -> raw id, so a
  caller can ask for recommendations by raw (e.g. MovieLens) ids. Raw ids
  keep their JSON type (int or str).

The training data is not shipped: it is not model state (a model gets it
from `adapt`), and the MovieLens licence forbids redistributing it.
`load_preset` gives the model the user's own copy instead (see
`load_preset`'s `data`): it re-creates the recorded split, checks it
against the recorded fingerprints and calls `model.adapt(split.train)`,
which never changes a loaded weight. Without the data, models that only
need their weights to score (Popularity, SVD, BPR and their multi-task
pairs) still score; history-reading models (CDAE, SVD++, EASE) and
`recommend(exclude="train")` raise an error saying how to provide it.

Shipped presets live in `rnr_keras/zoo/presets/<name>/`. Setting the
environment variable `RNR_PRESETS_DIR` to a folder makes the zoo look there
instead (for presets built locally, and for testing a fresh build before it
is copied into the package).

Modelled on keras-hub's `utils/preset_utils.py`.
"""

import datetime
import hashlib
import json
import os

import keras
import numpy as np
from keras import ops

from rnr_keras.datasets.interactions import Interactions
from rnr_keras.io_utils import check_folder_target
from rnr_keras.io_utils import folder_written_atomically
from rnr_keras.protocol.split import Split

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.weights.h5"
METADATA_FILE = "metadata.json"
USER_IDS_FILE = "user_ids.json"
ITEM_IDS_FILE = "item_ids.json"
PRESET_FILES = (
    CONFIG_FILE,
    WEIGHTS_FILE,
    METADATA_FILE,
    USER_IDS_FILE,
    ITEM_IDS_FILE,
)

#: Environment variable naming a folder of presets used instead of the
#: shipped ones.
PRESETS_DIR_ENV = "RNR_PRESETS_DIR"

#: `load_preset`'s default `data`: rebuild the history from the dataset
#: when it is found.
AUTO = "auto"

#: What `metadata.json` says about the training history.
HISTORY_NOTE = (
    "not shipped (it is the training data, which the dataset's licence may "
    "forbid redistributing); rebuilt from the dataset on load"
)

#: The package's own presets folder, `rnr_keras/zoo/presets`.
SHIPPED_PRESETS_DIR = os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "presets"
)


def presets_dir():
    """The folder holding the zoo's presets, one sub-folder each.

    `$RNR_PRESETS_DIR` when set, else the package's `rnr_keras/zoo/presets`.

    Example:

    >>> os.path.basename(presets_dir())  # doctest: +SKIP
    'presets'
    """
    return os.environ.get(PRESETS_DIR_ENV) or SHIPPED_PRESETS_DIR


def list_presets():
    """Sorted names of the presets in `presets_dir()`.

    A preset is a sub-folder holding a `config.json`; anything else there
    (the package's `__init__.py`, caches, half-written temporary folders,
    whose names start with a dot) is ignored.

    Example:

    >>> list_presets()  # doctest: +SKIP
    ['bpr_ml-100k', 'popularity_ml-100k', ...]
    """
    root = presets_dir()
    if not os.path.isdir(root):
        return []
    return sorted(
        name
        for name in os.listdir(root)
        if not name.startswith((".", "_"))
        and os.path.isfile(os.path.join(root, name, CONFIG_FILE))
    )


def preset_path(name_or_path):
    """The folder of preset `name_or_path`: a shipped name or a folder.

    A bare name (no path separator) that `list_presets()` knows is the
    shipped preset, even when the working directory has a folder of that
    name (write `./name` for the local folder). Anything else is a path.

    Raises:
        ValueError: an unknown name (the message lists the known ones), or
            a folder that is not a preset.
        FileNotFoundError: a path that does not exist.
    """
    try:
        text = os.fspath(name_or_path)
    except TypeError:
        text = None
    if not isinstance(text, str) or not text:
        raise ValueError(
            "`name_or_path` must be a preset name or a folder. Received: "
            f"name_or_path={name_or_path!r}"
        )
    is_name = os.sep not in text and (os.altsep or os.sep) not in text
    if is_name and text in list_presets():
        path = os.path.join(presets_dir(), text)
    elif os.path.isdir(os.path.expanduser(text)):
        path = os.path.expanduser(text)
    elif is_name and not text.startswith((".", "~")):
        known = list_presets()
        raise ValueError(
            f"Unknown preset {text!r}. Known presets: "
            f"{', '.join(known) if known else '(none)'} (in {presets_dir()}). "
            "Or pass the path of a preset folder."
        )
    else:
        raise FileNotFoundError(f"No preset folder at {text!r}")
    if not os.path.isfile(os.path.join(path, CONFIG_FILE)):
        raise ValueError(
            f"{path!r} is not a preset folder: it has no {CONFIG_FILE}"
        )
    return path


def load_preset(name_or_path, cls=None, data=AUTO, data_dir=None):
    """Builds the preset's model, loads its weights, rebuilds its history.

    The preset ships no training history (see the module docstring);
    `data` says where it comes from:

    - `"auto"` (default): re-create the split recorded in `metadata.json`
      (`dataset`, `dataset_args` and `protocol`) from the user's copy of
      the dataset, found as `rnr_keras.datasets.load` finds it (`data_dir`,
      else `$RNR_DATA_DIR/<dataset>`, else the cache; nothing is
      downloaded), check it against the recorded `data_fingerprint`, and
      adapt the model to its training part. When the dataset is not found,
      the model comes back without history (see below); when it is found
      but differs from the recorded one, `ValueError` is raised.
    - an `Interactions`: the training part of the recorded split, used as
      it is. It must match the recorded fingerprint of the history (same
      users, items, order, and ratings where the model stores them).
    - a `Split`: the recorded split itself; its fingerprint must match the
      recorded `data_fingerprint`, and its `train` part is used.
    - `None`: never load data; the model comes back without history.

    `adapt` never changes the loaded weights.

    A model without history scores when its weights suffice (Popularity,
    SVD, BPR, Vanilla/RnR(BPR,SVD)); CDAE-based models, and
    `recommend(exclude_seen=True)` for every model, raise `ValueError`
    saying why the history is missing and how to provide it (the reason is
    also in `model.missing_history_reason`).

    Args:
        name_or_path: str or path-like. A name from `list_presets()` or a
            preset folder.
        cls: class or `None`. The class the model must be an instance of
            (a subclass is fine). Defaults to `None` (`Recommender`).
        data: `"auto"`, `Interactions`, `Split` or `None`. Where the
            training history comes from. Defaults to `"auto"`.
        data_dir: str, path-like or `None`. For `data="auto"`: the folder
            holding the dataset's files (e.g. the one with `u.data`).
            Defaults to `None` (`$RNR_DATA_DIR/<dataset>`, then the cache).

    Returns:
        The model, not compiled.

    Raises:
        ValueError: an unknown preset (see `preset_path`), a preset holding
            a model that is not a `cls`, or `data` that is not the data the
            preset was trained on.
    """
    # The zoo's classes must be registered with Keras before the config
    # is read; the command line's `import rnr_keras` imports no model.
    import rnr_keras.models  # noqa: F401

    # Any zoo model: the zoo reads models, it does not import their base.
    expected = cls or keras.Model
    path = preset_path(name_or_path)
    config = _read_json(path, CONFIG_FILE)
    found = _config_class(config)
    if found is not None:
        _check_class(found, expected, path)
    model = keras.saving.deserialize_keras_object(config)
    _check_class(type(model), expected, path)
    model.load_weights(os.path.join(path, WEIGHTS_FILE))
    _restore_history(model, path, data, data_dir)
    return model


def recorded_split(metadata, data_dir=None):
    """Re-creates the split a preset was trained and measured on.

    Loads `metadata["dataset"]` (with `metadata["dataset_args"]`) as
    `rnr_keras.datasets.load` does, never downloading, and applies
    `metadata["protocol"]` to it.

    Args:
        metadata: dict. A preset's `metadata.json` (see `read_metadata`).
        data_dir: str, path-like or `None`. The folder holding the
            dataset's files. Defaults to `None` (`$RNR_DATA_DIR/<dataset>`,
            then the cache).

    Returns:
        `Split`.

    Raises:
        OSError: the dataset's files are not found.
        ValueError: the metadata records no dataset or protocol, an unknown
            protocol, or the re-created split does not match the recorded
            `data_fingerprint` (the local data differs from the preset's).
    """
    from rnr_keras import datasets
    from rnr_keras import protocol

    dataset = metadata.get("dataset")
    params = dict(metadata.get("protocol") or {})
    if not dataset or not params:
        raise ValueError(
            f"The preset {metadata.get('name')!r} records no dataset and "
            "protocol to re-create its split from"
        )
    name = params.pop("name", None)
    if name != "all_but_last_one":
        raise ValueError(
            f"The preset {metadata.get('name')!r} records an unknown "
            f"protocol {name!r}; known: 'all_but_last_one'"
        )
    data = datasets.load(
        dataset,
        data_dir=data_dir,
        download=False,
        **(metadata.get("dataset_args") or {}),
    )
    split = protocol.all_but_last_one(data, **params)
    recorded = metadata.get("data_fingerprint")
    if recorded is not None and data_fingerprint(split) != recorded:
        raise ValueError(
            f"The {dataset} data found differs from the data preset "
            f"{metadata.get('name')!r} was trained on: the re-created split "
            f"({len(split.train)} train, {len(split.val)} val, "
            f"{len(split.test)} test rows) does not match the recorded "
            "data_fingerprint. Use the original dataset files, or load the "
            "preset with data=None (no training history)"
        )
    return split


def _restore_history(model, path, data, data_dir):
    """Gives `model` its training data from `data` (see `load_preset`)."""
    metadata = _read_json(path, METADATA_FILE) if data is not None else {}
    record = metadata.get("interaction_history") or {}
    where = f"preset {metadata.get('name') or os.path.basename(path)!r}"
    if isinstance(data, str) and data == AUTO:
        if not (metadata.get("dataset") and metadata.get("protocol")):
            model.missing_history_reason = (
                f"the {where} ships no training data and its metadata "
                "records no dataset and protocol to rebuild it from. Pass "
                "data= (the training Interactions) to zoo.load / from_preset"
            )
            return
        try:
            train = recorded_split(metadata, data_dir).train
        except OSError as err:
            model.missing_history_reason = _missing_reason(
                where, metadata, f"{metadata['dataset']} was not found: {err}"
            )
            return
    elif data is None:
        model.missing_history_reason = (
            f"the {where} ships no training data and was loaded with "
            "data=None. Load it with data='auto' (the dataset found in "
            "$RNR_DATA_DIR or the cache) or data=<training Interactions>, "
            "or call model.adapt(train)"
        )
        return
    elif isinstance(data, Split):
        recorded = metadata.get("data_fingerprint")
        if recorded is not None and data_fingerprint(data) != recorded:
            raise ValueError(
                f"`data` is not the split the {where} was trained on: its "
                "fingerprint differs from the recorded data_fingerprint"
            )
        train = data.train
    elif isinstance(data, Interactions):
        train = data
    else:
        raise ValueError(
            "`data` must be 'auto', None, an `Interactions` or a `Split`. "
            f"Received: data={data!r}"
        )
    _adapt_checked(model, train, record, where)


def _missing_reason(where, metadata, why):
    dataset = metadata.get("dataset")
    download = (
        f" (`rnr-keras data info {dataset}` downloads it into the cache)"
        if dataset in ("ml-100k", "ml-1m")
        else ""
    )
    return (
        f"the {where} ships no training data (the data's licence may forbid "
        f"redistributing it) and it could not be rebuilt: {why}. Set "
        f"RNR_DATA_DIR to the folder holding {dataset}/{download}, or pass "
        "data_dir= or data= (the training Interactions of the recorded "
        "split) to zoo.load / from_preset"
    )


def _adapt_checked(model, train, record, where):
    """`model.adapt(train)`, checking `train` is the recorded training data
    and that adapting changed no loaded weight."""
    model.check_interactions(train, "data")
    expected = record.get("fingerprint")
    if expected is not None:
        actual = history_fingerprint(train, with_ratings=bool(record.get("ratings")))
        if actual != expected:
            raise ValueError(
                f"`data` is not the training data of the {where}: "
                f"{len(train)} interactions whose fingerprint differs from "
                f"the recorded one ({record.get('interactions')} "
                "interactions). Pass the training part of the split "
                "recorded in its metadata.json (dataset, dataset_args, "
                "protocol), or data='auto'"
            )
    elif record.get("interactions") not in (None, 0, len(train)):
        raise ValueError(
            f"`data` is not the training data of the {where}: it has "
            f"{len(train)} interactions, the preset was trained on "
            f"{record['interactions']}"
        )
    before = [ops.convert_to_numpy(v) for v in model.weights]
    model.adapt(train)
    for variable, old in zip(model.weights, before):
        if not np.array_equal(old, ops.convert_to_numpy(variable)):
            raise RuntimeError(
                f"adapting the {where} changed its weight {variable.path}"
            )
    model.missing_history_reason = None


def history_fingerprint(data, with_ratings=False):
    """A `"sha256:<hex>"` digest of a model's training data.

    Covers the index-space size and each user's items in stored order (and
    their ratings with `with_ratings`). Presets record it so that the data
    they do not ship can be checked when it is given back.

    Args:
        data: `Interactions`.
        with_ratings: bool. Whether to cover the ratings too. Defaults to
            `False`.

    Example:

    >>> from rnr_keras.datasets import Interactions
    >>> data = Interactions(users=[0, 1], items=[1, 0])
    >>> history_fingerprint(data).startswith("sha256:")
    True
    """
    if not isinstance(data, Interactions):
        raise ValueError(
            f"`data` must be an `Interactions`. Received: data={data!r}"
        )
    indptr, items, ratings = data.csr()
    digest = hashlib.sha256(b"interaction_history")
    digest.update(
        np.array(
            [data.num_users, data.num_items, len(items), bool(with_ratings)], "<i8"
        ).tobytes()
    )
    digest.update(np.ascontiguousarray(indptr, dtype="<i8").tobytes())
    digest.update(np.ascontiguousarray(items, dtype="<i4").tobytes())
    if with_ratings:
        digest.update(np.ascontiguousarray(ratings, dtype="<f4").tobytes())
    return "sha256:" + digest.hexdigest()


def read_metadata(name_or_path):
    """The preset's `metadata.json`, parsed."""
    return _read_json(preset_path(name_or_path), METADATA_FILE)


def read_id_maps(name_or_path):
    """The preset's raw-id maps: `(user_ids, item_ids)` NumPy arrays.

    Index `i` of `user_ids` is the raw id of user index `i` (likewise
    items); integer ids come back as int64 arrays, string ids as str
    arrays.
    """
    path = preset_path(name_or_path)
    return (
        _id_array(_read_json(path, USER_IDS_FILE)),
        _id_array(_read_json(path, ITEM_IDS_FILE)),
    )


def save_preset(
    model,
    path,
    metadata=None,
    user_ids=None,
    item_ids=None,
    overwrite=False,
):
    """Writes `model` as a preset folder at `path`, atomically.

    Everything is written into a temporary folder beside `path`, which is
    then renamed to `path`: `path` is never left half-written, and on any
    failure the temporary folder is removed.

    The training data is not in it (models do not hold it; see the module
    docstring); `load_preset` gives it back from the user's dataset.

    `metadata` is copied and completed with `name` (the folder name), the
    model's `class_name`, `parameter_count`, `interaction_history` (the
    training data left out: a note, its size and its fingerprint, when the
    model was adapted), `versions` and `date` (UTC) when not given.

    Args:
        model: a `Recommender`.
        path: str or path-like. The preset folder to write.
        metadata: dict or `None`. JSON-serializable (NumPy scalars and
            arrays are converted). Defaults to `None`.
        user_ids: array or `None`. Raw id of each user index. Defaults to
            the indices themselves.
        item_ids: array or `None`. Raw id of each item index. Defaults to
            the indices themselves.
        overwrite: bool. Whether to replace an existing, non-empty folder.
            Defaults to `False`.

    Returns:
        str. The preset folder's path.
    """
    if not (isinstance(model, keras.Model) and hasattr(model, "score_batch")):
        raise ValueError(
            "`model` must be an rnr_keras `Recommender`. Received: "
            f"model={model!r}"
        )
    path = os.path.abspath(os.fspath(path))
    check_target(path, overwrite)
    user_ids = _id_list("user_ids", user_ids, model.num_users)
    item_ids = _id_list("item_ids", item_ids, model.num_items)
    metadata = _complete_metadata(model, path, metadata)
    config = keras.saving.serialize_keras_object(model)
    # Presets are for serving: no optimizer to rebuild on load.
    config.pop("compile_config", None)

    with folder_written_atomically(path, overwrite, what="preset") as tmp:
        _write_json(os.path.join(tmp, CONFIG_FILE), config)
        _save_weights(model, config, os.path.join(tmp, WEIGHTS_FILE))
        _write_json(os.path.join(tmp, USER_IDS_FILE), user_ids, indent=None)
        _write_json(os.path.join(tmp, ITEM_IDS_FILE), item_ids, indent=None)
        _write_json(os.path.join(tmp, METADATA_FILE), metadata)
    return path


def data_fingerprint(data):
    """A `"sha256:<hex>"` digest of a split (or of one `Interactions`).

    Covers, for each part (train, val, test), its index-space size, user
    and item indices, ratings and timestamps, plus the raw-id maps: two
    splits with the same fingerprint hold the same data in the same index
    space, so a preset's recorded metrics can be checked against data
    re-created from its metadata.

    Args:
        data: `Split` or `Interactions`.

    Example:

    >>> from rnr_keras.datasets import Interactions
    >>> data = Interactions(users=[0, 1], items=[1, 0])
    >>> data_fingerprint(data).startswith("sha256:")
    True
    """
    if isinstance(data, Split):
        parts = (("train", data.train), ("val", data.val), ("test", data.test))
    elif isinstance(data, Interactions):
        parts = (("interactions", data),)
    else:
        raise ValueError(
            "`data` must be a `Split` or an `Interactions`. Received: "
            f"data={data!r}"
        )
    digest = hashlib.sha256()
    first = parts[0][1]
    for ids in (first.user_ids, first.item_ids):
        digest.update(json.dumps(np.asarray(ids).tolist()).encode())
    for label, part in parts:
        digest.update(label.encode())
        digest.update(
            np.array([part.num_users, part.num_items, len(part)], "<i8").tobytes()
        )
        for values, dtype in (
            (part.users, "<i4"),
            (part.items, "<i4"),
            (part.ratings, "<f4"),
            (part.timestamps, "<i8"),
        ):
            digest.update(np.ascontiguousarray(values, dtype=dtype).tobytes())
    return "sha256:" + digest.hexdigest()


def parameter_count(model):
    """Number of weight values."""
    return int(sum(int(np.prod(v.shape)) for v in model.weights))


def _config_class(config):
    name = config.get("registered_name") if isinstance(config, dict) else None
    return keras.saving.get_registered_object(name) if name else None


def _check_class(found, expected, path):
    if not (isinstance(found, type) and issubclass(found, expected)):
        raise ValueError(
            f"The preset at {path!r} holds a {getattr(found, '__name__', found)}"
            f", which is not a {expected.__name__}. Load it with "
            f"`{getattr(found, '__name__', 'Recommender')}.from_preset` or "
            "`Recommender.from_preset`."
        )


def check_target(path, overwrite=False):
    """Raises `FileExistsError` when `save_preset` would refuse `path`.

    For callers that train first and save last: check before training.
    """
    check_folder_target(path, overwrite, what="preset")


def _save_weights(model, config, path):
    """Saves the weights without optimizer state.

    `Model.save_weights` of a compiled, trained model also writes the
    optimizer's variables. So the model's weights go through a fresh
    instance rebuilt from `config` (never compiled, so it has no
    optimizer): saved in full, loaded into the fresh instance (Keras
    matches weights by the layer structure), checked, and saved from
    there. Building the fresh instance also checks that the config
    describes the model.
    """
    folder, base = os.path.split(path)
    full = os.path.join(folder, f".full.{base}")
    try:
        model.save_weights(full)
        clone = keras.saving.deserialize_keras_object(config)
        clone.load_weights(full)
    finally:
        if os.path.exists(full):
            os.remove(full)
    _check_same_weights(clone, model)
    clone.save_weights(path)


def _check_same_weights(clone, model):
    """Raises unless `clone` holds exactly `model`'s weights."""
    expected = {v.path: v for v in model.weights}
    found = {v.path: v for v in clone.weights}
    if sorted(found) != sorted(expected) or len(found) != len(clone.weights):
        raise RuntimeError(
            "The preset's weights do not match the model's: "
            f"{sorted(found)} != {sorted(expected)}"
        )
    for key, variable in found.items():
        if not np.array_equal(
            ops.convert_to_numpy(variable), ops.convert_to_numpy(expected[key])
        ):
            raise RuntimeError(f"The preset's weight {key} was not copied")


def _complete_metadata(model, path, metadata):
    from rnr_keras.runs import versions

    if metadata is not None and not isinstance(metadata, dict):
        raise ValueError(
            f"`metadata` must be a dict. Received: metadata={metadata!r}"
        )
    # Through JSON once: a copy that is known to serialize.
    result = json.loads(json.dumps(metadata or {}, default=_json_default))
    result.setdefault("name", os.path.basename(path))
    result["class_name"] = keras.saving.get_registered_name(type(model))
    result["parameter_count"] = parameter_count(model)
    train = getattr(model, "training_interactions", None)
    result["interaction_history"] = {
        "shipped": False,
        "note": HISTORY_NOTE,
        "interactions": 0 if train is None else len(train),
        "ratings": train is not None,
        "fingerprint": None
        if train is None
        else history_fingerprint(train, with_ratings=True),
    }
    result.setdefault("versions", versions())
    result.setdefault(
        "date",
        datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    )
    return result


def _id_list(argument, ids, size):
    if ids is None:
        return list(range(size))
    values = np.asarray(ids).tolist()
    if np.ndim(ids) != 1 or len(values) != size:
        raise ValueError(
            f"`{argument}` must hold one raw id per index ({size}). Received "
            f"shape {np.shape(ids)}"
        )
    for value in values:
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise ValueError(
                f"`{argument}` must hold int or str raw ids. Received "
                f"{value!r} ({type(value).__name__})"
            )
    if len(set(values)) != len(values):
        raise ValueError(f"`{argument}` holds a raw id more than once")
    return values


def _id_array(values):
    if values and all(isinstance(v, int) for v in values):
        return np.asarray(values, dtype=np.int64)
    if all(isinstance(v, str) for v in values):
        return np.asarray(values, dtype=str)
    return np.asarray(values, dtype=object)


def _read_json(folder, filename):
    path = os.path.join(folder, filename)
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"The preset folder {folder!r} has no {filename}"
        )
    with open(path, encoding="utf-8") as file:
        return json.load(file)


def _write_json(path, value, indent=2):
    with open(path, "w", encoding="utf-8") as file:
        json.dump(value, file, indent=indent, default=_json_default)
        file.write("\n")


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(
        f"Object of type {type(value).__name__} is not JSON serializable"
    )
