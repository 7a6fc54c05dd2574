"""Our models against well-known implementations, on the same splits.

Peers: `implicit`'s BayesianPersonalizedRanking and AlternatingLeastSquares
(CPU), Surprise's `SVD`, and a plain numpy EASE written here. For every
seed the data are split once with `rnr_keras.protocol.all_but_last_one`,
and every model is fitted on the same training rows, tuned on the same
validation half and scored on the same test half by the same function,
`rnr_keras.evaluation.evaluate_ranking` (full ranking over all items,
training items excluded, pessimistic ties). Nothing is chosen on test.

- Ours BPR, SVD, WRMF: `training.build_model(name)` with package defaults,
  trained by `training.fit_model` (early stopping on validation Recall@10,
  best weights restored). WRMF only where it is registered.
- Ours EASE: `training.build_model("ease", l2=lambda)`, fitted by `adapt`,
  lambda from its registered "paper" space chosen on validation.
- implicit BPR: factors 50 on the binary user x item matrix; learning rate
  and regularisation from a small grid, and the number of iterations by
  checkpoints every `--peer-eval-every` iterations, all chosen on
  validation Recall@10.
- implicit ALS (Hu, Koren, Volinsky 2008): factors x regularisation x
  alpha (the confidence of an observed pair; unobserved pairs have 1) from
  a grid, and the iterations by checkpoints every `--als-eval-every`, all
  chosen on validation Recall@10.
- numpy EASE: Steck's closed form in a few lines of numpy on the dense
  binary matrix, independent of our class; lambda from the same grid,
  chosen on validation.
- Surprise SVD (skipped when scikit-surprise is not installed): n_factors
  50; epochs, learning rate and regularisation from a small grid chosen on
  validation Recall@10 (ties: lower validation RMSE), mirroring how our SVD
  is early-stopped. Items are ranked by the predicted rating, computed for
  all items at once from its `pu`, `qi`, `bu`, `bi` and global mean
  (unclipped: clipping to the rating scale would create ties that
  pessimistic ranking punishes).

Among grid points and checkpoints with equal validation Recall@10 the
higher validation MRR@10 wins (Surprise: the lower validation RMSE), then
the earlier one.

Needs the peers, which the package does not depend on: install them in a
benchmark-only environment (see benchmarks/README.md and
benchmarks/requirements-peers.txt).

    RNR_DATA_DIR=/path/to/data python benchmarks/peer_comparison.py \\
        --dataset ml-100k --seeds 0 1 2 [--models ...] [--n-users N] \\
        [--epochs E] [--out results.json]
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
    from implicit.als import AlternatingLeastSquares  # noqa: E402
    from implicit.bpr import BayesianPersonalizedRanking  # noqa: E402
except ImportError as error:  # pragma: no cover - environment message
    raise SystemExit(
        f"{error}. The peers are benchmark-only dependencies: "
        "pip install -r benchmarks/requirements-peers.txt"
    ) from error
try:
    import surprise  # noqa: E402
except ImportError:  # pragma: no cover - optional: it may not build
    surprise = None

import keras  # noqa: E402

import rnr_keras  # noqa: E402
from rnr_keras import datasets  # noqa: E402
from rnr_keras import evaluation  # noqa: E402
from rnr_keras import protocol  # noqa: E402
from rnr_keras import registry  # noqa: E402
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
#: implicit ALS grid; iterations are chosen by checkpoints up to the max.
ALS_GRID = {
    "factors": [32, 64, 128],
    "regularization": [0.1, 1.0, 10.0, 100.0],
    "alpha": [1.0, 3.0, 10.0, 30.0],
}
ALS_MAX_ITERATIONS = 30
#: Every model the script knows, in table order: command-line name ->
#: table label.
MODELS = {
    "ours-bpr": "ours BPR",
    "implicit-bpr": "implicit BPR",
    "ours-wrmf": "ours WRMF",
    "implicit-als": "implicit ALS",
    "ours-ease": "ours EASE",
    "numpy-ease": "numpy EASE",
    "ours-svd": "ours SVD",
    "surprise-svd": "Surprise SVD",
}
#: (ours, peer) pairs whose paired differences are reported.
PAIRS = (
    ("ours BPR", "implicit BPR"),
    ("ours WRMF", "implicit ALS"),
    ("ours EASE", "numpy EASE"),
    ("ours SVD", "Surprise SVD"),
)


def ease_lambdas():
    """The lambdas both EASEs choose from: our registered paper space."""
    return tuple(registry.spec("ease").space("paper")["l2"].values)


def validation_key(metrics):
    """What the choice on validation maximises: Recall@10, then MRR@10."""
    return (metrics[f"recall@{K}"], metrics[f"mrr@{K}"])


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
            **training.model_hyperparameters(model),
            "optimizer": optimizer_label(model.optimizer),
            "batch_size": fit_options.get("batch_size", "default"),
            "patience": fit_options["patience"]
            if fit_options["patience"] is not None
            else model.default_patience,
            "best_epoch": fit["best_epoch"],
            "epochs_run": fit["epochs"],
        },
    }
    if getattr(model, "rater", None) is not None:
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


def fit_implicit(
    matrix, params, seed, split, eval_every,
    iterations=IMPLICIT_MAX_ITERATIONS, num_threads=1,
):
    """Fits one grid point; returns the best checkpoint on validation
    (with `train_seconds`, the training time up to it, evaluations not
    counted)."""
    model = BayesianPersonalizedRanking(
        factors=FACTORS,
        iterations=iterations,
        # One thread by default: implicit's Hogwild updates are not
        # reproducible on several (0 means all cores). A Generator, not a
        # RandomState: implicit 0.7.3's check_random_state calls
        # RandomState.rand_int, which does not exist.
        num_threads=num_threads,
        random_state=np.random.default_rng(seed),
        **params,
    )
    best = {"key": (-1.0, -1.0)}
    clock = {"train": 0.0, "last": time.perf_counter()}

    def callback(epoch, *_):
        iterations = epoch + 1
        clock["train"] += time.perf_counter() - clock["last"]
        if iterations % eval_every == 0:
            scorer = implicit_scorer(model.user_factors, model.item_factors)
            key = validation_key(summary(ranking(scorer, split.val, split.train)))
            if key > best["key"]:
                best.update(
                    key=key,
                    recall=key[0],
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
        candidates.append((best["key"], params, best))
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
            {**p, "iterations": b["iterations"], "val_recall@10": r[0]}
            for r, p, b in candidates
        ],
    }


# --------------------------------------------------------------------------
# implicit ALS


def fit_als(matrix, params, seed, split, eval_every):
    """Fits one ALS grid point; returns its best checkpoint on validation."""
    model = AlternatingLeastSquares(
        iterations=ALS_MAX_ITERATIONS,
        use_gpu=False,
        # One thread: the machine is shared (ALS is deterministic anyway).
        num_threads=1,
        random_state=np.random.default_rng(seed),
        **params,
    )
    best = {"key": (-1.0, -1.0)}
    clock = {"train": 0.0, "last": time.perf_counter()}

    def callback(epoch, *_):
        iterations = epoch + 1
        clock["train"] += time.perf_counter() - clock["last"]
        if iterations % eval_every == 0:
            scorer = implicit_scorer(model.user_factors, model.item_factors)
            key = validation_key(summary(ranking(scorer, split.val, split.train)))
            if key > best["key"]:
                best.update(
                    key=key,
                    iterations=iterations,
                    train_seconds=clock["train"],
                    user_factors=model.user_factors.copy(),
                    item_factors=model.item_factors.copy(),
                )
        clock["last"] = time.perf_counter()

    # implicit multiplies the (binary) matrix by alpha itself: an observed
    # pair has confidence alpha, an unobserved one 1.
    model.fit(matrix, show_progress=False, callback=callback)
    return best


def run_als(split, seed, args):
    matrix = user_item_matrix(split.train)
    start = time.perf_counter()
    candidates = []
    for values in itertools.product(*ALS_GRID.values()):
        params = dict(zip(ALS_GRID, values))
        best = fit_als(matrix, params, seed, split, args.als_eval_every)
        candidates.append((best["key"], params, best))
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
        "hyperparameters": {**params, "iterations": best["iterations"]},
        "grid": [
            {**p, "iterations": b["iterations"], "val_recall@10": r[0]}
            for r, p, b in candidates
        ],
    }


# --------------------------------------------------------------------------
# EASE: ours and a plain numpy one


def numpy_ease(x, l2):
    """Steck's EASE in numpy: B = -P / diag(P), diag(B) = 0, P = (X^T X +
    l2 I)^-1, for a dense binary user x item matrix `x`. Returns X B."""
    gram = x.T @ x
    gram[np.diag_indices_from(gram)] += l2
    p = np.linalg.inv(gram)
    b = p / -np.diag(p)
    np.fill_diagonal(b, 0.0)
    return x @ b


def choose_on_validation(split, fits):
    """`fits`: iterable of (l2, score_fn, fit seconds). The best on
    validation, with the grid."""
    candidates = []
    for l2, scorer, seconds in fits:
        val = summary(ranking(scorer, split.val, split.train))
        candidates.append((validation_key(val), l2, scorer, val, seconds))
    _, l2, scorer, val, seconds = max(candidates, key=lambda c: c[0])
    test = ranking(scorer, split.test, split.train)
    return {
        "val": val,
        "test": summary(test),
        "test_hits": hits(test),
        "train_seconds": seconds,
        "grid_seconds": sum(c[4] for c in candidates),
        "hyperparameters": {"l2": l2},
        "grid": [
            {"l2": c[1], f"val_recall@{K}": c[0][0], f"val_mrr@{K}": c[0][1]}
            for c in candidates
        ],
    }


def run_numpy_ease(split):
    x = np.zeros((split.num_users, split.num_items))
    x[split.train.users, split.train.items] = 1.0

    def fits():
        for l2 in ease_lambdas():
            start = time.perf_counter()
            scores = numpy_ease(x, l2)
            seconds = time.perf_counter() - start
            yield l2, (lambda users, s=scores: s[users]), seconds

    return choose_on_validation(split, fits())


def run_ours_ease(split):
    def fits():
        for l2 in ease_lambdas():
            keras.utils.clear_session()
            model = training.build_model(
                "ease", split.num_users, split.num_items, l2=l2
            )
            fit = training.fit_model(model, split, verbose=0)
            yield l2, model, fit["train_seconds"]

    return choose_on_validation(split, fits())


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
        if k not in ("n_factors", "embedding_dim")
    )


def print_table(runs, seeds, names):
    header = (
        f"{'model':<14}{'Recall@10':>20}{'MRR@10':>20}{'NDCG@10':>20}"
        f"{'RMSE':>20}{'fit s*':>9}{'grid s*':>8}  chosen hyperparameters "
        "(per seed)"
    )
    print(header)
    print("-" * len(header))
    for name in names:
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
    print(
        "* seconds of the chosen configuration / of the whole grid, mean "
        "over seeds: wall clock of this run, not a benchmark on a shared "
        "machine"
    )


def print_markdown(runs, seeds, names):
    """The quality columns as a Markdown table (for benchmarks/README.md)."""
    print("| model | Recall@10 | MRR@10 | NDCG@10 | RMSE |")
    print("|---|---|---|---|---|")
    for name in names:
        test = [runs[seed][name]["test"] for seed in seeds]
        rmse = fmt([t["rmse"] for t in test]) if "rmse" in test[0] else "-"
        print(
            f"| {name} | {fmt([t[f'recall@{K}'] for t in test])} | "
            f"{fmt([t[f'mrr@{K}'] for t in test])} | "
            f"{fmt([t[f'ndcg@{K}'] for t in test])} | {rmse} |"
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
        "scikit-surprise": surprise.__version__ if surprise else "absent",
    }


def available_models(requested):
    """The command-line names to run: `requested`, less those that cannot
    run here (WRMF not registered, scikit-surprise not installed)."""
    out = []
    for name in requested:
        if name == "ours-wrmf" and not registry.is_model_name("wrmf"):
            print("skipping ours-wrmf: no model named 'wrmf' is registered")
        elif name == "surprise-svd" and surprise is None:
            print("skipping surprise-svd: scikit-surprise is not installed")
        else:
            out.append(name)
    return out


def run_model(name, split, seed, args, rating_scale):
    if name.startswith("ours-") and name != "ours-ease":
        return run_ours(name[len("ours-") :], split, seed, args)
    return {
        "implicit-bpr": lambda: run_implicit(split, seed, args),
        "implicit-als": lambda: run_als(split, seed, args),
        "ours-ease": lambda: run_ours_ease(split),
        "numpy-ease": lambda: run_numpy_ease(split),
        "surprise-svd": lambda: run_surprise(split, seed, rating_scale),
    }[name]()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="ml-100k", choices=datasets.DATASETS)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument(
        "--models", nargs="+", choices=list(MODELS), default=list(MODELS),
        help="Which models to run (default: all; ours-wrmf only when WRMF "
        "is registered, surprise-svd only when scikit-surprise is installed).",
    )
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
    parser.add_argument(
        "--als-eval-every", type=int, default=5,
        help="implicit ALS iterations between validation checkpoints "
        f"(up to {ALS_MAX_ITERATIONS}).",
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
    chosen = [name for name in MODELS if name in args.models]
    chosen = available_models(chosen)
    labels = [MODELS[name] for name in chosen]
    print(f"EASE lambdas: {ease_lambdas()}; implicit ALS grid: {ALS_GRID}")

    runs = {}
    for seed in args.seeds:
        split = protocol.all_but_last_one(data, n_users=n_users, seed=seed)
        print(f"seed {seed}: {split!r}", flush=True)
        runs[seed] = {}
        for name in chosen:
            r = runs[seed][MODELS[name]] = run_model(
                name, split, seed, args, rating_scale
            )
            print(
                f"  {MODELS[name]:<13} val R@10 {r['val'][f'recall@{K}']:.4f}  "
                f"test R@10 {r['test'][f'recall@{K}']:.4f}  "
                f"MRR@10 {r['test'][f'mrr@{K}']:.4f}  "
                f"({r['train_seconds']:.1f} s)  {compact(r['hyperparameters'])}",
                flush=True,
            )

    print()
    print(
        f"{args.dataset}, {n_users} held-out users per seed (half val, half "
        f"test), seeds {args.seeds}: test metrics, mean ± standard error "
        "over seeds"
    )
    print_table(runs, args.seeds, labels)
    print()
    print_markdown(runs, args.seeds, labels)

    differences = {}
    print()
    for ours, peer in PAIRS:
        if ours not in labels or peer not in labels:
            continue
        diff = differences[f"{ours} - {peer}"] = paired(
            runs, args.seeds, ours, peer
        )
        per_seed = ", ".join(f"{d:+.4f}" for d in diff["per_seed"])
        print(
            f"{ours} - {peer}, Recall@10: per seed [{per_seed}]; "
            f"mean {diff['mean']:+.4f} ± {diff['se']:.4f} (SE over seeds); "
            f"pooled over {diff['cases']} test cases {diff['per_case_mean']:+.4f}"
            f" ± {diff['per_case_se']:.4f}"
        )
    verdicts = {}
    bpr = differences.get("ours BPR - implicit BPR")
    if bpr is not None:
        verdicts["bpr"] = bpr["mean"] + _se_or_zero(bpr) >= 0
        print(
            "BPR: ours >= peer within one standard error: "
            f"{'yes' if verdicts['bpr'] else 'no'} (per-seed paired "
            "difference + 1 SE >= 0)"
        )
    ease = differences.get("ours EASE - numpy EASE")
    if ease is not None:
        verdicts["ease"] = abs(ease["mean"]) <= _se_or_zero(ease)
        print(
            "EASE: ours matches numpy within one standard error: "
            f"{'yes' if verdicts['ease'] else 'no'} (|per-seed paired "
            "difference| <= 1 SE)"
        )
    total = time.perf_counter() - total_start
    print(f"total runtime: {total:.0f} s (shared CPU, not a benchmark)")

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
                    "ease_lambdas": list(ease_lambdas()),
                    "als_grid": ALS_GRID,
                    "runs": {str(s): r for s, r in runs.items()},
                    "differences": differences,
                    "verdicts": {k: bool(v) for k, v in verdicts.items()},
                    "total_seconds": total,
                },
                f,
                indent=2,
            )
        print(f"wrote {args.out}")


def _se_or_zero(diff):
    return 0.0 if math.isnan(diff["se"]) else diff["se"]


if __name__ == "__main__":
    main()
