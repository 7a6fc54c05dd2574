"""`rnr-keras data info`: a dataset's size, density, ratings, time span
and how often a user's interactions tie in time.

Runs without TensorFlow: it only reads the data.

Example:

    $ rnr-keras data info ml-100k --data-dir /data/ml-100k
    $ rnr-keras data info synthetic --json
    $ rnr-keras data info ml-100k --plot ml-100k.png
    $ rnr-keras data info --data-file ratings.csv --columns user=userId,item=movieId
"""

import datetime
import json
import os
import sys

from rnr_keras.cli import arguments

#: The time resolutions whose ties `data info` reports.
RESOLUTIONS = ("second", "day")


def add_parser(subparsers):
    """Adds `data` (with its action `info`) to `subparsers`; returns the
    `data` parser."""
    data = subparsers.add_parser("data", help="Inspect datasets.")
    actions = data.add_subparsers(
        dest="action", metavar="ACTION", required=True
    )
    info = actions.add_parser(
        "info",
        help="Print a dataset's size, density, ratings, time span and "
        "timestamp ties.",
        description="Loads a dataset as `rnr_keras.datasets.load` does (or "
        "reads --data-file as `rnr_keras.datasets.read_file` does) and "
        "prints users, items, ratings, density, the rating histogram, the "
        "time span (UTC) and, per second and per UTC day, how often a "
        "user's interactions share a timestamp: the share of users (with "
        "2+ interactions) whose last two do, i.e. whose held-out row is "
        "picked among ties; the share of their interactions in a tie; the "
        "median over them of interactions per distinct timestamp.",
    )
    # One of them is needed: DATASET may be left out for --data-file.
    source = info.add_mutually_exclusive_group(required=True)
    arguments.add_dataset(source, positional=True, optional=True)
    arguments.add_data_file(info, group=source)
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
    info.add_argument(
        "--plot",
        metavar="FILE.png",
        help="Also write a PNG: the histogram of interactions per user and "
        "the item popularity curve (imports matplotlib, not TensorFlow).",
    )
    info.set_defaults(func=run_info)
    return data


def run_info(args):
    """Runs `rnr-keras data info` on parsed arguments; returns 0."""
    from rnr_keras.datasets import load
    from rnr_keras.datasets import order_statistics
    from rnr_keras.datasets import read_file

    if args.data_file is not None:
        if args.data_dir is not None:
            raise ValueError(
                "--data-dir is the folder of a named dataset; it does not "
                f"apply to --data-file. Received: --data-dir {args.data_dir}"
            )
        columns = arguments.data_source(args)["columns"]
        data = read_file(
            args.data_file,
            columns=columns,
            min_interactions=args.min_interactions,
        )
    else:
        arguments.data_source(args)  # --columns without --data-file fails
        data = load(
            args.dataset,
            data_dir=args.data_dir,
            download=not args.no_download,
            min_interactions=args.min_interactions,
        )
    if args.plot is not None:
        _plot(data, args.plot)
    info = data.info()
    info["min_interactions"] = args.min_interactions
    info["first_date"] = _utc(info["first_timestamp"])
    info["last_date"] = _utc(info["last_timestamp"])
    info["order"] = order_statistics(data, RESOLUTIONS)
    if args.json:
        info["rating_histogram"] = {
            str(k): v for k, v in info["rating_histogram"].items()
        }
        print(json.dumps(info, indent=2))
        return 0
    print(format_info(info))
    return 0


def _plot(data, path):
    """Writes `data`'s figure (`rnr_keras.plots.data_figure`) to `path`."""
    from rnr_keras import plots
    from rnr_keras.io_utils import write_text

    if not path.lower().endswith(".png"):
        raise ValueError(f"--plot writes a PNG file. Received: --plot {path}")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(
            f"--plot {path}: the folder {folder} does not exist"
        )
    write_text(path, plots.data_figure(data), binary=True)
    print(f"Wrote {path}", file=sys.stderr)


def _utc(seconds):
    if seconds is None:
        return None
    moment = datetime.datetime.fromtimestamp(seconds, tz=datetime.timezone.utc)
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def format_info(info):
    """The text `data info` prints for a `data.info()` summary (with
    `min_interactions`, `first_date`, `last_date` and, optionally, `order`
    from `rnr_keras.datasets.order_statistics` added)."""
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
    if "order" in info:
        lines += format_order(info["order"])
    return "\n".join(lines)


def format_order(order):
    """The lines of an `order_statistics` summary: one per resolution."""
    lines = [
        f"timestamp ties    (users with 2+ interactions: {order['users']:,})",
        "  unit    last two tied  rows tied  median per time",
    ]
    for resolution, stats in order.items():
        if resolution == "users":
            continue
        if stats is None:
            lines.append(f"  {resolution:<6}  -")
            continue
        lines.append(
            f"  {resolution:<6}  {stats['last_two_tied']:13.1%}  "
            f"{stats['tied_rows']:9.1%}  {stats['median_per_time']:15.2f}"
        )
    return lines
