"""`rnr-keras tune`: search a zoo model's hyperparameters, keep the best.

`add_tune_parser(subparsers)` adds the sub-command to the `rnr-keras`
parser (see `rnr_keras.cli`); its `func` takes the parsed arguments and
returns an exit status.

Example:

    $ rnr-keras tune rnr-bpr-svd --dataset ml-100k
    $ rnr-keras tune cdae --dataset ml-1m --tuner random --space wide \
        --max-trials 20 --dir runs/cdae-wide
"""

import os

from rnr_keras.io_utils import dump_json
from rnr_keras.io_utils import write_atomically

#: Search strategies (keys of `rnr_keras.tuning.TUNERS`), listed here so
#: that building the parser imports no keras-tuner.
TUNER_NAMES = ("grid", "random", "bayesian", "hyperband")
SPACE_NAMES = ("paper", "wide")


def _cli():
    # Imported on use: `rnr_keras.cli` imports this module to add `tune`.
    from rnr_keras import cli

    return cli


def add_tune_parser(subparsers):
    """Adds `tune` to an argparse sub-parsers object; returns its parser."""
    cli = _cli()
    tune = subparsers.add_parser(
        "tune",
        help="Search a zoo model's hyperparameters; retrain and test the best.",
        description="Splits the dataset with the paper's All-But-Last-One "
        "protocol and searches MODEL's hyperparameters with keras-tuner: "
        "each trial trains on the training part and is scored by its best "
        "epoch's validation Recall@10 (early stopping on it). The 'paper' "
        "space is the paper's grid (section 5.3): l2 in {0.01, 0.001} and, "
        "for multi-task models, alpha in {0.9, 0.95, 1.0}. The search "
        "lives in DIR: run the same command again to resume a stopped "
        "search where it left off. The best hyperparameters are then "
        "trained again from scratch and tested; DIR/results.json (every "
        "trial, the best hyperparameters, validation and test metrics) and "
        "DIR/model.keras are written atomically.",
    )
    tune.add_argument(
        "model",
        metavar="MODEL",
        choices=cli._ModelNames(),
        help="One of: %(choices)s.",
    )
    tune.add_argument(
        "--dataset",
        choices=cli.DATASETS,
        default="synthetic",
        help=f"One of: {', '.join(cli.DATASETS)} (default: %(default)s).",
    )
    tune.add_argument(
        "--data-dir",
        metavar="DIR",
        help="Folder holding the dataset's files (default: "
        "$RNR_DATA_DIR/<dataset>, then the cache).",
    )
    tune.add_argument(
        "--dataset-arg",
        metavar="KEY=VALUE",
        action="append",
        default=[],
        help="Keyword argument of `rnr_keras.datasets.load` (synthetic "
        "only), as for `rnr-keras train`; repeatable.",
    )
    tune.add_argument(
        "--tuner",
        choices=TUNER_NAMES,
        default="grid",
        help="Search strategy: every combination once (grid), random, "
        "Bayesian optimisation or Hyperband (default: %(default)s).",
    )
    tune.add_argument(
        "--max-trials",
        metavar="T",
        type=int,
        help="Most trials (default: every combination for grid, 10 for "
        "random and bayesian; hyperband sets its own).",
    )
    tune.add_argument(
        "--space",
        choices=SPACE_NAMES,
        default="paper",
        help="'paper' (the paper's grid, embedding_dim 50) or 'wide' (also "
        "embedding_dim, learning_rate, more alpha and l2 values, RnR's "
        "activation, CDAE's corruption and hidden_activation; thousands of "
        "combinations, so search it with random, bayesian or hyperband) "
        "(default: %(default)s).",
    )
    tune.add_argument(
        "--dir",
        metavar="DIR",
        help="Folder of the search and the results (default: "
        "runs/tune-<model>-<dataset>-seed<seed>).",
    )
    tune.add_argument(
        "--overwrite",
        action="store_true",
        help="Start the search afresh, discarding the trials in DIR.",
    )
    tune.add_argument(
        "--seed",
        type=int,
        default=0,
        help="Seed of the split, the initialisation, batching, negative "
        "sampling and the search (default: %(default)s).",
    )
    tune.add_argument(
        "--n-users",
        metavar="N",
        type=int,
        help="Users with a held-out row, half for validation, half for test "
        "(default: as `rnr-keras train`).",
    )
    tune.add_argument(
        "--epochs",
        type=int,
        default=100,
        help="Most epochs per trial and for the final training (default: "
        "%(default)s).",
    )
    tune.add_argument(
        "--patience",
        type=int,
        default=None,
        help="Epochs without a better validation Recall@10 before a trial "
        "stops %s." % "(default: the model's: 30 for pair-wise rankers, whose validation Recall@10 climbs slowly and noisily, 10 otherwise)",
    )
    tune.add_argument(
        "--batch-size",
        metavar="N",
        type=int,
        help="Interactions per batch (users for CDAE models) (default: 1024 "
        "interactions, 128 users).",
    )
    tune.add_argument(
        "--optimizer",
        choices=("default", "paper"),
        default="default",
        help="Optimiser preset: 'default' (Adam) or 'paper' (AdaGrad); the "
        "wide space tunes its learning rate (default: %(default)s).",
    )
    tune.add_argument(
        "--quiet",
        action="store_true",
        help="No trial summaries or progress bars; print only the results.",
    )
    tune.set_defaults(func=run_tune)
    return tune


