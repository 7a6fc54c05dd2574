"""One training run, start to end: its split, its record, its files.

What `rnr-keras train`, `rnr-keras tune`, `reproduce` and the zoo's
`build_presets` share, so that each does it the same way:

- `make_split` loads a dataset (or reads your data file) and splits it
  with the paper's All-But-Last-One protocol (`split_data` splits data
  already loaded);
- `run_record` builds the record a run writes (`metrics.json`), which
  `rnr_keras.zoo.save_preset_from_run` turns into a preset's metadata;
- `save_run` writes the model and the record, each atomically;
- `format_results` prints a record's metrics as a small table;
- `versions` gives the library versions a record carries.

Only `make_split` and `split_data` run without TensorFlow; the others
import Keras on use.

Example:

>>> from rnr_keras import runs
>>> data, split = runs.make_split(
...     "synthetic", dataset_args={"num_users": 50, "num_items": 40}, seed=1
... )
>>> split.params["n_users"], split.params["seed"]
(50, 1)
"""

import importlib
import os

from rnr_keras.io_utils import dump_json
from rnr_keras.io_utils import write_atomically

#: `n_users` of `make_split` holding out a row of every user.
ALL_USERS = "all"


def split_data(data, dataset, n_users=None, seed=0):
    """The All-But-Last-One split of `data` (an `Interactions`).

    Args:
        data: `Interactions`. The loaded dataset.
        dataset: str or `None`. Its name, which sets the default `n_users`;
            `None` for data of your own.
        n_users: int, "all" or `None`. Users with a held-out row; `None`
            is the paper's n for `dataset` (5000 on ml-1m, 50000 on yelp)
            and every user elsewhere; "all" is every user. Capped at the
            number of users. Defaults to `None`.
        seed: int. Seed of the user draw. Defaults to 0.

    Returns:
        `Split`.
    """
    from rnr_keras import protocol

    if isinstance(n_users, str) and n_users == ALL_USERS:
        n_users = data.num_users
    n_users = protocol.default_n_users(dataset, data.num_users, n_users)
    return protocol.all_but_last_one(data, n_users=n_users, seed=seed)


def make_split(
    dataset=None,
    data_dir=None,
    dataset_args=None,
    n_users=None,
    seed=0,
    data_file=None,
    columns=None,
):
    """Loads `dataset`, or reads `data_file`, and splits it as every
    command does.

    Args:
        dataset: str or `None`. A `rnr_keras.datasets.load` name; `None`
            with `data_file`. Defaults to `None`.
        data_dir: str or `None`. Folder holding the dataset's files.
            Defaults to `None` (`$RNR_DATA_DIR/<dataset>`, then the cache).
        dataset_args: dict or `None`. Extra `datasets.load` arguments
            (`time_resolution`; synthetic takes its generator's too) or,
            with `data_file`, extra `datasets.read_file` arguments
            (`rating_scale`, `min_interactions`, `time_resolution`).
            Defaults to `None`.
        n_users: int, "all" or `None`. See `split_data`; `None` is every
            user for a data file. Defaults to `None`.
        seed: int. Seed of the user draw. Defaults to 0.
        data_file: str, path-like or `None`. Your own CSV, TSV or Parquet
            file (see `datasets.read_file`), instead of `dataset`. Defaults
            to `None`.
        columns: dict or `None`. With `data_file`: the file's column of
            each role (`user`, `item`, `rating`, `timestamp`), as
            `datasets.read_file` takes it. Defaults to `None`.

    Returns:
        `(data, split)`: the loaded `Interactions` and its `Split`.

    Raises:
        ValueError: both or neither of `dataset` and `data_file`, or
            `data_dir` or `columns` beside the wrong one.
    """
    from rnr_keras import datasets

    if data_file is None:
        if dataset is None:
            raise ValueError("Give a `dataset` name or a `data_file`")
        if columns is not None:
            raise ValueError(
                "`columns` names a data file's columns; it needs "
                f"`data_file`. Received: columns={columns!r}"
            )
        data = datasets.load(dataset, data_dir=data_dir, **(dataset_args or {}))
    else:
        if dataset is not None:
            raise ValueError(
                "Give a `dataset` name or a `data_file`, not both. Received: "
                f"dataset={dataset!r}, data_file={os.fspath(data_file)!r}"
            )
        if data_dir is not None:
            raise ValueError(
                "`data_dir` is the folder of a named dataset; it does not "
                f"apply to a data file. Received: data_dir={data_dir!r}, "
                f"data_file={os.fspath(data_file)!r}"
            )
        data = datasets.read_file(
            data_file, columns=columns, **(dataset_args or {})
        )
    return data, split_data(data, dataset, n_users=n_users, seed=seed)


def versions(*packages):
    """The versions a run records: rnr_keras, keras, tensorflow, then
    each module named in `packages` (e.g. "keras_tuner").

    Example:

    >>> sorted(versions("keras_tuner"))
    ['keras', 'keras_tuner', 'rnr_keras', 'tensorflow']
    """
    import rnr_keras

    out = {"rnr_keras": rnr_keras.__version__}
    for name in ("keras", "tensorflow", *packages):
        out[name] = importlib.import_module(name).__version__
    return out


