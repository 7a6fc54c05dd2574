"""Our BPR and SVD against well-known implementations, on the same split.

Peers: `implicit`'s BayesianPersonalizedRanking (CPU) and Surprise's `SVD`.
For every seed the data are split once with
`rnr_keras.protocol.all_but_last_one`, and all four models are fitted on the
same training rows, tuned on the same validation half and scored on the same
test half by the same function, `rnr_keras.evaluation.evaluate_ranking`
(full ranking over all items, training items excluded, pessimistic ties).

- Ours: `training.build_model("bpr" | "svd")` with package defaults, trained
  by `training.fit_model` (early stopping on validation Recall@10, best
  weights restored).
- implicit BPR: factors 50 on the binary user x item matrix; learning rate
  and regularisation from a small grid, and the number of iterations by
  checkpoints every `--peer-eval-every` iterations, all chosen on
  validation Recall@10 (never on test).
- Surprise SVD: n_factors 50; epochs, learning rate and regularisation from
  a small grid chosen on validation Recall@10 (ties: lower validation
  RMSE), mirroring how our SVD is early-stopped. Items are ranked by the
  predicted rating, computed for all items at once from its `pu`, `qi`,
  `bu`, `bi` and global mean (unclipped: clipping to the rating scale would
  create ties that pessimistic ranking punishes).

Needs the peers, which the package does not depend on: install them in a
benchmark-only environment (see benchmarks/README.md and
benchmarks/requirements-peers.txt).

    RNR_DATA_DIR=/path/to/data python benchmarks/peer_comparison.py \\
        --dataset ml-100k --seeds 0 1 2 [--n-users N] [--epochs E] \\
        [--out results.json]
"""

import argparse
import itertools
import json
import math
import os
import platform
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# implicit warns when BLAS is multithreaded (it matters for its ALS only).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import scipy.sparse  # noqa: E402

try:
    import implicit  # noqa: E402
    import surprise  # noqa: E402
    from implicit.bpr import BayesianPersonalizedRanking  # noqa: E402
except ImportError as error:  # pragma: no cover - environment message
    raise SystemExit(
        f"{error}. The peers are benchmark-only dependencies: "
        "pip install -r benchmarks/requirements-peers.txt"
    ) from error

import keras  # noqa: E402

import rnr_keras  # noqa: E402
from rnr_keras import datasets  # noqa: E402
from rnr_keras import evaluation  # noqa: E402
from rnr_keras import protocol  # noqa: E402
from rnr_keras import training  # noqa: E402

K = 10
FACTORS = 50
#: implicit BPR grid; iterations are chosen by checkpoints up to the max.
IMPLICIT_GRID = {
    "learning_rate": [0.005, 0.01, 0.05],
    "regularization": [0.0001, 0.001, 0.01],
}
IMPLICIT_MAX_ITERATIONS = 400
#: Surprise SVD grid.
SURPRISE_GRID = {
    "n_epochs": [20, 50],
    "lr_all": [0.005, 0.01],
    "reg_all": [0.02, 0.05, 0.1],
}
MODELS = ("ours BPR", "implicit BPR", "ours SVD", "Surprise SVD")


def ranking(score_fn, heldout, train):
    """The one evaluation every model goes through."""
    return evaluation.evaluate_ranking(
        score_fn, heldout, train, k=K, per_user=True
    )


def summary(metrics):
    """Plain floats of a ranking result (no per-user arrays)."""
    return {key: value for key, value in metrics.items() if key != "per_user"}


# --------------------------------------------------------------------------
# Ours


