"""Argument helpers every `rnr-keras` command shares.

Each option that several commands take is added here, once: the dataset
and where its files are (`add_dataset`, `add_data_dir`,
`add_dataset_arg`), or your own data file instead (`add_data_file`), the
split (`add_n_users`, `add_seed`; `add_split` adds them all), the model
name (`add_model`, whose choices are read from `rnr_keras.registry` only
when argparse needs them) and the training budget (`add_training`).
`parse_dataset_args`, `parse_columns` and `check_at_least` check values
argparse cannot; `data_source` gives the parsed data options as
`rnr_keras.runs.make_split` takes them.

Nothing here imports TensorFlow or Keras.
"""

import inspect
import json
import os

from rnr_keras.datasets import DATASETS

#: What `--patience` defaults to, for the help texts.
DEFAULT_PATIENCE = (
    "the model's: 30 for BPR and its multi-task models, whose validation "
    "Recall@10 climbs slowly and noisily, 10 otherwise; at most 5 on "
    "Yelp-sized tables (100,000 users + items or more)"
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


def add_dataset(parser, positional=False, default="synthetic", optional=False):
    """Adds `--dataset` (or, with `positional`, DATASET; with `optional`
    too, a DATASET that may be left out, `None` then)."""
    if positional:
        parser.add_argument(
            "dataset",
            metavar="DATASET",
            choices=DATASETS,
            nargs="?" if optional else None,
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


def add_data_file(parser, group=None):
    """Adds `--data-file PATH` (to `group` when given, e.g. a mutually
    exclusive group with the dataset) and `--columns ROLE=COLUMN,...`."""
    (parser if group is None else group).add_argument(
        "--data-file",
        metavar="PATH",
        help="Your own interactions instead of a dataset: a CSV (.csv), TSV "
        "(.tsv, .tab), either compressed (.gz, .bz2, .xz, .zip), or Parquet "
        "(.parquet, .pq) file with a header, one row per interaction (see "
        "rnr_keras.datasets.read_file). Columns user and item are required; "
        "without a rating column every rating is 1, without a timestamp "
        "column the row order is the time order.",
    )
    parser.add_argument(
        "--columns",
        metavar="ROLE=COLUMN,...",
        help="With --data-file: the file's column of each role (user, item, "
        "rating, timestamp), e.g. user=userId,item=movieId; a role left out "
        "reads the column of its own name, if any; rating= (empty) reads no "
        "rating.",
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
        "run. A --data-file takes those of `rnr_keras.datasets.read_file`: "
        "time_resolution, min_interactions (default 4) and rating_scale "
        "(e.g. rating_scale=[1,5]).",
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
    """Adds what `rnr_keras.runs.make_split` takes: `--dataset` or
    `--data-file` (with `--columns`), `--data-dir`, `--dataset-arg`,
    `--n-users` and, with `seed`, `--seed` (`seed_kwargs` go to
    `add_seed`). Read them with `data_source`."""
    source = parser.add_mutually_exclusive_group()
    add_dataset(source)
    add_data_file(parser, group=source)
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

#: `--dataset-arg` keywords a `--data-file` takes (`datasets.read_file`'s).
DATA_FILE_ARGS = ("time_resolution", "min_interactions", "rating_scale")


def parse_dataset_args(dataset, pairs):
    """The `--dataset-arg KEY=VALUE` pairs as `datasets.load` keywords.

    VALUE is read as JSON when it parses, else kept as a string. Every
    dataset takes `COMMON_DATASET_ARGS` (`time_resolution`); synthetic also
    takes the arguments of `datasets.synthetic`.

    Args:
        dataset: str or `None`. The dataset they are for; `None` for a
            `--data-file`, which takes `DATA_FILE_ARGS`.
        pairs: list of str. The `KEY=VALUE` texts.

    Raises:
        ValueError: a pair that is not KEY=VALUE, or a name `dataset` does
            not take (the message lists the ones it takes).

    Example:

    >>> parse_dataset_args("synthetic", ["num_users=150", "seed=3"])
    {'num_users': 150, 'seed': 3}
    >>> parse_dataset_args("ml-100k", ["time_resolution=day"])
    {'time_resolution': 'day'}
    >>> parse_dataset_args(None, ["rating_scale=[1,5]"])
    {'rating_scale': [1, 5]}
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
    if dataset is None:
        unknown = sorted(set(kwargs) - set(DATA_FILE_ARGS))
        if unknown:
            raise ValueError(
                f"Unknown --dataset-arg {', '.join(unknown)} for --data-file. "
                f"Known: {', '.join(DATA_FILE_ARGS)}"
            )
        return kwargs
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


def parse_columns(text):
    """The `--columns ROLE=COLUMN,...` text as `datasets.read_file`'s
    `columns`; an empty COLUMN is `None` (the role is not read).

    Roles are checked by `read_file`, which lists them; column names
    cannot hold commas or `=` here (use `read_file` from Python for those).

    Raises:
        ValueError: a pair that is not ROLE=COLUMN, or a role given twice.

    Example:

    >>> parse_columns("user=userId,item=movieId,rating=")
    {'user': 'userId', 'item': 'movieId', 'rating': None}
    """
    columns = {}
    for pair in text.split(","):
        role, sep, column = pair.partition("=")
        role, column = role.strip(), column.strip()
        if not sep or not role or "=" in column:
            raise ValueError(
                "`--columns` must be ROLE=COLUMN pairs separated by commas, "
                f"e.g. user=userId,item=movieId. Received: --columns {text!r}"
            )
        if role in columns:
            raise ValueError(
                f"`--columns` gives {role} twice. Received: --columns {text!r}"
            )
        columns[role] = column or None
    return columns


def data_source(args):
    """Where a command's data comes from, as keywords of
    `rnr_keras.runs.make_split` (and of `runs.run_record`): `dataset` and
    `dataset_args`, plus `data_file` and `columns` for a `--data-file`
    (`dataset` is `None` then).

    Raises:
        ValueError: `--columns` without `--data-file`, or a bad
            `--dataset-arg` or `--columns`.

    Example:

    >>> import argparse
    >>> args = argparse.Namespace(dataset="synthetic", data_file="r.csv",
    ...                           columns="user=userId", dataset_arg=[])
    >>> data_source(args)
    {'dataset': None, 'dataset_args': {}, 'data_file': 'r.csv', 'columns': {'user': 'userId'}}
    """
    pairs = getattr(args, "dataset_arg", None) or []
    if getattr(args, "data_file", None) is None:
        if getattr(args, "columns", None) is not None:
            raise ValueError(
                "--columns names the columns of a --data-file; give one. "
                f"Received: --columns {args.columns!r}"
            )
        return {
            "dataset": args.dataset,
            "dataset_args": parse_dataset_args(args.dataset, pairs),
        }
    return {
        "dataset": None,
        "dataset_args": parse_dataset_args(None, pairs),
        "data_file": args.data_file,
        "columns": None if args.columns is None else parse_columns(args.columns),
    }


def data_name(args):
    """The dataset's name, or the data file's without folder and endings
    (`ratings` for `data/ratings.csv.gz`), for default output folders.

    Example:

    >>> import argparse
    >>> data_name(argparse.Namespace(dataset="synthetic",
    ...                              data_file="data/ratings.csv.gz"))
    'ratings'
    """
    if getattr(args, "data_file", None) is None:
        return args.dataset
    return os.path.basename(os.fspath(args.data_file)).split(".")[0] or "data"
