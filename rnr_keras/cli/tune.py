"""`rnr-keras tune`: search a zoo model's hyperparameters, keep the best.

The split comes from `rnr_keras.runs.make_split`, the search from
`rnr_keras.tuning.tune`, the record from `runs.run_record` (with the
search's trials beside it).

Example:

    $ rnr-keras tune rnr-bpr-svd --dataset ml-100k
    $ rnr-keras tune cdae --dataset ml-1m --tuner random --space wide \\
        --max-trials 20 --dir runs/cdae-wide
"""

import logging
import os

from rnr_keras.cli import arguments
from rnr_keras.cli import output

#: The log of the search, in DIR.
LOG_FILE = "tune.log"
#: Where each trial is logged (level INFO).
LOGGER = logging.getLogger("rnr_keras.tuning")

#: Search strategies (keys of `rnr_keras.tuning.TUNERS`), listed here so
#: that building the parser imports no keras-tuner.
TUNER_NAMES = ("grid", "random", "bayesian", "hyperband")
#: Search spaces (`rnr_keras.registry.SPACES`).
SPACE_NAMES = ("paper", "wide")


def add_parser(subparsers):
    """Adds `tune` to `subparsers`; returns its parser."""
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
    arguments.add_model(tune)
    arguments.add_split(
        tune,
        what="the split, the initialisation, batching, negative sampling "
        "and the search",
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
    arguments.add_training(
        tune,
        epochs_help="Most epochs per trial and for the final training",
        patience_help="Epochs without a better validation Recall@10 before "
        "a trial stops",
    )
    tune.add_argument(
        "--optimizer",
        choices=("default", "paper"),
        default="default",
        help="Optimiser preset: 'default' (Adam at the model's default "
        "rate) or 'paper' (AdaGrad); the wide space tunes its learning "
        "rate (default: %(default)s).",
    )
    arguments.add_quiet(tune, "No progress bar; print only the results.")
    output.add_verbose(tune)
    tune.set_defaults(func=run)
    return tune


def run(args):
    """Runs `rnr-keras tune` on parsed arguments; returns the exit status."""
    arguments.check_training(args)
    if args.max_trials is not None:
        arguments.check_at_least("max_trials", args.max_trials, 1)
    if args.tuner == "hyperband" and args.max_trials is not None:
        raise ValueError(
            "--max-trials does not apply to hyperband, which sets its trials "
            "from --epochs"
        )
    source = arguments.data_source(args)
    out = args.dir or os.path.join(
        "runs", f"tune-{args.model}-{arguments.data_name(args)}-seed{args.seed}"
    )
    # Imported on use: they bring in keras-tuner, TensorFlow and Keras.
    from rnr_keras import registry
    from rnr_keras import runs
    from rnr_keras import tuning

    _, split = runs.make_split(
        **source,
        data_dir=args.data_dir,
        n_users=args.n_users,
        seed=args.seed,
    )
    os.makedirs(out, exist_ok=True)
    label = registry.label(args.model)
    planned = tuning.planned_trials(
        args.model, split, args.tuner, args.max_trials, args.space
    )
    with output.job_output(
        out, LOG_FILE, quiet=args.quiet, verbose=args.verbose
    ) as (say, progress):
        say(
            f"Tuning {label} on {source['dataset'] or source['data_file']} "
            f"({split.num_users:,} users, "
            f"{split.num_items:,} items): {args.tuner} search over the "
            f"{args.space} space in {out}"
        )
        bar = None if progress is None else progress(planned)

        def on_trial(trial):
            score = trial["val_recall_at_10"]
            LOGGER.info(
                f"{label} trial {trial['trial_id']}"
                + (" (done earlier)" if trial["resumed"] else "")
                + ": val Recall@10 "
                + ("n/a" if score is None else f"{score:.4f}")
                + f", {trial['hyperparameters']}"
            )
            if bar is not None:
                bar.advance(score=score, label=label)

        results, model = _search(args, split, out, on_trial)
    _report(args, split, results, model, source, out)
    return 0


def _search(args, split, out, on_trial):
    from rnr_keras import tuning

    return tuning.tune(
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
        verbose=0,
        overwrite=args.overwrite,
        project_name=f"search-{args.tuner}-{args.space}",
        return_model=True,
        on_trial=on_trial,
    )


def _report(args, split, results, model, source, out):
    """Saves the run and prints the trials and the results (`source`:
    `arguments.data_source(args)`)."""
    from rnr_keras import runs

    # The search's own keys (tuner, space, trials, best_hyperparameters...)
    # beside those every run records.
    record = {
        **results,
        **runs.run_record(
            args.model,
            model,
            split,
            results,
            **source,
            seed=args.seed,
            epochs=args.epochs,
            patience=args.patience,
            batch_size=args.batch_size,
            optimizer=args.optimizer,
            extra_versions=("keras_tuner",),
        ),
    }
    model_path, results_path = runs.save_run(
        model, record, out, record_file="results.json"
    )
    print(format_trials(record))
    print(runs.format_results(record))
    print(f"Saved {model_path}, {results_path} and {os.path.join(out, LOG_FILE)}")


def format_trials(record):
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
