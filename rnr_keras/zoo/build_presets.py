"""Builds the zoo's presets: every model, tuned on validation, saved.

For each model of `rnr_keras.zoo.build_presets.PRESET_MODELS`, on the All-But-Last-One
split of the dataset (every user holds out one row unless `--n-users`
says otherwise):

1. grid-searches the paper's hyperparameters with keras-tuner through
   `rnr_keras.tuning.tune` (space "paper": `alpha` in {0.9, 0.95, 1.0} for
   the multi-task models, `l2` in {0.01, 0.001} for every trained model,
   `embedding_dim` 50; Popularity has none), each trial scored by its best
   epoch's validation Recall@10; the test part plays no part in the
   choice;
2. takes the best trial's model (`tune` reloads its best-epoch
   checkpoint, or retrains the best hyperparameters from scratch with
   `training.fit_model` when there is none) and measures it with
   `training.evaluate_model`;
3. saves it as the preset `<model>_<dataset>` with
   `rnr_keras.zoo.save_preset_from_run` (its record made by
   `rnr_keras.runs.run_record`), recording every trial under
   `"selection"`;
4. loads the saved preset back (its training history, which presets do
   not ship, rebuilt from the split) and checks that it reproduces the
   recorded test metrics.

Example:

    $ python -m rnr_keras.zoo.build_presets --dataset ml-100k --seed 0
    $ python -m rnr_keras.zoo.build_presets --models popularity bpr \\
          --epochs 3 --out /tmp/presets
"""

import argparse
import os
import shutil
import sys
import time

#: The models the zoo ships a preset of per dataset.
PRESET_MODELS = (
    "popularity",
    "svd",
    "bpr",
    "cdae",
    "vanilla-bpr-svd",
    "vanilla-cdae-svd",
    "rnr-bpr-svd",
    "rnr-cdae-svd",
    "sasrec",
    "rnr-sasrec-svd",
)

def build_preset(
    name,
    split,
    out,
    *,
    dataset,
    dataset_args=None,
    seed=0,
    epochs=100,
    patience=None,
    batch_size=None,
    optimizer="default",
    space="paper",
    overwrite=False,
    verbose=0,
    log=print,
):
    """Tunes, trains, measures and saves model `name` as a preset.

    Args:
        name: str. A registered or composed model name.
        split: `Split`. The protocol split (its `params` are recorded).
        out: str. Folder receiving the preset folder `<name>_<dataset>`.
        dataset: str. The dataset's name, as `datasets.load` takes it.
        dataset_args: dict or `None`. Extra `datasets.load` arguments
            (synthetic only), recorded so the split can be re-created.
            Defaults to `None`.
        seed: int. Seed of initialisation, batching, sampling and search.
            Defaults to 0.
        epochs, patience, batch_size, optimizer: see `training.fit_model`.
        space: str. `rnr_keras.tuning` search space, "paper" or "wide".
            Defaults to "paper".
        overwrite: bool. Whether to replace an existing preset folder.
            Defaults to `False`.
        verbose: int. Keras and keras-tuner verbosity. Defaults to 0.
        log: callable taking a line. Defaults to `print`.

    Returns:
        str. The preset folder's path.
    """
    from rnr_keras import runs
    from rnr_keras import tuning
    from rnr_keras.zoo import preset_utils
    from rnr_keras.zoo.preset_from_run import save_preset_from_run

    preset = f"{name}_{dataset}"
    path = os.path.join(out, preset)
    # Before the search, not after: fail in seconds, not hours.
    preset_utils.check_target(path, overwrite)
    results, model = tuning.tune(
        name,
        split,
        tuner="grid",
        space=space,
        epochs=epochs,
        patience=patience,
        batch_size=batch_size,
        optimizer=optimizer,
        seed=seed,
        verbose=verbose,
        return_model=True,
    )
    label = results["label"]
    for trial in results["trials"]:
        score = trial.get("val_recall_at_10")
        log(
            f"{label} trial {trial['trial_id']} "
            f"{trial['hyperparameters'] or '(no hyperparameters)'}: val "
            f"recall@10 {'-' if score is None else f'{score:.4f}'}"
        )
    record = runs.run_record(
        name,
        model,
        split,
        results,
        dataset=dataset,
        dataset_args=dataset_args,
        seed=seed,
        epochs=epochs,
        patience=patience,
        batch_size=batch_size,
        optimizer=optimizer,
    )
    record["selection"] = {
        "method": "rnr_keras.tuning.tune (keras-tuner grid search on "
        "validation Recall@10); the best trial's model measured once "
        "on test",
        "space": space,
        "objective": results.get("objective"),
        "chosen": results["best_hyperparameters"],
        "best_trial": results.get("best_trial"),
        "trials": results["trials"],
        "search_seconds": results.get("search_seconds"),
    }
    saved = save_preset_from_run(
        model, record, split, path, name=preset, overwrite=overwrite
    )
    try:
        _check_reproduces(saved, split, results["test"])
    except BaseException:
        # A preset that does not reproduce its own record must not ship.
        shutil.rmtree(saved, ignore_errors=True)
        raise
    test = results["test"]
    log(
        f"Saved {saved}: {label} {results['best_hyperparameters'] or ''} "
        f"test recall@10 {test['recall@10']:.4f}, mrr@10 "
        f"{test['mrr@10']:.4f}, ndcg@10 {test['ndcg@10']:.4f}"
    )
    return saved


