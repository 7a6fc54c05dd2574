"""The `rnr-keras` command line (also `python -m rnr_keras`).

One module per command, each with `add_parser(subparsers)`, which adds
the sub-command and sets `run` (taking the parsed arguments, returning an
exit status) as its `func`:

- `data`: `data info`, a dataset's size, density, ratings and time span;
- `train`: fit one zoo model on the protocol split, save it and its
  metrics;
- `tune`: search a model's hyperparameters with keras-tuner;
- `reproduce`: the paper's Table 1, tuned on validation;
- `recommend`: a zoo preset's top-k items for a user;
- `export`: a preset or a trained model as a TensorFlow SavedModel, for
  TensorFlow Serving.

The options they share come from `arguments`; the work is done by the
library (`rnr_keras.runs`, `training`, `tuning`, `reproduce`, `zoo`),
which never imports this package. Expected failures (missing data, bad
input) raise `OSError` or `ValueError`; `main` prints them as one line on
stderr and exits with status 2. TensorFlow and Keras are imported only
inside the commands that need them, so `--help` and `data info` start
fast.

Example:

    $ rnr-keras data info ml-100k --data-dir /data/ml-100k
    $ rnr-keras train rnr-cdae-svd --dataset ml-100k --out runs/rnr
    $ rnr-keras recommend --preset rnr-bpr-svd_ml-100k --user 196 -k 10
"""

import argparse
import sys

import rnr_keras
from rnr_keras.cli import data
from rnr_keras.cli import export
from rnr_keras.cli import recommend
from rnr_keras.cli import reproduce
from rnr_keras.cli import train
from rnr_keras.cli import tune

PROG = "rnr-keras"
ERROR_STATUS = 2

#: Commands that run without TensorFlow; every other one imports it
#: first, quietly (`rnr_keras.tensorflow_logs`).
NO_TENSORFLOW = ("data",)
#: Commands whose `--help` lists no model names, so it needs no Keras.
LIGHT_HELP = ("recommend", "export")

#: The command modules, in the order `--help` lists them.
COMMANDS = (data, train, tune, reproduce, recommend, export)


def build_parser():
    """The `rnr-keras` parser, one sub-command per module of `COMMANDS`."""
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
    for command in COMMANDS:
        command.add_parser(commands)
    return parser


def main(argv=None):
    """Runs the `rnr-keras` command line; returns the exit status.

    Args:
        argv: list of str or `None`. Arguments after the program name.
            Defaults to `None` (`sys.argv[1:]`).

    Example:

    >>> main(["data", "info", "synthetic", "--json"])  # doctest: +SKIP
    0
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    # Before parsing: checking a model name already imports Keras.
    command = next((arg for arg in argv if not arg.startswith("-")), None)
    asks_help = "-h" in argv or "--help" in argv
    if command is not None and command not in NO_TENSORFLOW and not (
        asks_help and command in LIGHT_HELP
    ):
        from rnr_keras.tensorflow_logs import import_tensorflow_quietly

        import_tensorflow_quietly()
    args = build_parser().parse_args(argv)
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
