"""`rnr-keras reproduce`: the paper's Table 1, tuned on validation.

A thin front end over `rnr_keras.reproduce.reproduce`, which does the
work and writes the result files.

Example:

    $ rnr-keras reproduce --dataset ml-100k --seeds 0 1 2
    $ rnr-keras reproduce --quick --models popularity svd
"""

import os

from rnr_keras.cli import arguments
from rnr_keras.cli import output

#: The log of the whole run, in --out.
LOG_FILE = "reproduce.log"


def add_parser(subparsers):
    """Adds `reproduce` to `subparsers`; returns its parser."""
    command = subparsers.add_parser(
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
    arguments.add_split(command, seed=False)
    command.add_argument(
        "--seeds", metavar="S", type=int, nargs="+", default=[0],
        help="Seeds, one split each; the table gives mean +- std over them "
        "(default: 0, so the default run takes minutes; the README's "
        "tables use 0 1 2).",
    )
    command.add_argument(
        "--models", metavar="MODEL", nargs="+", choices=arguments.ModelNames(),
        default=None,
        help="Rows to run: any model names (default: the paper's eight "
        "rows, then WRMF, RnR(WRMF,SVD), SVD++, RnR(BPR,SVD++), EASE, "
        "Transition, SASRec, Vanilla(SASRec,SVD) and RnR(SASRec,SVD)).",
    )
    command.add_argument(
        "--space", choices=("paper", "wide"), default="paper",
        help="Search space (default: %(default)s, the paper's grid).",
    )
    arguments.add_training(
        command,
        epochs_help="Most epochs per trial",
        patience_help="Early-stopping patience",
        batch_size=False,
    )
    command.add_argument(
        "--quick", action="store_true",
        help="One seed, at most 15 epochs, patience 3: a first look.",
    )
    command.add_argument(
        "--out", metavar="DIR", default=None,
        help="Output folder (default: runs/reproduce-<dataset>).",
    )
    arguments.add_quiet(command, "Print only the final table.")
    output.add_verbose(command)
    command.set_defaults(func=run)
    return command


def run(args):
    """Runs `rnr-keras reproduce` on parsed arguments; returns 0."""
    from rnr_keras import reproduce

    seeds, epochs, patience = args.seeds, args.epochs, args.patience
    if args.quick:
        seeds = list(reproduce.QUICK["seeds"])
        epochs = min(epochs, reproduce.QUICK["epochs"])
        patience = min(
            patience or reproduce.QUICK["patience"], reproduce.QUICK["patience"]
        )
    arguments.check_at_least("epochs", epochs, 1)
    if patience is not None:
        arguments.check_at_least("patience", patience, 0)
    out = args.out or os.path.join("runs", f"reproduce-{arguments.data_name(args)}")
    options = dict(
        **arguments.data_source(args),
        n_users=args.n_users,
        seeds=seeds,
        out=out,
        models=args.models,
        space=args.space,
        epochs=epochs,
        patience=patience,
        data_dir=args.data_dir,
    )
    with output.job_output(
        out, LOG_FILE, quiet=args.quiet, verbose=args.verbose
    ) as (say, progress):
        results = reproduce.reproduce(
            **options, log=say, verbose=0, progress=progress
        )
    print(reproduce.terminal_table(results))
    print(
        f"Wall time {results['wall_seconds']:.0f} s. Wrote results.json, "
        f"results.csv, results.md, results.png and {LOG_FILE} to {out}"
    )
    return 0