def run_ours(name, split, seed, args):
    """Package defaults, except the `--bpr-*` overrides for BPR."""
    keras.utils.clear_session()
    keras.utils.set_random_seed(seed)
    hyperparameters, fit_options = {}, {"patience": args.patience}
    if name == "bpr":
        if args.bpr_l2 is not None:
            hyperparameters["l2"] = args.bpr_l2
        if args.bpr_learning_rate is not None:
            fit_options["optimizer"] = keras.optimizers.Adam(
                args.bpr_learning_rate
            )
        if args.bpr_batch_size is not None:
            fit_options["batch_size"] = args.bpr_batch_size
        if args.bpr_patience is not None:
            fit_options["patience"] = args.bpr_patience
    model = training.build_model(
        name, split.num_users, split.num_items, **hyperparameters
    )
    fit = training.fit_model(
        model, split, epochs=args.epochs, seed=seed, verbose=0, **fit_options
    )
    val = ranking(model, split.val, split.train)
    test = ranking(model, split.test, split.train)
    result = {
        "val": summary(val),
        "test": summary(test),
        "test_hits": hits(test),
        "train_seconds": fit["train_seconds"],
        "hyperparameters": {
            "embedding_dim": model.embedding_dim,
            "l2": model.l2,
            "optimizer": optimizer_label(model.optimizer),
            "batch_size": fit_options.get("batch_size", "default"),
            "patience": fit_options["patience"]
            if fit_options["patience"] is not None
            else model.default_patience,
            "best_epoch": fit["best_epoch"],
            "epochs_run": fit["epochs"],
        },
    }
    if model.rater is not None:
        result["val"].update(evaluation.evaluate_rating(model, split.val))
        result["test"].update(evaluation.evaluate_rating(model, split.test))
    return result


def optimizer_label(optimizer):
    rate = float(keras.ops.convert_to_numpy(optimizer.learning_rate))
    return f"{type(optimizer).__name__} {rate:g}"


def hits(metrics):
    return (metrics["per_user"]["rank"] <= K).astype(np.int8)


# --------------------------------------------------------------------------
# implicit BPR


def user_item_matrix(train):
    """Binary user x item CSR matrix of the training interactions."""
    matrix = scipy.sparse.csr_matrix(
        (
            np.ones(len(train), dtype=np.float32),
            (train.users.astype(np.int64), train.items.astype(np.int64)),
        ),
        shape=(train.num_users, train.num_items),
    )
    matrix.sum_duplicates()
    matrix.data[:] = 1.0
    matrix.sort_indices()
    return matrix


def implicit_scorer(user_factors, item_factors):
    # The last column holds 1 for users and the item bias for items.
    return lambda users: user_factors[users] @ item_factors.T


def fit_implicit(matrix, params, seed, split, eval_every):
    """Fits one grid point; returns the best checkpoint on validation."""
    model = BayesianPersonalizedRanking(
        factors=FACTORS,
        iterations=IMPLICIT_MAX_ITERATIONS,
        # One thread: implicit's Hogwild updates are not reproducible on
        # several. A Generator, not a RandomState: implicit 0.7.3's
        # check_random_state calls RandomState.rand_int, which does not exist.
        num_threads=1,
        random_state=np.random.default_rng(seed),
        **params,
    )
    best = {"recall": -1.0}
    clock = {"train": 0.0, "last": time.perf_counter()}

    def callback(epoch, *_):
        iterations = epoch + 1
        clock["train"] += time.perf_counter() - clock["last"]
        if iterations % eval_every == 0:
            scorer = implicit_scorer(model.user_factors, model.item_factors)
            recall = summary(ranking(scorer, split.val, split.train))[
                f"recall@{K}"
            ]
            if recall > best["recall"]:
                best.update(
                    recall=recall,
                    iterations=iterations,
                    train_seconds=clock["train"],
                    user_factors=model.user_factors.copy(),
                    item_factors=model.item_factors.copy(),
                )
        clock["last"] = time.perf_counter()

    model.fit(matrix, show_progress=False, callback=callback)
    return best


def run_implicit(split, seed, args):
    matrix = user_item_matrix(split.train)
    start = time.perf_counter()
    candidates = []
    for values in itertools.product(*IMPLICIT_GRID.values()):
        params = dict(zip(IMPLICIT_GRID, values))
        best = fit_implicit(matrix, params, seed, split, args.peer_eval_every)
        candidates.append((best["recall"], params, best))
    grid_seconds = time.perf_counter() - start
    _, params, best = max(candidates, key=lambda c: c[0])
    scorer = implicit_scorer(best["user_factors"], best["item_factors"])
    test = ranking(scorer, split.test, split.train)
    return {
        "val": summary(ranking(scorer, split.val, split.train)),
        "test": summary(test),
        "test_hits": hits(test),
        "train_seconds": best["train_seconds"],
        "grid_seconds": grid_seconds,
        "hyperparameters": {
            "factors": FACTORS,
            **params,
            "iterations": best["iterations"],
        },
        "grid": [
            {**p, "iterations": b["iterations"], "val_recall@10": r}
            for r, p, b in candidates
        ],
    }


