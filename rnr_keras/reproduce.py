"""`rnr-keras reproduce`: the paper's Table 1, tuned on validation.

For every seed, the dataset is split by the paper's protocol; for every row
of Table 1 the hyperparameters are chosen by a keras-tuner grid search on
the validation half (early stopping on validation Recall@10) and the chosen
model is scored once on the test half. Rows are averaged over seeds, and
each multi-task row is tested against its single-task ranker (and RnR
against Vanilla) with a paired test over the test users, pooled over seeds.
"""

import collections
import csv
import io
import json
import logging
import os
import time

import numpy as np

from rnr_keras.io_utils import write_text

#: Where each row's start and each trial are logged (level INFO).
LOGGER = logging.getLogger("rnr_keras.reproduce")

#: The rows of the paper's Table 1, in its order.
PAPER_ROWS = (
    "popularity",
    "svd",
    "cdae",
    "vanilla-cdae-svd",
    "rnr-cdae-svd",
    "bpr",
    "vanilla-bpr-svd",
    "rnr-bpr-svd",
)

#: Rows beyond the paper's: the algorithms it names (WRMF as a ranker,
#: SVD++ as a rater) inside RnR, a strong closed-form baseline, and order:
#: the protocol holds out each user's chronologically last item, so the
#: table shows what transition counts alone give and a sequence ranker
#: (SASRec), alone and under the rater.
EXTRA_ROWS = (
    "wrmf",
    "rnr-wrmf-svd",
    "svdpp",
    "rnr-bpr-svdpp",
    "ease",
    "transition",
    "sasrec",
    "vanilla-sasrec-svd",
    "rnr-sasrec-svd",
)


def default_rows():
    """The rows `reproduce` runs by default: the paper's, then the extras
    that are registered."""
    from rnr_keras import registry

    return tuple(
        name for name in PAPER_ROWS + EXTRA_ROWS if registry.is_model_name(name)
    )


def _rows_that_fit(models, split, log):
    """`models` without those that cannot be built for `split`'s size
    (`ModelSpec.check_size`: EASE's dense item x item matrix beyond
    `ease.MAX_ITEMS` items), each left out with its reason in the log.
    Only default rows are left out: a row the user names fails with its
    error."""
    from rnr_keras import registry

    kept = []
    for name in models:
        try:
            registry.spec(name).check_size(split.num_users, split.num_items)
        except ValueError as error:
            log(f"{registry.label(name)} left out of the default rows: {error}")
        else:
            kept.append(name)
    return tuple(kept)


def comparisons(models):
    """(row, baseline) pairs whose difference is tested: each multi-task
    row against its single-task ranker, and RnR against Vanilla of the same
    pair, where both rows are run."""
    from rnr_keras import registry

    out = []
    for name in models:
        spec = registry.spec(name)
        if spec.composition is None:
            continue
        if spec.ranker in models:
            out.append((name, spec.ranker))
        vanilla = f"vanilla-{spec.ranker}-{spec.rater}"
        if spec.composition == "rnr" and vanilla in models:
            out.append((name, vanilla))
    return tuple(out)


#: The paper's Table 1 on MovieLens 1M: (Accuracy@10 = Recall@10, MRR@10).
PAPER_ML1M = {
    "popularity": (0.0278, 0.0035),
    "svd": (0.0673, 0.0120),
    "cdae": (0.0926, 0.0146),
    "vanilla-cdae-svd": (0.1040, 0.0189),
    "rnr-cdae-svd": (0.1236, 0.0497),
    "bpr": (0.0659, 0.0222),
    "vanilla-bpr-svd": (0.0732, 0.0244),
    "rnr-bpr-svd": (0.0752, 0.0263),
}

#: `--quick`: one seed, short training, for a first look or a smoke test.
QUICK = {"seeds": (0,), "epochs": 15, "patience": 3}


