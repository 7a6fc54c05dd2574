"""The `rnr-keras` command line.

Each sub-command is added to the parser by one small `_add_<command>`
function listed in `_COMMANDS`, and runs through the function it sets as
`func` (`set_defaults(func=...)`), which takes the parsed arguments and
returns an exit status. Expected failures (missing data, bad input) raise
`OSError` or `ValueError`; `main` prints them as one line on stderr and
exits with status 2. TensorFlow and Keras are imported only inside the
commands that need them, so light commands such as `data info` start fast.

Example:

    $ rnr-keras data info ml-100k --data-dir /data/ml-100k
    $ rnr-keras train rnr-cdae-svd --dataset ml-100k --out runs/rnr
    $ rnr-keras recommend --preset rnr-bpr-svd_ml-100k --user 196 -k 10
"""

import argparse
import datetime
import inspect
import json
import os
import sys

import rnr_keras
from rnr_keras.io_utils import dump_json
from rnr_keras.io_utils import write_atomically
from rnr_keras.tuning.command import add_tune_parser
from rnr_keras.datasets import DATASETS
from rnr_keras.datasets import load
from rnr_keras.zoo.command import add_recommend_parser
from rnr_keras.zoo.command import check_preset_target
from rnr_keras.zoo.command import save_preset_from_run

PROG = "rnr-keras"
ERROR_STATUS = 2


def main(argv=None):
    """Runs the `rnr-keras` command line; returns the exit status.

    Args:
        argv: list of str or `None`. Arguments after the program name.
            Defaults to `None` (`sys.argv[1:]`).

    Example:

    >>> main(["data", "info", "synthetic", "--json"])  # doctest: +SKIP
    0
    """
    parser = _build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args) or 0
    except (OSError, ValueError) as err:
        # One line, no traceback: these are the user's to fix.
        message = " ".join(str(err).split()) or type(err).__name__
        print(f"{PROG}: error: {message}", file=sys.stderr)
        return ERROR_STATUS
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130


def _build_parser():
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Rank and Rate recommenders as Keras 3 models.",
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"%(prog)s {rnr_keras.__version__}",
    )
    commands = parser.add_subparsers(
        dest="command", metavar="COMMAND", required=True
    )
    for add in _COMMANDS:
        add(commands)
    return parser


# `data`: inspect datasets.


def _add_data(commands):
    data = commands.add_parser("data", help="Inspect datasets.")
    actions = data.add_subparsers(
        dest="action", metavar="ACTION", required=True
    )
    info = actions.add_parser(
        "info",
        help="Print a dataset's size, density, ratings and time span.",
        description="Loads a dataset as `rnr_keras.datasets.load` does and "
        "prints users, items, ratings, density, the rating histogram and "
        "the time span (UTC).",
    )
    info.add_argument(
        "dataset",
        metavar="DATASET",
        choices=DATASETS,
        help=f"One of: {', '.join(DATASETS)}.",
    )
    info.add_argument(
        "--data-dir",
        metavar="DIR",
        help="Folder holding the dataset's files (default: "
        "$RNR_DATA_DIR/<dataset>, then the cache).",
    )
    info.add_argument(
        "--min-interactions",
        metavar="N",
        type=int,
        default=4,
        help="Drop users with fewer than N interactions (default: 4; 0 "
        "keeps everyone).",
    )
    info.add_argument(
        "--no-download",
        action="store_true",
        help="Fail instead of downloading a missing MovieLens dataset.",
    )
    info.add_argument(
        "--json", action="store_true", help="Print the summary as JSON."
    )
    info.set_defaults(func=_data_info)


def _data_info(args):
    data = load(
        args.dataset,
        data_dir=args.data_dir,
        download=not args.no_download,
        min_interactions=args.min_interactions,
    )
    info = data.info()
    info["min_interactions"] = args.min_interactions
    info["first_date"] = _utc(info["first_timestamp"])
    info["last_date"] = _utc(info["last_timestamp"])
    if args.json:
        info["rating_histogram"] = {
            str(k): v for k, v in info["rating_histogram"].items()
        }
        print(json.dumps(info, indent=2))
        return 0
    print(_format_info(info))
    return 0