# --------------------------------------------------------------------------
# Surprise SVD


def surprise_trainset(train, rating_scale):
    import pandas as pd

    frame = pd.DataFrame(
        {
            "user": train.users.astype(np.int64),
            "item": train.items.astype(np.int64),
            "rating": train.ratings.astype(np.float64),
        }
    )
    reader = surprise.Reader(rating_scale=rating_scale)
    return surprise.Dataset.load_from_df(frame, reader).build_full_trainset()


class SurpriseScorer:
    """Surprise SVD's estimates for all items, in OUR index space.

    Surprise keeps its own inner ids; the raw ids it was given are our user
    and item indices, so every inner row is put back at its raw index.
    Users or items absent from training keep zero factors and biases, which
    is what `SVD.estimate` does for unknown ids (it then drops those terms).
    """

    def __init__(self, algo, trainset, num_users, num_items):
        factors = algo.pu.shape[1]
        self.mu = float(trainset.global_mean)
        self.p = np.zeros((num_users, factors))
        self.bu = np.zeros(num_users)
        self.q = np.zeros((num_items, factors))
        self.bi = np.zeros(num_items)
        for inner in trainset.all_users():
            raw = int(trainset.to_raw_uid(inner))
            self.p[raw], self.bu[raw] = algo.pu[inner], algo.bu[inner]
        for inner in trainset.all_items():
            raw = int(trainset.to_raw_iid(inner))
            self.q[raw], self.bi[raw] = algo.qi[inner], algo.bi[inner]

    def __call__(self, users):
        return (
            self.mu
            + self.bu[users][:, None]
            + self.bi[None, :]
            + self.p[users] @ self.q.T
        )

    def predict_rating(self, users, items):
        return (
            self.mu
            + self.bu[users]
            + self.bi[items]
            + np.sum(self.p[users] * self.q[items], axis=1)
        )


def check_surprise_mapping(algo, scorer, split, seed):
    """The vectorised scores equal Surprise's own `predict` on sample pairs."""
    rng = np.random.default_rng(seed)
    users = rng.integers(0, split.num_users, 200)
    items = rng.integers(0, split.num_items, 200)
    ours = scorer.predict_rating(users, items)
    theirs = [
        algo.predict(int(u), int(i), clip=False).est
        for u, i in zip(users, items)
    ]
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-6)
    full = scorer(users[:5])
    np.testing.assert_allclose(
        full[np.arange(5), items[:5]], ours[:5], rtol=1e-6, atol=1e-9
    )


def run_surprise(split, seed, rating_scale):
    trainset = surprise_trainset(split.train, rating_scale)
    start = time.perf_counter()
    candidates = []
    for values in itertools.product(*SURPRISE_GRID.values()):
        params = dict(zip(SURPRISE_GRID, values))
        algo = surprise.SVD(n_factors=FACTORS, random_state=seed, **params)
        fit_start = time.perf_counter()
        algo.fit(trainset)
        fit_seconds = time.perf_counter() - fit_start
        scorer = SurpriseScorer(algo, trainset, split.num_users, split.num_items)
        val = summary(ranking(scorer, split.val, split.train))
        val.update(evaluation.evaluate_rating(scorer, split.val))
        candidates.append((params, algo, scorer, val, fit_seconds))
    grid_seconds = time.perf_counter() - start
    params, algo, scorer, val, fit_seconds = max(
        candidates, key=lambda c: (c[3][f"recall@{K}"], -c[3]["rmse"])
    )
    check_surprise_mapping(algo, scorer, split, seed)
    test_ranking = ranking(scorer, split.test, split.train)
    test = summary(test_ranking)
    test.update(evaluation.evaluate_rating(scorer, split.test))
    # Surprise's own predictions clip to the rating scale; report that too.
    clipped = np.clip(
        scorer.predict_rating(split.test.users, split.test.items),
        *rating_scale,
    )
    test["rmse_clipped"] = float(
        np.sqrt(np.mean((clipped - split.test.ratings) ** 2))
    )
    return {
        "val": val,
        "test": test,
        "test_hits": hits(test_ranking),
        "train_seconds": fit_seconds,
        "grid_seconds": grid_seconds,
        "hyperparameters": {"n_factors": FACTORS, **params},
        "grid": [
            {**p, f"val_recall@{K}": v[f"recall@{K}"], "val_rmse": v["rmse"]}
            for p, _, _, v, _ in candidates
        ],
    }


