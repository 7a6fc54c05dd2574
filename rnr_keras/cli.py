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
"""

import argparse
import datetime
import json
import sys

import rnr_keras
from rnr_keras.datasets import DATASETS
from rnr_keras.datasets import load

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


# Each entry adds one sub-command; later commands (train, tune, reproduce,
# recommend) append their own `_add_<name>` here.
_COMMANDS = [_add_data]