def _utc(seconds):
    if seconds is None:
        return None
    moment = datetime.datetime.fromtimestamp(seconds, tz=datetime.timezone.utc)
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _format_info(info):
    total = info["ratings"]
    lines = [
        f"dataset           {info['name']}",
        f"min interactions  {info['min_interactions']}",
        f"users             {info['users']:,}",
        f"items             {info['items']:,}",
        f"ratings           {total:,}",
        f"density           {info['density']:.4%}",
        f"time span (UTC)   {info['first_date']} .. {info['last_date']}",
        "rating histogram",
    ]
    width = max(len(f"{c:,}") for c in info["rating_histogram"].values())
    for value, count in info["rating_histogram"].items():
        lines.append(f"  {value!s:>5}  {count:>{width},}  {count / total:6.1%}")
    return "\n".join(lines)


# `train`: fit one zoo model on the protocol split, save it and its metrics.

#: Constructor arguments a command-line option may set.
HYPERPARAMETER_OPTIONS = ("alpha", "l2", "embedding_dim")


def _training():
    # Imported on use: it brings in TensorFlow and Keras.
    from rnr_keras import training

    return training


class _ModelNames:
    """The registry's model names, read only when argparse needs them;
    any `vanilla-<ranker>-<rater>` / `rnr-<ranker>-<rater>` is accepted."""

    def __iter__(self):
        from rnr_keras import registry

        return iter(registry.model_names())

    def __contains__(self, name):
        from rnr_keras import registry

        return registry.is_model_name(name)


def _add_train(commands):
    train = commands.add_parser(
        "train",
        help="Train a zoo model and save it with its metrics.",
        description="Splits the dataset with the paper's All-But-Last-One "
        "protocol, trains MODEL on the training part (validation Recall@10 "
        "after every epoch, early stopping on it, best weights restored), "
        "prints validation and test metrics, and writes DIR/model.keras and "
        "DIR/metrics.json. Both are replaced atomically, so an interrupted "
        "run never leaves a half-written file.",
    )
    train.add_argument(
        "model",
        metavar="MODEL",
        choices=_ModelNames(),
        help="One of: %(choices)s.",
    )
    train.add_argument(
        "--dataset",
        choices=DATASETS,
        default="synthetic",
        help=f"One of: {', '.join(DATASETS)} (default: %(default)s).",
    )
    train.add_argument(
        "--data-dir",
        metavar="DIR",
        help="Folder holding the dataset's files (default: "
        "$RNR_DATA_DIR/<dataset>, then the cache).",
    )
    train.add_argument(
        "--dataset-arg",
        metavar="KEY=VALUE",
        action="append",
        default=[],
        help="Keyword argument of `rnr_keras.datasets.load`, VALUE read as "
        "JSON when it parses, else as a string; repeatable. Only the "
        "synthetic dataset takes any, e.g. --dataset-arg num_users=150 "
        "--dataset-arg num_items=80 for a tiny run.",
    )
    train.add_argument(
        "--seed",
        type=int,
        default=0,
        help="Seed of the split, the initialisation, batching and negative "
        "sampling (default: %(default)s).",
    )
    train.add_argument(
        "--n-users",
        metavar="N",
        type=int,
        help="Users with a held-out row, half for validation, half for test "
        "(default: the paper's 5000 on ml-1m and 50000 on yelp, every user "
        "elsewhere; at most the number of users).",
    )
    train.add_argument(
        "--epochs",
        type=int,
        default=100,
        help="Most epochs; early stopping usually ends sooner (default: "
        "%(default)s).",
    )
    train.add_argument(
        "--patience",
        type=int,
        default=None,
        help="Epochs without a better validation Recall@10 before stopping "
        "%s." % "(default: the model's: 30 for pair-wise rankers, whose validation Recall@10 climbs slowly and noisily, 10 otherwise)",
    )
    train.add_argument(
        "--batch-size",
        metavar="N",
        type=int,
        help="Interactions per batch (users for CDAE models) (default: 1024 "
        "interactions, 64 users).",
    )
    train.add_argument(
        "--optimizer",
        choices=("default", "paper"),
        default="default",
        help="'default' (Adam, lr 0.005) or 'paper' (AdaGrad, lr 0.001) "
        "(default: %(default)s).",
    )
    train.add_argument(
        "--alpha",
        type=float,
        help="Ranking-loss weight of multi-task models, in [0, 1] (default: "
        "the model's, 0.95).",
    )
    train.add_argument(
        "--l2",
        type=float,
        help="Regularisation weight, the paper's lambda (default: the "
        "model's, 0.001).",
    )
    train.add_argument(
        "--embedding-dim",
        metavar="N",
        type=int,
        help="Width of the user and item embeddings (default: the model's, "
        "50).",
    )
    train.add_argument(
        "--out",
        metavar="DIR",
        help="Output folder (default: runs/<model>-<dataset>-seed<seed>).",
    )
    train.add_argument(
        "--save-preset",
        metavar="DIR",
        help="Also save the trained model as a zoo preset folder DIR "
        "(loadable with rnr_keras.zoo.load(DIR) and `rnr-keras recommend "
        "--preset DIR`; without its training data, which is rebuilt from "
        "the dataset on load). DIR must be new or empty; it is checked "
        "before training.",
    )
    train.add_argument(
        "--quiet",
        action="store_true",
        help="No progress bars; print only the results.",
    )
    train.set_defaults(func=_train)