# --------------------------------------------------------------------------
# Report


def mean_se(values):
    values = np.asarray(values, dtype=np.float64)
    if len(values) < 2:
        return float(values.mean()), float("nan")
    return float(values.mean()), float(values.std(ddof=1) / math.sqrt(len(values)))


def fmt(values, digits=4):
    mean, se = mean_se(values)
    if math.isnan(se):
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} ± {se:.{digits}f}"


def compact(params):
    return ", ".join(
        f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
        for k, v in params.items()
        if k not in ("factors", "n_factors", "embedding_dim")
    )


def print_table(runs, seeds):
    header = (
        f"{'model':<14}{'Recall@10':>20}{'MRR@10':>20}{'NDCG@10':>20}"
        f"{'RMSE':>20}{'train s':>9}{'grid s':>8}  chosen hyperparameters "
        "(per seed)"
    )
    print(header)
    print("-" * len(header))
    for name in MODELS:
        results = [runs[seed][name] for seed in seeds]
        test = [r["test"] for r in results]
        rmse = (
            fmt([t["rmse"] for t in test]) if "rmse" in test[0] else "-"
        )
        grid = (
            f"{np.mean([r['grid_seconds'] for r in results]):8.1f}"
            if "grid_seconds" in results[0]
            else f"{'-':>8}"
        )
        chosen = " | ".join(compact(r["hyperparameters"]) for r in results)
        print(
            f"{name:<14}"
            f"{fmt([t[f'recall@{K}'] for t in test]):>20}"
            f"{fmt([t[f'mrr@{K}'] for t in test]):>20}"
            f"{fmt([t[f'ndcg@{K}'] for t in test]):>20}"
            f"{rmse:>20}"
            f"{np.mean([r['train_seconds'] for r in results]):9.1f}"
            f"{grid}  {chosen}"
        )


def paired(runs, seeds, ours, peer):
    """Per-seed and per-case paired Recall@10 differences, ours - peer."""
    key = f"recall@{K}"
    per_seed = [
        runs[s][ours]["test"][key] - runs[s][peer]["test"][key] for s in seeds
    ]
    # Both models are scored on the same held-out rows in the same order.
    per_case = np.concatenate(
        [
            runs[s][ours]["test_hits"].astype(np.float64)
            - runs[s][peer]["test_hits"]
            for s in seeds
        ]
    )
    seed_mean, seed_se = mean_se(per_seed)
    return {
        "per_seed": per_seed,
        "mean": seed_mean,
        "se": seed_se,
        "per_case_mean": float(per_case.mean()),
        "per_case_se": float(per_case.std(ddof=1) / math.sqrt(len(per_case))),
        "cases": int(len(per_case)),
    }


