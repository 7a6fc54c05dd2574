"""Reading and writing zoo presets: one folder per trained model.

A preset folder holds

- `config.json`: the model, serialized with
  `keras.saving.serialize_keras_object` (no compile config: presets serve,
  they do not resume training);
- `model.weights.h5`: every weight of the model, its stored training
  history included, and no optimizer state;
- `metadata.json`: what the model is and how it was made (dataset, split,
  hyperparameters, metrics, versions, date, parameter count, data
  fingerprint);
- `user_ids.json` / `item_ids.json`: JSON lists, index -> raw id, so a
  caller can ask for recommendations by raw (e.g. MovieLens) ids. Raw ids
  keep their JSON type (int or str).

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
import shutil
import tempfile

import keras
import numpy as np

from rnr_keras.datasets.interactions import Interactions
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


def load_preset(name_or_path, cls=None):
    """Builds the preset's model and loads its weights.

    Args:
        name_or_path: str or path-like. A name from `list_presets()` or a
            preset folder.
        cls: class or `None`. The class the model must be an instance of
            (a subclass is fine). Defaults to `None` (`Recommender`).

    Returns:
        The model, not compiled.

    Raises:
        ValueError: an unknown preset (see `preset_path`) or a preset
            holding a model that is not a `cls`.
    """
    from rnr_keras.models.recommender import Recommender

    expected = cls or Recommender
    path = preset_path(name_or_path)
    config = _read_json(path, CONFIG_FILE)
    found = _config_class(config)
    if found is not None:
        _check_class(found, expected, path)
    model = keras.saving.deserialize_keras_object(config)
    _check_class(type(model), expected, path)
    model.load_weights(os.path.join(path, WEIGHTS_FILE))
    return model


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

    `metadata` is copied and completed with `name` (the folder name), the
    model's `class_name`, `parameter_count` (weights other than the stored
    training history), `versions` and `date` (UTC) when not given.

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
    from rnr_keras.models.recommender import Recommender

    if not isinstance(model, Recommender):
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

    parent, base = os.path.split(path)
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=f".{base}.", suffix=".tmp", dir=parent)
    try:
        _write_json(os.path.join(tmp, CONFIG_FILE), config)
        _save_weights(model, config, os.path.join(tmp, WEIGHTS_FILE))
        _write_json(os.path.join(tmp, USER_IDS_FILE), user_ids, indent=None)
        _write_json(os.path.join(tmp, ITEM_IDS_FILE), item_ids, indent=None)
        _write_json(os.path.join(tmp, METADATA_FILE), metadata)
        # mkdtemp makes the folder private (0700); give it the usual mode.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o777 & ~umask)
        _install(tmp, path, overwrite)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
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
    """Number of weight values, not counting the stored training history."""
    layer = getattr(model, "interaction_history", None)
    history = [id(v) for v in layer.weights] if layer is not None else []
    return int(
        sum(int(np.prod(v.shape)) for v in model.weights if id(v) not in history)
    )


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
    path = os.fspath(path)
    if os.path.exists(path) and not os.path.isdir(path):
        raise FileExistsError(f"{path!r} exists and is not a folder")
    if os.path.isdir(path) and os.listdir(path) and not overwrite:
        raise FileExistsError(
            f"The preset folder {path!r} exists and is not empty; pass "
            "overwrite=True (--overwrite) to replace it"
        )


def _install(tmp, path, overwrite):
    """Renames the finished folder `tmp` to `path`, atomically."""
    if not (os.path.isdir(path) and os.listdir(path)):
        # A missing or empty `path`: one rename. Should `path` have filled
        # up meanwhile, the rename fails rather than mix two presets.
        os.replace(tmp, path)
        return
    if not overwrite:
        raise FileExistsError(
            f"The preset folder {path!r} exists and is not empty; pass "
            "overwrite=True to replace it"
        )
    # A folder cannot be renamed over a non-empty one: move the old one
    # aside, put the new one in place, then delete the old one.
    parent, base = os.path.split(path)
    old = tempfile.mkdtemp(prefix=f".{base}.", suffix=".old", dir=parent)
    os.replace(path, old)
    try:
        os.replace(tmp, path)
    except BaseException:
        os.replace(old, path)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _save_weights(model, config, path):
    """Saves the weights without optimizer state.

    `Model.save_weights` of a compiled, trained model also writes the
    optimizer's variables. So the model's weights go through a fresh
    instance rebuilt from `config` (never compiled, so it has no optimizer):
    saved in full, loaded into the fresh instance (Keras matches weights by
    the layer structure, not by creation order, which differs when `adapt`
    made the history), and saved from there. Building the fresh instance
    also checks that the config describes the model.
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
    clone.save_weights(path)


def _complete_metadata(model, path, metadata):
    import tensorflow as tf

    import rnr_keras

    if metadata is not None and not isinstance(metadata, dict):
        raise ValueError(
            f"`metadata` must be a dict. Received: metadata={metadata!r}"
        )
    # Through JSON once: a copy that is known to serialize.
    result = json.loads(json.dumps(metadata or {}, default=_json_default))
    result.setdefault("name", os.path.basename(path))
    result["class_name"] = keras.saving.get_registered_name(type(model))
    result["parameter_count"] = parameter_count(model)
    result.setdefault(
        "versions",
        {
            "rnr_keras": rnr_keras.__version__,
            "keras": keras.__version__,
            "tensorflow": tf.__version__,
        },
    )
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