def run_tune(args):
    """Runs `rnr-keras tune` on parsed arguments; returns the exit status."""
    cli = _cli()
    cli._check_at_least("epochs", args.epochs, 1)
    if args.patience is not None:
        cli._check_at_least("patience", args.patience, 0)
    if args.max_trials is not None:
        cli._check_at_least("max_trials", args.max_trials, 1)
    if args.batch_size is not None:
        cli._check_at_least("batch_size", args.batch_size, 1)
    if args.tuner == "hyperband" and args.max_trials is not None:
        raise ValueError(
            "--max-trials does not apply to hyperband, which sets its trials "
            "from --epochs"
        )
    dataset_args = cli._parse_dataset_args(args.dataset, args.dataset_arg)
    out = args.dir or os.path.join(
        "runs", f"tune-{args.model}-{args.dataset}-seed{args.seed}"
    )

    import keras
    import keras_tuner
    import tensorflow as tf

    import rnr_keras
    from rnr_keras import training
    from rnr_keras import tuning

    split = _load_split(cli, args, dataset_args)
    os.makedirs(out, exist_ok=True)
    from rnr_keras import registry

    label = registry.label(args.model)
    print(
        f"Tuning {label} on {args.dataset} ({split.num_users:,} users, "
        f"{split.num_items:,} items): {args.tuner} search over the "
        f"{args.space} space in {out}",
        flush=True,
    )
    results, model = tuning.tune(
        args.model,
        split,
        tuner=args.tuner,
        max_trials=args.max_trials,
        directory=out,
        space=args.space,
        epochs=args.epochs,
        patience=args.patience,
        batch_size=args.batch_size,
        optimizer=args.optimizer,
        seed=args.seed,
        verbose=0 if args.quiet else 1,
        overwrite=args.overwrite,
        project_name=f"search-{args.tuner}-{args.space}",
        return_model=True,
    )
    record = {
        **results,
        "dataset": args.dataset,
        "dataset_args": dataset_args,
        "seed": args.seed,
        "n_users": split.params["n_users"],
        "protocol": split.params,
        "training": {
            "max_epochs": args.epochs,
            "patience": args.patience,
            "batch_size": args.batch_size,
            "optimizer": args.optimizer,
        },
        "versions": {
            "rnr_keras": rnr_keras.__version__,
            "keras": keras.__version__,
            "tensorflow": tf.__version__,
            "keras_tuner": keras_tuner.__version__,
        },
    }
    model_path = os.path.join(out, "model.keras")
    results_path = os.path.join(out, "results.json")
    # The model first: results.json never describes a model not yet saved.
    write_atomically(model_path, model.save)
    write_atomically(results_path, lambda path: dump_json(record, path))
    print(_format_trials(record))
    print(cli._format_results(record))
    print(f"Saved {model_path} and {results_path}")
    return 0


def _load_split(cli, args, dataset_args):
    """The split `rnr-keras train` makes for the same arguments."""
    from rnr_keras import protocol

    data = cli.load(args.dataset, data_dir=args.data_dir, **dataset_args)
    n_users = protocol.default_n_users(args.dataset, data.num_users, args.n_users)
    return protocol.all_but_last_one(data, n_users=n_users, seed=args.seed)


def _format_trials(record):
    """One line per trial, best marked, in trial order."""
    lines = [f"{len(record['trials'])} trials ({record['tuner']}, "
             f"{record['space']} space); * best"]
    for trial in record["trials"]:
        values = ", ".join(
            f"{key}={value}" for key, value in trial["hyperparameters"].items()
        )
        score = trial["val_recall_at_10"]
        shown = "   n/a" if score is None else f"{score:.4f}"
        mark = "*" if trial["trial_id"] == record["best_trial"] else " "
        lines.append(
            f"{mark} trial {trial['trial_id']}  val_recall_at_10 {shown}  "
            f"{values or '(no hyperparameters)'}"
        )
    return "\n".join(lines)