def reproduce(
    dataset="synthetic",
    n_users=None,
    seeds=(0, 1, 2),
    out=None,
    models=None,
    space="paper",
    epochs=100,
    patience=None,
    data_dir=None,
    dataset_args=None,
    log=print,
    verbose=0,
    progress=None,
    data_file=None,
    columns=None,
    estimate=True,
):
    """Runs the Table 1 comparison and returns its results (a dict).

    Args:
        dataset: str. A `rnr_keras.datasets.load` name; not used with
            `data_file`. Defaults to "synthetic".
        n_users: int or `None`. Held-out users per split; `None` uses the
            paper's n for the dataset, capped at the number of users.
        seeds: ints. One protocol split (and training seed) each.
        out: str or `None`. Folder for results.json/csv/md and the chart.
        models: model names (any registered or composed name). Defaults
            to `default_rows()`: the paper's eight rows, then WRMF,
            RnR(WRMF,SVD), SVD++, RnR(BPR,SVD++), EASE, Transition,
            SASRec, Vanilla(SASRec,SVD) and RnR(SASRec,SVD), less those
            that cannot be built at the data's size (EASE beyond 30,000
            items), which the log names.
        space: str. Search space, "paper" (the paper's grid) or "wide".
        epochs: int. Most epochs per trial. Defaults to 100.
        patience: int or `None`. Early-stopping patience; `None` for each
            model's `default_patience`.
        data_dir: str or `None`. Passed to `datasets.load`.
        dataset_args: dict or `None`. Extra `datasets.load` arguments
            (`time_resolution` for every dataset; synthetic takes its
            generator's too).
        log: callable taking a str: the data, then one line per finished
            row and seed. Defaults to print. Each row's start and each
            trial go to the `rnr_keras.reproduce` logger, each epoch to
            `rnr_keras.training` (`logging`, level INFO).
        verbose: int. Keras/keras-tuner verbosity per trial. Defaults to 0.
        progress: callable or `None`. Called once, with the number of
            trials of the whole job (rows x grid cells x seeds), before
            the first; it returns a `JobProgress` (or an object with its
            `advance(score=, label=)` and `close()`), advanced after every
            trial. Defaults to `None` (no bar).
        data_file: str, path-like or `None`. Your own data file instead of
            `dataset` (see `rnr_keras.runs.make_split`); `dataset_args` are
            then `datasets.read_file` arguments. The results record it (as
            an absolute path, with `columns`) and `dataset` as `None`.
            Defaults to `None`.
        columns: dict or `None`. The data file's column of each role (see
            `rnr_keras.datasets.read_file`). Defaults to `None`.
        estimate: bool. Whether to log an estimate of the job's total time
            before it starts (`rnr_keras.job_estimate.estimate_job`: a few
            timed batches and one validation per model, seconds on ML-1M,
            about a minute per model at Yelp size); the results record it
            as `estimated_seconds`. Defaults to `True`.
    """
    import keras

    from rnr_keras import evaluation
    from rnr_keras import registry
    from rnr_keras import runs
    from rnr_keras import tuning

    by_default = models is None
    models = tuple(default_rows() if by_default else models)
    for name in models:
        registry.spec(name)  # an unknown name fails here, before any work
    if not seeds:
        raise ValueError("`seeds` must name at least one seed")
    start = time.perf_counter()
    if data_file is not None:
        dataset = None  # the file's data; the results record the file
    data, split = runs.make_split(
        dataset,
        data_dir=data_dir,
        dataset_args=dataset_args,
        n_users=n_users,
        seed=seeds[0],
        data_file=data_file,
        columns=columns,
    )
    n_users = split.params["n_users"]
    log(f"{data!r}; protocol all_but_last_one, n_users={n_users}, seeds={list(seeds)}")
    if by_default:
        models = _rows_that_fit(models, split, log)
    estimated = None
    if estimate:
        from rnr_keras import job_estimate

        log("Timing a few batches of each model for an estimate ...")
        guess = job_estimate.estimate_job(
            models, split, seeds=len(seeds), space=space, epochs=epochs,
            patience=patience,
        )
        estimated = guess["seconds"]
        log(job_estimate.describe(guess))
    bar = None
    if progress is not None:
        bar = progress(
            len(seeds)
            * sum(tuning.planned_trials(name, split, space=space) for name in models)
        )

    records = collections.defaultdict(list)  # name -> one record per seed
    reciprocal_ranks = collections.defaultdict(list)
    for seed in seeds:
        if split.params["seed"] != seed:
            # The data is loaded once; each further seed only splits it.
            split = runs.split_data(data, dataset, n_users=n_users, seed=seed)
        for position, name in enumerate(models, 1):
            label = registry.label(name)
            LOGGER.info(
                f"[seed {seed}] {position}/{len(models)} {label}: grid "
                "search on validation"
            )

            def on_trial(trial, label=label, seed=seed):
                LOGGER.info(
                    f"[seed {seed}] {label} trial {trial['trial_id']}: "
                    f"val Recall@10 {_score(trial['val_recall_at_10'])}, "
                    f"{trial['hyperparameters']}"
                )
                if bar is not None:
                    bar.advance(score=trial["val_recall_at_10"], label=label)
            keras.utils.clear_session()
            keras.utils.set_random_seed(seed)
            result, model = tuning.tune(
                name,
                split,
                tuner="grid",
                space=space,
                epochs=epochs,
                patience=patience,
                seed=seed,
                verbose=verbose,
                return_model=True,
                on_trial=on_trial,
            )
            per_user = evaluation.evaluate_ranking(
                model, split.test, split.train, k=10, per_user=True
            )["per_user"]
            reciprocal_ranks[name].append(per_user["reciprocal_rank@10"])
            records[name].append(
                {
                    "seed": seed,
                    "hyperparameters": result["best_hyperparameters"],
                    "trials": len(result["trials"]),
                    "val": result["val"],
                    "test": result["test"],
                    "train_seconds": result["train_seconds"],
                    "search_seconds": result["search_seconds"],
                    "best_epoch": result["best_epoch"],
                }
            )
            log(
                f"[seed {seed}] {label}: val Recall@10 "
                f"{result['val']['recall@10']:.4f}, test Recall@10 "
                f"{result['test']['recall@10']:.4f}, MRR@10 "
                f"{result['test']['mrr@10']:.4f} "
                f"({_hyperparameter_text(result['best_hyperparameters'])}; "
                f"{_count(len(result['trials']), 'trial')}, "
                f"{result['search_seconds']:.0f} s)"
            )
    if bar is not None:
        bar.close()

    results = {
        "dataset": dataset,
        **({} if data_file is None else {
            "data_file": os.path.abspath(os.fspath(data_file)),
            "columns": dict(columns or {}),
        }),
        "n_users": n_users,
        "seeds": list(seeds),
        "space": space,
        "protocol": {"name": "all_but_last_one", "val_fraction": 0.5},
        "rows": [_row(name, records[name]) for name in models],
        "comparisons": _comparisons(models, reciprocal_ranks),
        "wall_seconds": time.perf_counter() - start,
        "estimated_seconds": estimated,
    }
    if out is not None:
        write_results(results, out)
    return results


