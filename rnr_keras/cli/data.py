"""`rnr-keras data info`: a dataset's size, density, ratings, time span.

Runs without TensorFlow: it only reads the data.

Example:

    $ rnr-keras data info ml-100k --data-dir /data/ml-100k
    $ rnr-keras data info synthetic --json
"""

import datetime
import json

from rnr_keras.cli import arguments


def add_parser(subparsers):
    """Adds `data` (with its action `info`) to `subparsers`; returns the
    `data` parser."""
    data = subparsers.add_parser("data", help="Inspect datasets.")
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
    arguments.add_dataset(info, positional=True)
    arguments.add_data_dir(info)
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
    info.set_defaults(func=run_info)
    return data


def run_info(args):
    """Runs `rnr-keras data info` on parsed arguments; returns 0."""
    from rnr_keras.datasets import load

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
    print(format_info(info))
    return 0


def _utc(seconds):
    if seconds is None:
        return None
    moment = datetime.datetime.fromtimestamp(seconds, tz=datetime.timezone.utc)
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def format_info(info):
    """The text `data info` prints for a `data.info()` summary (with
    `min_interactions`, `first_date` and `last_date` added)."""
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
