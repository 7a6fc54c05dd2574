"""`rnr-keras export`: a zoo preset or a trained run as a TensorFlow
SavedModel, for TensorFlow Serving.

The model comes from a preset (`--preset`, loaded with its training data
rebuilt from the dataset, as `recommend` does) or from a `model.keras`
written by `rnr-keras train` (`--model`). A `.keras` file holds neither
the training data nor the raw ids, so `--model` reads the run's
`metrics.json` beside it (the dataset, its arguments and the split) and
re-creates the training part of the split from the dataset. The export is
`rnr_keras.serving.export_saved_model`: see it for the signatures.

Example:

    $ rnr-keras export --preset rnr-bpr-svd_ml-100k serving/rnr -k 10
    $ rnr-keras export --model runs/bpr/model.keras serving/bpr
"""

import json
import os

from rnr_keras.cli import arguments

#: The run record `rnr-keras train` writes beside `model.keras`.
RUN_RECORD = "metrics.json"
MODEL_FILE = "model.keras"


def add_parser(subparsers):
    """Adds `export` to `subparsers`; returns its parser."""
    export = subparsers.add_parser(
        "export",
        help="Export a preset or a trained model as a TensorFlow SavedModel.",
        description="Writes a TensorFlow SavedModel to DIR that loads with "
        "tf.saved_model.load (no rnr_keras or Keras needed) and serves with "
        "TensorFlow Serving. Signature serving_default: user_ids (raw ids, "
        "tf.string) -> item_ids and scores, the top K items per user with "
        "the user's training items left out; an unknown user gets the K "
        "most popular training items, scored by their training count. "
        "Models with a rater also get signature rate: user_ids, item_ids -> "
        "ratings (the training mean rating for unknown ids). The training "
        "data goes into the SavedModel: it is read from the dataset (in "
        "--data-dir, $RNR_DATA_DIR/<dataset> or the cache).",
    )
    source = export.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--preset",
        metavar="NAME|DIR",
        help="A shipped preset's name (see rnr_keras.zoo.list()) or a "
        "preset folder.",
    )
    source.add_argument(
        "--model",
        metavar="FILE",
        help=f"A {MODEL_FILE} written by `rnr-keras train` (or its run "
        f"folder), with the run's {RUN_RECORD} beside it: it names the "
        "dataset and split whose training part the model is given.",
    )
    export.add_argument(
        "directory", metavar="DIR", help="The SavedModel folder to write."
    )
    export.add_argument(
        "-k",
        metavar="K",
        type=int,
        default=10,
        help="Items per user of serving_default (default: %(default)s).",
    )
    arguments.add_data_dir(export, "the dataset's files, for the training data")
    export.add_argument(
        "--overwrite",
        action="store_true",
        help="Replace DIR when it exists and is not empty.",
    )
    export.set_defaults(func=run)
    return export


def run(args):
    """Runs `rnr-keras export` on parsed arguments; returns 0."""
    arguments.check_at_least("k", args.k, 1)
    # Imported on use: they bring in TensorFlow and Keras.
    from rnr_keras import serving

    if args.preset is not None:
        model, user_ids, item_ids, what = _from_preset(args)
    else:
        model, user_ids, item_ids, what = _from_run(args)
    path = serving.export_saved_model(
        model,
        args.directory,
        k=args.k,
        overwrite=args.overwrite,
        user_ids=user_ids,
        item_ids=item_ids,
    )
    signatures = "serving_default (user_ids -> item_ids, scores)"
    if getattr(model, "rater", None) is not None:
        signatures += ", rate (user_ids, item_ids -> ratings)"
    print(
        f"Exported {what} to {path} (SavedModel; top {min(args.k, model.num_items)}"
        f" items per user; signatures {signatures})"
    )
    return 0


def _from_preset(args):
    from rnr_keras import zoo

    path = zoo.preset_path(args.preset)
    metadata = zoo.metadata(path)
    name = metadata.get("name", os.path.basename(os.path.normpath(path)))
    model = zoo.load(path, data="auto", data_dir=args.data_dir)
    if model.interaction_history is None:
        raise ValueError(
            f"Preset {name!r} cannot be exported without its training data "
            "(the export leaves each user's training items out and serves "
            f"unknown users the popular ones): {model.missing_history_reason}"
        )
    user_ids, item_ids = zoo.id_maps(path)
    label = metadata.get("label") or type(model).__name__
    return model, user_ids, item_ids, f"preset {name} ({label})"


def _from_run(args):
    import keras

    import rnr_keras.models  # noqa: F401 (registers the zoo with Keras)

    path = args.model
    if os.path.isdir(path):
        path = os.path.join(path, MODEL_FILE)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"--model {args.model}: no such file")
    record_path = os.path.join(os.path.dirname(os.path.abspath(path)), RUN_RECORD)
    if not os.path.isfile(record_path):
        raise ValueError(
            f"--model {args.model}: a .keras file holds neither the training "
            "data nor the raw ids, which the export needs; they are re-created "
            f"from the run's {RUN_RECORD}, which is not beside it. Give the "
            "model.keras of an `rnr-keras train` run folder, or export a "
            "preset (`rnr-keras train --save-preset DIR`, then --preset DIR)"
        )
    with open(record_path, encoding="utf-8") as file:
        record = json.load(file)
    train = _recorded_train(record, args.data_dir, record_path)
    model = keras.saving.load_model(path)
    # `adapt` on a loaded model changes no weight.
    model.adapt(train)
    label = record.get("label") or type(model).__name__
    return model, train.user_ids, train.item_ids, f"{path} ({label})"


def _recorded_train(record, data_dir, record_path):
    """The training part of the split a run record describes."""
    from rnr_keras import datasets
    from rnr_keras import protocol

    params = dict(record.get("protocol") or {})
    if params.pop("name", None) != "all_but_last_one" or not (
        record.get("dataset") or record.get("data_file")
    ):
        raise ValueError(
            f"{record_path} records no dataset and All-But-Last-One split to "
            "re-create the training data from"
        )
    dataset_args = record.get("dataset_args") or {}
    if record.get("dataset"):
        data = datasets.load(record["dataset"], data_dir=data_dir, **dataset_args)
    else:
        data = datasets.read_file(
            record["data_file"], columns=record.get("columns"), **dataset_args
        )
    return protocol.all_but_last_one(data, **params).train