def _data_name(results):
    """The dataset's name, or the data file's name for a file run."""
    return results.get("dataset") or os.path.basename(results.get("data_file") or "")


def _count(n, noun):
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _score(value):
    return "n/a" if value is None else f"{value:.4f}"


def _hyperparameter_text(values):
    return ", ".join(f"{k}={v}" for k, v in values.items()) or "no hyperparameters"


def _row(name, seeds):
    from rnr_keras import registry

    def stat(part, key):
        values = [run[part][key] for run in seeds if key in run[part]]
        if not values:
            return None, None
        return float(np.mean(values)), float(np.std(values))

    row = {"model": registry.label(name), "name": name}
    for key in ("recall@10", "mrr@10", "ndcg@10"):
        row[key], row[f"{key}_std"] = stat("test", key)
    row["val_recall@10"], _ = stat("val", "recall@10")
    row["rmse"], row["rmse_std"] = stat("test", "rmse")
    row["hyperparameters"] = _common_hyperparameters(seeds)
    row["train_seconds"] = float(np.mean([run["train_seconds"] for run in seeds]))
    row["search_seconds"] = float(np.mean([run["search_seconds"] for run in seeds]))
    row["per_seed"] = seeds
    return row


def _common_hyperparameters(seeds):
    """Each hyperparameter's value if all seeds chose it, else the list."""
    keys = sorted({key for run in seeds for key in run["hyperparameters"]})
    out = {}
    for key in keys:
        values = [run["hyperparameters"].get(key) for run in seeds]
        out[key] = values[0] if all(v == values[0] for v in values) else values
    return out


def _comparisons(models, reciprocal_ranks):
    from rnr_keras import registry
    from rnr_keras.evaluation.significance import paired_test

    out = []
    for row, baseline in comparisons(models):
        result = paired_test(
            np.concatenate(reciprocal_ranks[row]),
            np.concatenate(reciprocal_ranks[baseline]),
        )
        out.append(
            {
                "model": registry.label(row),
                "baseline": registry.label(baseline),
                "metric": "reciprocal_rank@10 per test user, pooled over seeds",
                "test": "Wilcoxon signed-rank (two-sided); paired bootstrap CI",
                **result,
            }
        )
    return out


def _fmt(mean, std):
    if mean is None:
        return "-"
    return f"{mean:.4f} ± {std:.4f}"


