"""The zoo's part of the `rnr-keras` command line.

- `add_recommend_parser(subparsers)` adds `rnr-keras recommend`, which
  prints a preset's top-k items for one raw user id.
- `save_preset_from_run(model, record, split, path)` saves a trained model
  with its `train` record (the `metrics.json` dict) as a zoo preset; it is
  what `rnr-keras train --save-preset DIR` and `build_presets` call
  (`check_preset_target(path)` first, before training).

Presets ship no training history (see `rnr_keras.zoo`): `recommend` loads
the preset with `data="auto"`, rebuilding it from the dataset found in
`--data-dir`, `$RNR_DATA_DIR/<dataset>` or the cache, so that the user's
training items are left out. Without the dataset, models that score from
their weights alone still recommend (training items then not excluded,
and the output says so); CDAE-based models fail with a message saying
where to put the data.

Both follow `rnr_keras.cli`: the command runs through the `func` it sets,
returns an exit status, and reports expected failures (unknown preset or
user, bad `-k`) by raising `ValueError` / `OSError`, which `cli.main` prints
as one line before exiting with status 2. TensorFlow and Keras are imported
only when the command runs.

Example:

    $ rnr-keras recommend --preset rnr-bpr-svd_ml-100k --user 196 -k 5
"""

import json
import os

#: Datasets whose item titles `movielens_titles` can read.
_TITLED_DATASETS = ("ml-100k", "ml-1m")


def add_recommend_parser(subparsers):
    """Adds the `recommend` sub-command to `subparsers`.

    Args:
        subparsers: the object `argparse.ArgumentParser.add_subparsers`
            returns (`rnr_keras.cli` passes its `commands`).

    Returns:
        The `recommend` parser.
    """
    recommend = subparsers.add_parser(
        "recommend",
        help="Print a zoo preset's top-k items for a user.",
        description="Loads a zoo preset and prints the top-K items for the "
        "user with raw id USER (as in the dataset, e.g. a MovieLens user "
        "id), leaving out the items the user rated in training: rank, raw "
        "item id, score, the predicted rating (models with a trained rater; "
        "'-' otherwise) and the title (MovieLens, when u.item or movies.dat "
        "is found in --data-dir, $RNR_DATA_DIR/<dataset> or the cache). "
        "Presets do not ship their training data (the MovieLens licence "
        "forbids it): the training items are read from the dataset, found "
        "in the same places. Without it, CDAE-based presets cannot "
        "recommend and the others recommend without leaving out the "
        "training items.",
    )
    recommend.add_argument(
        "--preset",
        metavar="NAME|DIR",
        required=True,
        help="A shipped preset's name (see rnr_keras.zoo.list(); "
        "$RNR_PRESETS_DIR replaces the shipped folder) or a preset folder.",
    )
    recommend.add_argument(
        "--user",
        metavar="USER",
        required=True,
        help="Raw user id, as in the dataset.",
    )
    recommend.add_argument(
        "-k",
        metavar="K",
        type=int,
        default=10,
        help="Items to print (default: %(default)s).",
    )
    recommend.add_argument(
        "--data-dir",
        metavar="DIR",
        help="Folder holding the dataset's files (e.g. u.data and u.item), "
        "for the training items and the titles (default: "
        "$RNR_DATA_DIR/<dataset>, then the cache).",
    )
    recommend.add_argument(
        "--json", action="store_true", help="Print the result as JSON."
    )
    recommend.set_defaults(func=_recommend)
    return recommend


def _recommend(args):
    if args.k < 1:
        raise ValueError(f"`k` must be at least 1. Received: k={args.k}")
    from rnr_keras import zoo

    path = zoo.preset_path(args.preset)
    metadata = zoo.metadata(path)
    user_ids, item_ids = zoo.id_maps(path)
    name = metadata.get("name", os.path.basename(os.path.normpath(path)))
    user = raw_id_index(args.user, user_ids, "user", f"preset {name!r}")

    model = zoo.load(path, data="auto", data_dir=args.data_dir)
    exclude_seen = model.interaction_history is not None
    missing = None if exclude_seen else _missing_data(metadata)
    if not exclude_seen and model.scores_from_history:
        raise ValueError(
            f"Preset {name!r} ({metadata.get('label') or type(model).__name__}"
            ") needs its training data to score, and presets do not ship it "
            f"(the data's licence forbids redistributing it): {missing}"
        )
    items, scores = model.recommend([user], k=args.k, exclude_seen=exclude_seen)
    # Fewer unseen items than k: the rest are masked (-inf), drop them.
    keep = scores[0] > -float("inf")
    items, scores = items[0][keep], scores[0][keep]
    ratings = None
    if getattr(model, "trains_rater", False):
        ratings = model.predict_rating([user] * len(items), items)
    dataset = metadata.get("dataset")
    titles = {}
    if dataset in _TITLED_DATASETS:
        from rnr_keras.datasets import movielens_titles

        titles = movielens_titles(dataset, data_dir=args.data_dir)

    rows = []
    for rank, (item, score) in enumerate(zip(items, scores), start=1):
        raw_item = item_ids[item].item()
        rows.append(
            {
                "rank": rank,
                "item": raw_item,
                "score": float(score),
                "rating": None if ratings is None else float(ratings[rank - 1]),
                "title": titles.get(raw_item),
            }
        )
    seen = (
        int(len(model.interaction_history.user_items(user)))
        if exclude_seen
        else None
    )
    result = {
        "preset": name,
        "label": metadata.get("label"),
        "user": user_ids[user].item(),
        "training_items_excluded": seen,
        "items": rows,
    }
    if not exclude_seen:
        result["note"] = f"training items not excluded: {missing}"
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(_format_recommendations(result))
    return 0