def run_record(
    name,
    model,
    split,
    result,
    *,
    dataset,
    dataset_args=None,
    data_file=None,
    columns=None,
    seed=0,
    epochs=100,
    patience=None,
    batch_size=None,
    optimizer="default",
    extra_versions=(),
):
    """The record of one trained and measured model (`metrics.json`).

    Args:
        name: str. The model name (`rnr_keras.registry`).
        model: the trained zoo model.
        split: `Split`. The split it was trained and measured on.
        result: dict. Needs `val` and `test` (the metrics of
            `training.evaluate_model`) and `train_seconds`, `epochs`,
            `best_epoch`; uses `history`. `training.fit_model`'s result
            merged with the metrics, or `tuning.tune`'s result, has them.
        dataset: str or `None`. The dataset's name; `None` for a data
            file.
        dataset_args: dict or `None`. Extra `datasets.load` (or, for a
            data file, `datasets.read_file`) arguments. Defaults to `None`
            (recorded as `{}`).
        data_file: str, path-like or `None`. The data file read instead of
            a dataset (see `make_split`), recorded as an absolute path with
            `columns` after `dataset`. Defaults to `None` (neither is
            recorded).
        columns: dict or `None`. The data file's columns as given to
            `make_split`; recorded as `{}` when `None`. Defaults to `None`.
        seed: int. The run's seed. Defaults to 0.
        epochs: int. Most epochs allowed. Defaults to 100.
        patience: int or `None`. Early-stopping patience; `None` is
            recorded as the model's `default_patience`. Defaults to `None`.
        batch_size: int or `None`. Defaults to `None` (the model's).
        optimizer: str. The optimiser preset. Defaults to "default".
        extra_versions: module names whose versions are recorded beside
            the usual ones (see `versions`). Defaults to `()`.

    Returns:
        dict (JSON-serialisable): `model`, `label`, `val`, `test`,
        `train_seconds`, `epochs`, `best_epoch`, `dataset` (then
        `data_file` and `columns` for a data file), `dataset_args`, `seed`,
        `n_users`, `protocol` (the split's
        params), `hyperparameters`, `training` (`max_epochs`, `patience`,
        `batch_size`, `optimizer`, `learning_rate`), `history`, `versions`.
    """
    from rnr_keras import registry
    from rnr_keras import training

    compiled = getattr(model, "optimizer", None)
    source = {"dataset": dataset}
    if data_file is not None:
        # Enough to read the same data again: make_split(data_file=...,
        # columns=..., dataset_args=...).
        source["data_file"] = os.path.abspath(os.fspath(data_file))
        source["columns"] = dict(columns or {})
    return {
        "model": name,
        "label": registry.label(name),
        "val": result["val"],
        "test": result["test"],
        "train_seconds": result["train_seconds"],
        "epochs": result["epochs"],
        "best_epoch": result["best_epoch"],
        **source,
        "dataset_args": dict(dataset_args or {}),
        "seed": seed,
        "n_users": split.params["n_users"],
        "protocol": split.params,
        "hyperparameters": training.model_hyperparameters(model),
        "training": {
            "max_epochs": epochs,
            "patience": patience
            if patience is not None
            else getattr(model, "default_patience", None),
            "batch_size": batch_size,
            "optimizer": optimizer,
            # What "default" meant for this model when it was built.
            "learning_rate": None
            if compiled is None
            else float(compiled.learning_rate),
        },
        "history": result.get("history", {}),
        "versions": versions(*extra_versions),
    }


def save_run(model, record, out, record_file="metrics.json"):
    """Writes `out/model.keras`, then `out/<record_file>`, each atomically.

    The model first: the record never describes a model not yet saved.

    Returns:
        `(model_path, record_path)`.
    """
    model_path = os.path.join(out, "model.keras")
    record_path = os.path.join(out, record_file)
    write_atomically(model_path, model.save)
    write_atomically(record_path, lambda path: dump_json(record, path))
    return model_path, record_path


def format_results(record):
    """A record's validation and test metrics as a small text table."""
    val, test = record["val"], record["test"]
    keys = [key for key in val if key != "users"]
    width = max(len(key) for key in keys)
    data = record["dataset"] or os.path.basename(record.get("data_file", ""))
    lines = [
        f"{record['label']} on {data}, seed {record['seed']}: "
        f"{record['epochs']} epochs (best {record['best_epoch']}), "
        f"{record['train_seconds']:.1f} s training",
        f"{'':6}" + "".join(f"  {key:>{width}}" for key in keys) + "  users",
    ]
    for part, values in (("val", val), ("test", test)):
        lines.append(
            f"{part:6}"
            + "".join(f"  {values[key]:>{width}.4f}" for key in keys)
            + f"  {values['users']:>5}"
        )
    return "\n".join(lines)