def source_revision():
    """`git describe --always --dirty` of the checkout rnr_keras comes from."""
    import subprocess

    root = os.path.dirname(os.path.dirname(os.path.abspath(rnr_keras.__file__)))
    try:
        return subprocess.run(
            ["git", "-C", root, "describe", "--always", "--dirty"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def versions():
    import tensorflow as tf

    return {
        "python": platform.python_version(),
        "rnr_keras": f"{rnr_keras.__version__} ({source_revision()})",
        "keras": keras.__version__,
        "tensorflow": tf.__version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "implicit": implicit.__version__,
        "scikit-surprise": surprise.__version__,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="ml-100k", choices=datasets.DATASETS)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument(
        "--n-users", type=int, default=None,
        help="Users to hold out a row for (default: all users).",
    )
    parser.add_argument(
        "--epochs", type=int, default=100, help="Most epochs for our models."
    )
    parser.add_argument(
        "--patience", type=int, default=None,
        help="Early-stopping patience of our models (default: each model's "
        "default_patience, as fit_model).",
    )
    # Public-argument overrides of our BPR, for checking tuning advice;
    # unset, the package defaults are used.
    parser.add_argument("--bpr-learning-rate", type=float, default=None,
                        help="Adam learning rate of our BPR.")
    parser.add_argument("--bpr-batch-size", type=int, default=None)
    parser.add_argument("--bpr-l2", type=float, default=None)
    parser.add_argument("--bpr-patience", type=int, default=None)
    parser.add_argument(
        "--peer-eval-every", type=int, default=10,
        help="implicit BPR iterations between validation checkpoints.",
    )
    parser.add_argument("--out", default=None, help="Write results as JSON.")
    args = parser.parse_args()

    total_start = time.perf_counter()
    load_kwargs = {"data_dir": args.data_dir} if args.data_dir else {}
    data = datasets.load(args.dataset, **load_kwargs)
    n_users = min(args.n_users or data.num_users, data.num_users)
    rating_scale = (float(data.ratings.min()), float(data.ratings.max()))
    env = versions()
    print(f"data: {data!r}; held-out users per seed: {n_users}")
    print("versions: " + ", ".join(f"{k} {v}" for k, v in env.items()))

    runs = {}
    for seed in args.seeds:
        split = protocol.all_but_last_one(data, n_users=n_users, seed=seed)
        print(f"seed {seed}: {split!r}", flush=True)
        runs[seed] = {
            "ours BPR": run_ours("bpr", split, seed, args),
            "implicit BPR": run_implicit(split, seed, args),
            "ours SVD": run_ours("svd", split, seed, args),
            "Surprise SVD": run_surprise(split, seed, rating_scale),
        }
        for name in MODELS:
            r = runs[seed][name]
            print(
                f"  {name:<13} val R@10 {r['val'][f'recall@{K}']:.4f}  "
                f"test R@10 {r['test'][f'recall@{K}']:.4f}  "
                f"({r['train_seconds']:.1f} s)  {compact(r['hyperparameters'])}",
                flush=True,
            )

    print()
    print(
        f"{args.dataset}, {n_users} held-out users per seed (half val, half "
        f"test), seeds {args.seeds}: test metrics, mean ± standard error "
        "over seeds"
    )
    print_table(runs, args.seeds)

    bpr = paired(runs, args.seeds, "ours BPR", "implicit BPR")
    svd = paired(runs, args.seeds, "ours SVD", "Surprise SVD")
    print()
    for label, diff in (("BPR", bpr), ("SVD", svd)):
        per_seed = ", ".join(f"{d:+.4f}" for d in diff["per_seed"])
        print(
            f"{label} Recall@10, ours - peer: per seed [{per_seed}]; "
            f"mean {diff['mean']:+.4f} ± {diff['se']:.4f} (SE over seeds); "
            f"pooled over {diff['cases']} test cases {diff['per_case_mean']:+.4f}"
            f" ± {diff['per_case_se']:.4f}"
        )
    verdict = bpr["mean"] + (0.0 if math.isnan(bpr["se"]) else bpr["se"]) >= 0
    print(
        "ours >= peer within one standard error: "
        f"{'yes' if verdict else 'no'} (BPR Recall@10, per-seed paired "
        "difference + 1 SE >= 0)"
    )
    total = time.perf_counter() - total_start
    print(f"total runtime: {total:.0f} s")

    if args.out:
        for seed_runs in runs.values():
            for result in seed_runs.values():
                result.pop("test_hits")
        with open(args.out, "w") as f:
            json.dump(
                {
                    "dataset": args.dataset,
                    "n_users": n_users,
                    "seeds": args.seeds,
                    "versions": env,
                    "runs": {str(s): r for s, r in runs.items()},
                    "bpr_difference": bpr,
                    "svd_difference": svd,
                    "bpr_verdict": bool(verdict),
                    "total_seconds": total,
                },
                f,
                indent=2,
            )
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