def _missing_data(metadata):
    """Why the training history could not be rebuilt, and the fix."""
    dataset = metadata.get("dataset")
    if not (metadata.get("interaction_history") or {}).get("interactions"):
        return "the preset records no training history"
    if not (dataset and metadata.get("protocol")):
        return "the preset's metadata records no dataset to read it from"
    fix = (
        f"{dataset} was not found; pass --data-dir DIR (the folder holding "
        f"its files) or set RNR_DATA_DIR to the folder holding {dataset}/"
    )
    if dataset in _TITLED_DATASETS:
        fix += f" (`rnr-keras data info {dataset}` downloads it into the cache)"
    return fix


def raw_id_index(text, raw_ids, kind="user", where="the preset"):
    """The index of the raw id written as `text` in `raw_ids`.

    `text` (from the command line, so a string) is read as an int when the
    map holds integer ids (MovieLens), else taken as it is.

    Args:
        text: str. The raw id as typed.
        raw_ids: array. Index -> raw id.
        kind: str. "user" or "item", for the message. Defaults to "user".
        where: str. What holds the map, for the message. Defaults to
            "the preset".

    Raises:
        ValueError: naming the id, when `raw_ids` does not hold it.

    Example:

    >>> import numpy as np
    >>> raw_id_index("7", np.array([3, 7, 9]))
    1
    """
    import numpy as np

    raw = text
    if np.issubdtype(raw_ids.dtype, np.integer):
        try:
            raw = int(text)
        except ValueError:
            raw = None
    position = None
    if raw is not None:
        hits = np.flatnonzero(raw_ids == raw)
        position = int(hits[0]) if len(hits) else None
    if position is None:
        raise ValueError(
            f"Unknown {kind} {text!r}: {where} has no {kind} with raw id "
            f"{text!r} ({len(raw_ids):,} {kind}s, raw ids such as "
            f"{', '.join(str(v) for v in raw_ids[:3].tolist())})"
        )
    return position


def _format_recommendations(result):
    label = f" ({result['label']})" if result.get("label") else ""
    excluded = (
        f"{result['training_items_excluded']} training items excluded."
        if result["training_items_excluded"] is not None
        else f"{result['note']}."
    )
    lines = [
        f"Top {len(result['items'])} for user {result['user']} from preset "
        f"{result['preset']}{label}; {excluded}"
    ]
    rows = result["items"]
    item_width = max([len("item")] + [len(str(r["item"])) for r in rows])
    lines.append(
        f"{'rank':>4}  {'item':>{item_width}}  {'score':>9}  {'rating':>6}  title"
    )
    for row in rows:
        rating = "-" if row["rating"] is None else f"{row['rating']:.2f}"
        title = "-" if row["title"] is None else row["title"]
        lines.append(
            f"{row['rank']:>4}  {row['item']!s:>{item_width}}  "
            f"{row['score']:>9.4f}  {rating:>6}  {title}"
        )
    return "\n".join(lines)


def check_preset_target(path, overwrite=False):
    """Raises `FileExistsError` when `save_preset_from_run` would refuse
    `path` (an existing non-empty folder without `overwrite`).

    `rnr-keras train --save-preset DIR` should call it before training, so
    that a taken folder fails the run in seconds, not after hours.
    """
    from rnr_keras.zoo import preset_utils

    preset_utils.check_target(path, overwrite)


def save_preset_from_run(model, record, split, path, *, name=None, overwrite=False):
    """Saves a trained model and its `train` record as a zoo preset.

    For `rnr-keras train --save-preset DIR`: call
    `check_preset_target(args.save_preset)` before training and, once `_fit`
    has returned the `metrics.json` record,
    `save_preset_from_run(model, record, split, args.save_preset)`.

    The preset ships no training history; `metadata.json` records
    `dataset`, `dataset_args`, `protocol` and the fingerprints from which
    `zoo.load` rebuilds it.

    Args:
        model: the trained zoo model (adapted to `split.train`).
        record: dict. The `train` command's record: needs `model`, `label`,
            `dataset`, `protocol`, `hyperparameters`, `val`, `test`; uses
            `dataset_args`, `seed`, `training`, `epochs`, `best_epoch`,
            `train_seconds`, `versions` and `selection` when present.
        split: `Split`. The split the model was trained and measured on;
            gives the raw-id maps and the data fingerprint.
        path: str or path-like. The preset folder to write.
        name: str or `None`. The preset's name. Defaults to the folder's
            name.
        overwrite: bool. Whether to replace an existing non-empty folder.
            Defaults to `False`.

    Returns:
        str. The preset folder's absolute path.
    """
    from rnr_keras.zoo import preset_utils

    missing = [
        key
        for key in ("model", "label", "dataset", "protocol", "hyperparameters", "val", "test")
        if key not in record
    ]
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