def _train(args):
    _check_at_least("epochs", args.epochs, 1)
    if args.patience is not None:
        _check_at_least("patience", args.patience, 0)
    if args.batch_size is not None:
        _check_at_least("batch_size", args.batch_size, 1)
    dataset_args = _parse_dataset_args(args.dataset, args.dataset_arg)
    hyperparameters = {
        key: getattr(args, key)
        for key in HYPERPARAMETER_OPTIONS
        if getattr(args, key) is not None
    }
    out = args.out or os.path.join(
        "runs", f"{args.model}-{args.dataset}-seed{args.seed}"
    )
    if args.save_preset is not None:
        # Before training: a taken folder fails the run in seconds.
        try:
            check_preset_target(args.save_preset)
        except FileExistsError:
            raise FileExistsError(
                f"--save-preset {args.save_preset}: the folder exists and is "
                "not empty; choose a new folder or remove it"
            ) from None

    import keras

    from rnr_keras import protocol

    training = _training()
    data = load(args.dataset, data_dir=args.data_dir, **dataset_args)
    n_users = protocol.default_n_users(args.dataset, data.num_users, args.n_users)
    split = protocol.all_but_last_one(data, n_users=n_users, seed=args.seed)
    keras.utils.set_random_seed(args.seed)
    model = _build(training, args.model, split, hyperparameters)

    # Made before training, so that an unwritable folder fails early; a
    # folder made here is removed again when the run fails.
    made = not os.path.isdir(out)
    os.makedirs(out, exist_ok=True)
    try:
        record = _fit(args, training, model, split, dataset_args)
        _save(model, record, out)
        if args.save_preset is not None:
            path = save_preset_from_run(model, record, split, args.save_preset)
            print(f"Saved preset {path}")
    except BaseException:
        if made and not os.listdir(out):
            os.rmdir(out)
        raise
    return 0