def _check_reproduces(path, split, test_metrics):
    """Reloads the preset, its history rebuilt from `split`, and checks
    its test metrics."""
    from rnr_keras import evaluation
    from rnr_keras import zoo

    loaded = zoo.load(path, data=split)
    again = evaluation.evaluate_ranking(loaded, split.test, split.train, k=10)
    for key in ("recall@10", "mrr@10", "ndcg@10"):
        if abs(again[key] - test_metrics[key]) > 1e-6:
            raise RuntimeError(
                f"The preset at {path} does not reproduce its {key}: "
                f"recorded {test_metrics[key]}, reloaded {again[key]}"
            )


def _parser():
    from rnr_keras.datasets import DATASETS
    from rnr_keras.zoo import preset_utils

    parser = argparse.ArgumentParser(
        prog="python -m rnr_keras.zoo.build_presets",
        description="Tune (keras-tuner grid, on validation), train, measure "
        "and save zoo presets <model>_<dataset>.",
    )
    parser.add_argument("--dataset", choices=DATASETS, default="ml-100k")
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        help="Folder holding the dataset's files (default: "
        "$RNR_DATA_DIR/<dataset>, then the cache).",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--n-users",
        metavar="N",
        type=int,
        help="Users with a held-out row (default: every user).",
    )
    parser.add_argument(
        "--models",
        nargs="+",
        default=list(PRESET_MODELS),
        metavar="MODEL",
        help=f"Models to build (default: {', '.join(PRESET_MODELS)}).",
    )
    parser.add_argument(
        "--out",
        metavar="DIR",
        default=preset_utils.SHIPPED_PRESETS_DIR,
        help="Folder receiving the presets (default: the package's "
        "rnr_keras/zoo/presets).",
    )
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--patience", type=int, default=None)
    parser.add_argument("--batch-size", metavar="N", type=int)
    parser.add_argument(
        "--optimizer", choices=("default", "paper"), default="default"
    )
    parser.add_argument(
        "--space",
        choices=("paper", "wide"),
        default="paper",
        help="rnr_keras.tuning search space (default: %(default)s: alpha "
        "in {0.9, 0.95, 1.0}, l2 in {0.01, 0.001}).",
    )
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="Replace existing preset folders.",
    )
    parser.add_argument(
        "--verbose", type=int, default=0, help="Keras verbosity (default: 0)."
    )
    return parser


def main(argv=None):
    """Builds the presets the arguments ask for; returns the exit status."""
    args = _parser().parse_args(argv)
    from rnr_keras import runs

    _, split = runs.make_split(
        args.dataset,
        data_dir=args.data_dir,
        n_users=args.n_users or runs.ALL_USERS,
        seed=args.seed,
    )
    print(
        f"{args.dataset}: {split.num_users:,} users, {split.num_items:,} "
        f"items; {len(split.train):,} train, {len(split.val):,} val, "
        f"{len(split.test):,} test rows (seed {args.seed}).",
        flush=True,
    )
    start = time.perf_counter()
    for name in args.models:
        build_preset(
            name,
            split,
            args.out,
            dataset=args.dataset,
            seed=args.seed,
            epochs=args.epochs,
            patience=args.patience,
            batch_size=args.batch_size,
            optimizer=args.optimizer,
            space=args.space,
            overwrite=args.overwrite,
            verbose=args.verbose,
            log=lambda line: print(line, flush=True),
        )
    print(f"Done in {time.perf_counter() - start:.0f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
