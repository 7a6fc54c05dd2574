"""Argument helpers every `rnr-keras` command shares.

Each option that several commands take is added here, once: the dataset
and where its files are (`add_dataset`, `add_data_dir`,
`add_dataset_arg`), the split (`add_n_users`, `add_seed`; `add_split`
adds all five), the model name (`add_model`, whose choices are read from
`rnr_keras.registry` only when argparse needs them) and the training
budget (`add_training`). `parse_dataset_args` and `check_at_least` check
values argparse cannot.

Nothing here imports TensorFlow or Keras.
"""

import inspect
import json

from rnr_keras.datasets import DATASETS

#: What `--patience` defaults to, for the help texts.
DEFAULT_PATIENCE = (
    "the model's: 30 for BPR and its multi-task models, whose validation "
    "Recall@10 climbs slowly and noisily, 10 otherwise"
)

#: What `--batch-size` defaults to, for the help texts.
DEFAULT_BATCH_SIZE = "1024 interactions, 64 users"


class ModelNames:
    """The registry's model names, read only when argparse needs them;
    any `vanilla-<ranker>-<rater>` / `rnr-<ranker>-<rater>` is accepted.

    Example:

    >>> "rnr-bpr-svd" in ModelNames(), "als" in ModelNames()
    (True, False)
    """

    def __iter__(self):
        from rnr_keras import registry

        return iter(registry.model_names())

    def __contains__(self, name):
        from rnr_keras import registry

        return registry.is_model_name(name)


def add_model(parser):
    """Adds the positional MODEL: a registered or composed model name."""
    parser.add_argument(
        "model",
        metavar="MODEL",
        choices=ModelNames(),
        help="One of: %(choices)s.",
    )


def add_dataset(parser, positional=False, default="synthetic"):
    """Adds `--dataset` (or, with `positional`, DATASET)."""
    if positional:
        parser.add_argument(
            "dataset",
            metavar="DATASET",
            choices=DATASETS,
            help=f"One of: {', '.join(DATASETS)}.",
        )
        return
    parser.add_argument(
        "--dataset",
        choices=DATASETS,
        default=default,
        help=f"One of: {', '.join(DATASETS)} (default: %(default)s"
        + (", the embedded offline dataset" if default == "synthetic" else "")
        + ").",
    )


def add_data_dir(parser, what="the dataset's files"):
    """Adds `--data-dir DIR`, the folder holding `what`."""
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        help=f"Folder holding {what} (default: $RNR_DATA_DIR/<dataset>, "
        "then the cache).",
    )


def add_dataset_arg(parser):
    """Adds the repeatable `--dataset-arg KEY=VALUE` (see
    `parse_dataset_args`)."""
    parser.add_argument(
        "--dataset-arg",
        metavar="KEY=VALUE",
        action="append",
        default=[],
        help="Keyword argument of `rnr_keras.datasets.load`, VALUE read as "
        "JSON when it parses, else as a string; repeatable. Every dataset "
        "takes time_resolution (second, hour, day or week: e.g. "
        "--dataset-arg time_resolution=day floors timestamps to UTC days "
        "and shuffles the ties, so a user's ratings of one day have no "
        "order left); synthetic also takes its generator's arguments, e.g. "
        "--dataset-arg num_users=150 --dataset-arg num_items=80 for a tiny "
        "run.",
    )


def add_n_users(parser):
    """Adds `--n-users N`, the users with a held-out row."""
    parser.add_argument(
        "--n-users",
        metavar="N",
        type=int,
        help="Users with a held-out row, half for validation, half for test "
        "(default: the paper's 5000 on ml-1m and 50000 on yelp, every user "
        "elsewhere; at most the number of users).",
    )


def add_seed(parser, what="the split, the initialisation, batching and "
             "negative sampling"):
    """Adds `--seed`, the seed of `what`."""
    parser.add_argument(
        "--seed",
        type=int,
        default=0,
        help=f"Seed of {what} (default: %(default)s).",
    )