def _fit(args, training, model, split, dataset_args):
    """Trains and evaluates `model`; returns the metrics.json record."""
    import keras
    import tensorflow as tf

    from rnr_keras import registry

    label = registry.label(args.model)
    print(
        f"Training {label} on {args.dataset} ({split.num_users:,} users, "
        f"{split.num_items:,} items): {len(split.train):,} training rows, "
        f"{len(split.val):,} validation, {len(split.test):,} test.",
        flush=True,
    )
    fit = training.fit_model(
        model,
        split,
        epochs=args.epochs,
        patience=args.patience,
        batch_size=args.batch_size,
        optimizer=args.optimizer,
        seed=args.seed,
        verbose=0 if args.quiet else 1,
    )
    metrics = training.evaluate_model(model, split)
    return {
        "model": args.model,
        "label": label,
        "val": metrics["val"],
        "test": metrics["test"],
        "train_seconds": fit["train_seconds"],
        "epochs": fit["epochs"],
        "best_epoch": fit["best_epoch"],
        "dataset": args.dataset,
        "dataset_args": dataset_args,
        "seed": args.seed,
        "n_users": split.params["n_users"],
        "protocol": split.params,
        "hyperparameters": training.model_hyperparameters(model),
        "training": {
            "max_epochs": args.epochs,
            "patience": args.patience
            if args.patience is not None
            else getattr(model, "default_patience", None),
            "batch_size": args.batch_size,
            "optimizer": args.optimizer,
        },
        "history": fit["history"],
        "versions": {
            "rnr_keras": rnr_keras.__version__,
            "keras": keras.__version__,
            "tensorflow": tf.__version__,
        },
    }


def _save(model, record, out):
    """Writes `out/model.keras` and `out/metrics.json`, each atomically."""
    model_path = os.path.join(out, "model.keras")
    metrics_path = os.path.join(out, "metrics.json")
    # The model first: metrics.json never describes a model not yet saved.
    write_atomically(model_path, model.save)
    write_atomically(metrics_path, lambda path: dump_json(record, path))
    print(_format_results(record))
    print(f"Saved {model_path} and {metrics_path}")


def _check_at_least(name, value, lowest):
    if value < lowest:
        raise ValueError(
            f"`{name}` must be at least {lowest}. Received: {name}={value}"
        )


def _parse_dataset_args(dataset, pairs):
    kwargs = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        key = key.strip()
        if not sep or not key.isidentifier():
            raise ValueError(
                "`--dataset-arg` must be KEY=VALUE. Received: "
                f"--dataset-arg {pair!r}"
            )
        try:
            kwargs[key] = json.loads(text)
        except json.JSONDecodeError:
            kwargs[key] = text
    if kwargs and dataset != "synthetic":
        raise ValueError(
            f"Dataset {dataset!r} takes no --dataset-arg; only synthetic "
            f"does. Received: {', '.join(pairs)}"
        )
    if kwargs:
        # Bad names reach `synthetic` as a TypeError; report them cleanly.
        from rnr_keras.datasets import synthetic

        known = [
            name
            for name in inspect.signature(synthetic).parameters
            if name != "return_traits"
        ]
        unknown = sorted(set(kwargs) - set(known))
        if unknown:
            raise ValueError(
                f"Unknown --dataset-arg {', '.join(unknown)} for synthetic. "
                f"Known: {', '.join(known)}"
            )
    return kwargs


def _build(training, name, split, hyperparameters):
    """`registry.build_model`, refusing options the model does not take."""
    from rnr_keras import registry

    accepted = set(registry.spec(name).constructor_arguments())
    for key, value in hyperparameters.items():
        if key not in accepted:
            raise ValueError(
                f"`{key}` does not apply to {name!r}. Received: "
                f"{key}={value!r}"
            )
    return registry.build_model(
        name, split.num_users, split.num_items, **hyperparameters
    )


