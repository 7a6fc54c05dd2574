"""A trained run saved as a zoo preset.

`save_preset_from_run(model, record, split, path)` saves a trained model
with its run record (`rnr_keras.runs.run_record`, what `metrics.json`
holds) as a preset; `rnr-keras train --save-preset DIR` and
`rnr_keras.zoo.build_presets` call it, after `check_preset_target(path)`
before training, so that a taken folder fails in seconds, not hours.

The preset ships no training history (see `rnr_keras.zoo`):
`metadata.json` records `dataset`, `dataset_args`, `protocol` and the
fingerprints from which `zoo.load` rebuilds it.
"""

import os

#: Keys `save_preset_from_run` needs in the run record.
REQUIRED_KEYS = (
    "model",
    "label",
    "dataset",
    "protocol",
    "hyperparameters",
    "val",
    "test",
)


def check_preset_target(path, overwrite=False):
    """Raises `FileExistsError` when `save_preset_from_run` would refuse
    `path` (an existing non-empty folder without `overwrite`).

    Call it before training, so that a taken folder fails the run in
    seconds, not after hours.
    """
    from rnr_keras.zoo import preset_utils

    preset_utils.check_target(path, overwrite)


def save_preset_from_run(model, record, split, path, *, name=None, overwrite=False):
    """Saves a trained model and its run record as a zoo preset.

    Args:
        model: the trained zoo model (adapted to `split.train`).
        record: dict. The run record (`rnr_keras.runs.run_record`): needs
            `model`, `label`, `dataset`, `protocol`, `hyperparameters`,
            `val`, `test`; uses `dataset_args`, `seed`, `training`,
            `epochs`, `best_epoch`, `train_seconds`, `versions` and
            `selection` when present.
        split: `Split`. The split the model was trained and measured on;
            gives the raw-id maps and the data fingerprint.
        path: str or path-like. The preset folder to write.
        name: str or `None`. The preset's name. Defaults to the folder's
            name.
        overwrite: bool. Whether to replace an existing non-empty folder.
            Defaults to `False`.

    Returns:
        str. The preset folder's absolute path.

    Raises:
        ValueError: the record lacks a required key.
        FileExistsError: `path` is taken (see `check_preset_target`).
    """
    from rnr_keras.zoo import preset_utils

    missing = [key for key in REQUIRED_KEYS if key not in record]
    if missing:
        raise ValueError(f"The run record lacks {', '.join(missing)}")
    path = os.path.abspath(os.fspath(path))
    training = dict(record.get("training") or {})
    for key in ("seed", "epochs", "best_epoch", "train_seconds"):
        if key in record:
            training[key] = record[key]
    metadata = {
        "name": name or os.path.basename(os.path.normpath(path)),
        "model": record["model"],
        "label": record["label"],
        "dataset": record["dataset"],
        "dataset_args": record.get("dataset_args") or {},
        "protocol": dict(record["protocol"]),
        "hyperparameters": record["hyperparameters"],
        "metrics": {"val": record["val"], "test": record["test"]},
        "training": training,
        "num_users": split.num_users,
        "num_items": split.num_items,
        "interactions": {
            "train": len(split.train),
            "val": len(split.val),
            "test": len(split.test),
        },
        "data_fingerprint": preset_utils.data_fingerprint(split),
    }
    if "selection" in record:
        metadata["selection"] = record["selection"]
    if "versions" in record:
        metadata["versions"] = record["versions"]
    return model.save_to_preset(
        path,
        metadata=metadata,
        user_ids=split.train.user_ids,
        item_ids=split.train.item_ids,
        overwrite=overwrite,
    )