def add_split(parser, seed=True, **seed_kwargs):
    """Adds what `rnr_keras.runs.make_split` takes: `--dataset`,
    `--data-dir`, `--dataset-arg`, `--n-users` and, with `seed`, `--seed`
    (`seed_kwargs` go to `add_seed`)."""
    add_dataset(parser)
    add_data_dir(parser)
    add_dataset_arg(parser)
    add_n_users(parser)
    if seed:
        add_seed(parser, **seed_kwargs)


def add_training(parser, epochs_help, patience_help, batch_size=True):
    """Adds `--epochs` (default 100), `--patience` (default: the model's)
    and, with `batch_size`, `--batch-size`.

    Args:
        parser: the command's parser.
        epochs_help: str. What `--epochs` bounds, as a sentence.
        patience_help: str. What `--patience` counts, up to the default.
        batch_size: bool. Also add `--batch-size`. Defaults to `True`.
    """
    parser.add_argument(
        "--epochs",
        type=int,
        default=100,
        help=f"{epochs_help} (default: %(default)s).",
    )
    parser.add_argument(
        "--patience",
        type=int,
        default=None,
        help=f"{patience_help} (default: {DEFAULT_PATIENCE}).",
    )
    if batch_size:
        parser.add_argument(
            "--batch-size",
            metavar="N",
            type=int,
            help="Interactions per batch (users for CDAE models) (default: "
            f"{DEFAULT_BATCH_SIZE}).",
        )


def add_quiet(parser, help="No progress bars; print only the results."):
    """Adds `--quiet`."""
    parser.add_argument("--quiet", action="store_true", help=help)


def check_at_least(name, value, lowest):
    """Raises `ValueError` naming `name` when `value < lowest`.

    Example:

    >>> check_at_least("epochs", 0, 1)
    Traceback (most recent call last):
    ...
    ValueError: `epochs` must be at least 1. Received: epochs=0
    """
    if value < lowest:
        raise ValueError(
            f"`{name}` must be at least {lowest}. Received: {name}={value}"
        )


def check_training(args):
    """Checks `--epochs` (>= 1), `--patience` (>= 0) and `--batch-size`
    (>= 1) where the command has them and they are set."""
    check_at_least("epochs", args.epochs, 1)
    if getattr(args, "patience", None) is not None:
        check_at_least("patience", args.patience, 0)
    if getattr(args, "batch_size", None) is not None:
        check_at_least("batch_size", args.batch_size, 1)


#: `--dataset-arg` keywords every dataset takes (`datasets.load`'s own);
#: synthetic takes its generator's arguments too.
COMMON_DATASET_ARGS = ("time_resolution",)


def parse_dataset_args(dataset, pairs):
    """The `--dataset-arg KEY=VALUE` pairs as `datasets.load` keywords.

    VALUE is read as JSON when it parses, else kept as a string. Every
    dataset takes `COMMON_DATASET_ARGS` (`time_resolution`); synthetic also
    takes the arguments of `datasets.synthetic`.

    Args:
        dataset: str. The dataset they are for.
        pairs: list of str. The `KEY=VALUE` texts.

    Raises:
        ValueError: a pair that is not KEY=VALUE, or a name `dataset` does
            not take (the message lists the ones it takes).

    Example:

    >>> parse_dataset_args("synthetic", ["num_users=150", "seed=3"])
    {'num_users': 150, 'seed': 3}
    >>> parse_dataset_args("ml-100k", ["time_resolution=day"])
    {'time_resolution': 'day'}
    """
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
    known = list(COMMON_DATASET_ARGS)
    if dataset == "synthetic" and set(kwargs) - set(known):
        # Bad names reach `synthetic` as a TypeError; report them cleanly.
        from rnr_keras.datasets import synthetic

        known += [
            name
            for name in inspect.signature(synthetic).parameters
            if name != "return_traits"
        ]
    unknown = sorted(set(kwargs) - set(known))
    if unknown:
        only = "" if dataset == "synthetic" else " (only synthetic takes others)"
        raise ValueError(
            f"Unknown --dataset-arg {', '.join(unknown)} for {dataset}. "
            f"Known: {', '.join(known)}{only}"
        )
    return kwargs