def _format_results(record):
    val, test = record["val"], record["test"]
    keys = [key for key in val if key != "users"]
    width = max(len(key) for key in keys)
    lines = [
        f"{record['label']} on {record['dataset']}, seed {record['seed']}: "
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


# `reproduce`: the paper's Table 1, tuned on validation.


def _add_reproduce(commands):
    command = commands.add_parser(
        "reproduce",
        help="Reproduce the paper's Table 1 (the main job).",
        description="Runs the eight rows of the paper's Table 1 on the "
        "paper's protocol: for each seed and model, a keras-tuner grid "
        "search on the validation half (the paper's grid: alpha in {0.9, "
        "0.95, 1.0}, lambda in {0.01, 0.001}; early stopping on validation "
        "Recall@10), then one test of the chosen model. Prints a table "
        "(mean +- std over seeds) and paired tests of each multi-task row "
        "against its ranker, and writes results.json, results.csv, "
        "results.md and results.png to --out.",
    )
    command.add_argument(
        "--dataset",
        choices=DATASETS,
        default="synthetic",
        help="One of: %(choices)s (default: %(default)s, the embedded "
        "offline dataset).",
    )
    command.add_argument("--data-dir", metavar="DIR", help="Folder holding "
                         "the dataset's files.")
    command.add_argument(
        "--dataset-arg", metavar="KEY=VALUE", action="append", default=[],
        help="Keyword argument of the synthetic generator; repeatable.",
    )
    command.add_argument(
        "--n-users", metavar="N", type=int,
        help="Held-out users per split (default: the paper's n for the "
        "dataset, capped at the number of users).",
    )
    command.add_argument(
        "--seeds", metavar="S", type=int, nargs="+", default=[0],
        help="Seeds, one split each; the table gives mean +- std over them "
        "(default: 0, so the default run takes minutes; the README's "
        "tables use 0 1 2).",
    )
    command.add_argument(
        "--models", metavar="MODEL", nargs="+", choices=_ModelNames(),
        default=None,
        help="Rows to run: any model names (default: the paper's eight "
        "rows, then WRMF, RnR(WRMF,SVD), SVD++, RnR(BPR,SVD++) and EASE).",
    )
    command.add_argument(
        "--space", choices=("paper", "wide"), default="paper",
        help="Search space (default: %(default)s, the paper's grid).",
    )
    command.add_argument("--epochs", type=int, default=100,
                         help="Most epochs per trial (default: %(default)s).")
    command.add_argument("--patience", type=int, default=None,
                         help="Early-stopping patience %s." % "(default: the model's: 30 for pair-wise rankers, whose validation Recall@10 climbs slowly and noisily, 10 otherwise)")
    command.add_argument(
        "--quick", action="store_true",
        help="One seed, at most 15 epochs, patience 3: a first look.",
    )
    command.add_argument(
        "--out", metavar="DIR", default=None,
        help="Output folder (default: runs/reproduce-<dataset>).",
    )
    command.add_argument("--quiet", action="store_true",
                         help="Print only the final table.")
    command.set_defaults(func=_reproduce)


def _reproduce(args):
    from rnr_keras import reproduce

    seeds, epochs, patience = args.seeds, args.epochs, args.patience
    if args.quick:
        seeds = list(reproduce.QUICK["seeds"])
        epochs = min(epochs, reproduce.QUICK["epochs"])
        patience = min(patience or reproduce.QUICK["patience"], reproduce.QUICK["patience"])
    _check_at_least("epochs", epochs, 1)
    if patience is not None:
        _check_at_least("patience", patience, 0)
    out = args.out or os.path.join("runs", f"reproduce-{args.dataset}")
    results = reproduce.reproduce(
        dataset=args.dataset,
        n_users=args.n_users,
        seeds=seeds,
        out=out,
        models=args.models,
        space=args.space,
        epochs=epochs,
        patience=patience,
        data_dir=args.data_dir,
        dataset_args=_parse_dataset_args(args.dataset, args.dataset_arg),
        log=(lambda line: None) if args.quiet else (
            lambda line: print(line, flush=True)
        ),
        verbose=0 if args.quiet else 2,
    )
    print(reproduce.terminal_table(results))
    print(
        f"Wall time {results['wall_seconds']:.0f} s. Wrote results.json, "
        f"results.csv, results.md and results.png to {out}"
    )
    return 0


# Each entry adds one sub-command.
_COMMANDS = [
    _add_data,
    _add_train,
    add_tune_parser,
    _add_reproduce,
    add_recommend_parser,
]