def markdown(results):
    """The results as Markdown tables (rows, then paired tests)."""
    lines = [
        f"Dataset: {_data_name(results)}, n_users={results['n_users']}, "
        f"seeds={results['seeds']}, search space: {results['space']}",
        "",
        "| Model | Recall@10 | MRR@10 | NDCG@10 | RMSE | hyperparameters "
        "| train s | search s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in results["rows"]:
        hp = ", ".join(f"{k}={v}" for k, v in row["hyperparameters"].items())
        lines.append(
            f"| {row['model']} | {_fmt(row['recall@10'], row['recall@10_std'])} "
            f"| {_fmt(row['mrr@10'], row['mrr@10_std'])} "
            f"| {_fmt(row['ndcg@10'], row['ndcg@10_std'])} "
            f"| {_fmt(row['rmse'], row['rmse_std'])} | {hp or '-'} "
            f"| {row['train_seconds']:.1f} | {row['search_seconds']:.1f} |"
        )
    if results["comparisons"]:
        lines += [
            "",
            "Paired tests over test users (reciprocal rank@10, pooled over "
            "seeds): mean difference, 95% bootstrap CI, Wilcoxon p-value.",
            "",
            "| Model | vs | mean diff | 95% CI | p-value | wins/losses/ties |",
            "|---|---|---|---|---|---|",
        ]
        for c in results["comparisons"]:
            lines.append(
                f"| {c['model']} | {c['baseline']} | {c['mean_difference']:+.4f} "
                f"| [{c['ci_low']:+.4f}, {c['ci_high']:+.4f}] "
                f"| {c['p_value']:.3g} | {c['wins']}/{c['losses']}/{c['ties']} |"
            )
    return "\n".join(lines) + "\n"


def write_results(results, out):
    """Writes results.json, results.csv, results.md and results.png.

    Each file is written to a temporary file in `out` and renamed, so an
    interrupted run never leaves a half-written result.
    """
    os.makedirs(out, exist_ok=True)
    write_text(os.path.join(out, "results.json"), json.dumps(results, indent=2))
    write_text(os.path.join(out, "results.md"), markdown(results))
    buffer = io.StringIO()
    fields = [
        "model", "recall@10", "recall@10_std", "mrr@10", "mrr@10_std",
        "ndcg@10", "ndcg@10_std", "rmse", "rmse_std", "val_recall@10",
        "train_seconds", "search_seconds", "hyperparameters",
    ]
    writer = csv.DictWriter(buffer, fieldnames=fields, extrasaction="ignore")
    writer.writeheader()
    for row in results["rows"]:
        writer.writerow({**row, "hyperparameters": json.dumps(row["hyperparameters"])})
    write_text(os.path.join(out, "results.csv"), buffer.getvalue())
    write_text(os.path.join(out, "results.png"), _chart(results), binary=True)


def _chart(results):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    rows = results["rows"]
    labels = [row["model"] for row in rows]
    positions = np.arange(len(rows))
    figure, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    for axis, key, title in (
        (axes[0], "recall@10", "Recall@10"),
        (axes[1], "mrr@10", "MRR@10"),
    ):
        axis.bar(
            positions,
            [row[key] for row in rows],
            yerr=[row[f"{key}_std"] for row in rows],
            capsize=4,
            color=["#999999" if "(" not in label else "#4477aa" for label in labels],
        )
        axis.set_xticks(positions, labels, rotation=35, ha="right", fontsize=8)
        n_seeds = len(results["seeds"])
        axis.set_title(
            f"{title} (mean ± std over {n_seeds} seed{'s' if n_seeds > 1 else ''})"
        )
        axis.grid(axis="y", alpha=0.3)
    figure.suptitle(f"rnr_keras reproduce: {_data_name(results)}")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110)
    plt.close(figure)
    return buffer.getvalue()


def terminal_table(results):
    """A plain-text table for the terminal."""
    header = (
        f"{'Model':<20}{'Recall@10':>18}{'MRR@10':>18}{'train s':>9}"
        "  hyperparameters"
    )
    lines = [header, "-" * len(header)]
    for row in results["rows"]:
        hp = ", ".join(f"{k}={v}" for k, v in row["hyperparameters"].items())
        lines.append(
            f"{row['model']:<20}{_fmt(row['recall@10'], row['recall@10_std']):>18}"
            f"{_fmt(row['mrr@10'], row['mrr@10_std']):>18}"
            f"{row['train_seconds']:>9.1f}  {hp or '-'}"
        )
    if results["comparisons"]:
        lines.append("")
        lines.append("Paired tests (reciprocal rank@10 per test user, pooled over seeds):")
        for c in results["comparisons"]:
            lines.append(
                f"  {c['model']:<18} vs {c['baseline']:<18} diff "
                f"{c['mean_difference']:+.4f} CI [{c['ci_low']:+.4f}, "
                f"{c['ci_high']:+.4f}] p={c['p_value']:.3g}"
            )
    return "\n".join(lines)
