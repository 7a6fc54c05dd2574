"""Training and evaluation cost of the zoo at Yelp scale.

Generates Yelp-shaped data with the embedded generator (default: the
paper's Yelp, `synthetic(shape="yelp")`: ~295k users, ~168k items, ~3.6M
interactions, long-tailed), splits it like the paper (`all_but_last_one`,
50,000 held-out users: 25,000 validation, 25,000 test), and for each model,
in its own process (so that peak memory is its own), prints:

- seconds per training epoch and interactions/s (one warm-up pass of a few
  batches first, for tracing; with `--steps N` only N batches are timed and
  the epoch is extrapolated, marked `~`);
- seconds of one validation callback (`RankingMetricsCallback` with its
  automatic, announced sample of validation users);
- seconds of the full-ranking evaluation of all 25,000 test users;
- peak resident memory of the process.

With `implicit` installed (benchmarks/requirements-peers.txt), implicit's
BPR (50 factors, all cores) trains on the same training matrix in the same
run, and the ratio of our BPR epoch to its epoch is printed.

    python benchmarks/scale.py                       # the paper's Yelp
    python benchmarks/scale.py --users 60000 --items 30000 --models bpr
    python benchmarks/scale.py --steps 50            # quicker, extrapolated
    python benchmarks/scale.py --save yelp.npz       # keep the data ...
    python benchmarks/scale.py --load yelp.npz       # ... for another run

Time it alone on the machine: every figure is wall time on all cores.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

MODELS = ["bpr", "svd", "cdae", "rnr-bpr-svd", "rnr-cdae-svd"]
HELD_OUT_USERS = 50_000


def peak_rss_gib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def make_data(args):
    from rnr_keras import datasets

    sizes = {}
    if args.users:
        sizes["num_users"] = args.users
    if args.items:
        sizes["num_items"] = args.items
    if args.mean_interactions:
        sizes["mean_interactions"] = args.mean_interactions
    return datasets.load("synthetic", shape=args.shape, seed=0, **sizes)


def save(data, path):
    np.savez(
        path,
        users=data.users,
        items=data.items,
        ratings=data.ratings,
        timestamps=data.timestamps,
        num_users=data.num_users,
        num_items=data.num_items,
    )


def load(path):
    from rnr_keras.datasets import Interactions

    with np.load(path) as f:
        return Interactions(
            users=f["users"],
            items=f["items"],
            ratings=f["ratings"],
            timestamps=f["timestamps"],
            num_users=int(f["num_users"]),
            num_items=int(f["num_items"]),
        )


def split_of(data):
    from rnr_keras import protocol

    n_users = min(HELD_OUT_USERS, data.num_users // 2)
    return protocol.all_but_last_one(data, n_users=n_users, seed=0)


def run_ours(name, split, steps):
    import keras

    from rnr_keras import evaluation
    from rnr_keras import training

    keras.utils.set_random_seed(0)
    model = training.build_model(name, split.num_users, split.num_items)
    model.adapt(split.train)
    result = {"model": name}
    if model.trained_by_fit:
        model.compile()
        dataset = model.training_dataset(split.train)
        batches = int(dataset.cardinality())
        model.fit(dataset.take(min(batches, 20)), epochs=1, verbose=0)
        timed = min(steps, batches) if steps else batches
        start = time.perf_counter()
        model.fit(dataset.take(timed), epochs=1, verbose=0)
        seconds = time.perf_counter() - start
        epoch = seconds * batches / timed
        result.update(
            epoch_seconds=epoch,
            extrapolated=timed < batches,
            interactions_per_second=len(split.train) / epoch,
            optimizer=type(model.optimizer).__name__,
            jit_compile=bool(model.jit_compile),
            batches=batches,
        )
    callback = evaluation.RankingMetricsCallback(split.val, split.train)
    callback.set_model(model)
    callback.params = {"verbose": 0}
    start = time.perf_counter()
    callback.on_epoch_end(0, {})
    result["validation_seconds"] = time.perf_counter() - start
    result["validation_rows"] = callback.last_results["users"]
    start = time.perf_counter()
    test = evaluation.evaluate_ranking(model, split.test, split.train)
    result["test_seconds"] = time.perf_counter() - start
    result["test_rows"] = test["users"]
    result["test_recall_at_10"] = test["recall@10"]
    return result


def run_implicit(split, epochs=3):
    import scipy.sparse
    from implicit.bpr import BayesianPersonalizedRanking

    train = split.train
    matrix = scipy.sparse.csr_matrix(
        (np.ones(len(train), np.float32), (train.users, train.items)),
        shape=(train.num_users, train.num_items),
    )
    matrix.sum_duplicates()
    matrix.data[:] = 1.0
    model = BayesianPersonalizedRanking(
        factors=50, iterations=epochs, random_state=np.random.default_rng(0)
    )
    times = []
    clock = [time.perf_counter()]

    def callback(*_):
        now = time.perf_counter()
        times.append(now - clock[0])
        clock[0] = now

    clock[0] = time.perf_counter()
    model.fit(matrix, show_progress=False, callback=callback)
    return {
        "model": "implicit-bpr",
        "epoch_seconds": float(np.median(times)),
        "interactions_per_second": len(train) / float(np.median(times)),
    }


def child(args):
    split = split_of(load(args.data))
    if args.child == "implicit-bpr":
        result = run_implicit(split)
    else:
        result = run_ours(args.child, split, args.steps)
    result["peak_rss_gib"] = peak_rss_gib()
    print("RESULT " + json.dumps(result), flush=True)


def row(result):
    epoch = result.get("epoch_seconds")
    mark = "~" if result.get("extrapolated") else ""
    cells = [
        f"{result['model']:<16}",
        f"{mark}{epoch:.1f}".rjust(10) if epoch is not None else "-".rjust(10),
        f"{result['interactions_per_second']:,.0f}".rjust(14)
        if epoch is not None
        else "-".rjust(14),
        f"{result['validation_seconds']:.1f}".rjust(8)
        if "validation_seconds" in result
        else "-".rjust(8),
        f"{result['test_seconds']:.1f}".rjust(8)
        if "test_seconds" in result
        else "-".rjust(8),
        f"{result['peak_rss_gib']:.2f}".rjust(9),
    ]
    return "".join(cells)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", default="yelp")
    parser.add_argument("--users", type=int, default=None)
    parser.add_argument("--items", type=int, default=None)
    parser.add_argument("--mean-interactions", type=float, default=None)
    parser.add_argument("--models", nargs="+", default=MODELS)
    parser.add_argument(
        "--steps", type=int, default=0,
        help="time only this many batches per model (0: a whole epoch)",
    )
    parser.add_argument("--no-implicit", action="store_true")
    parser.add_argument("--save", help="also write the generated data here (.npz)")
    parser.add_argument("--load", help="use data written by --save instead")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args)

    start = time.perf_counter()
    data = load(args.load) if args.load else make_data(args)
    generated = time.perf_counter() - start
    if args.save:
        save(data, args.save)
    split = split_of(data)
    print(
        f"data: {data.num_users:,} users, {data.num_items:,} items, "
        f"{len(data):,} interactions ({'loaded' if args.load else 'generated'} "
        f"in {generated:.0f} s); "
        f"train {len(split.train):,}, validation {len(split.val):,}, "
        f"test {len(split.test):,}",
        flush=True,
    )
    names = list(args.models)
    try:
        import implicit  # noqa: F401

        if not args.no_implicit:
            names.append("implicit-bpr")
    except ImportError:
        print("implicit is not installed: no peer run", flush=True)
    header = (
        f"{'model':<16}{'s/epoch':>10}{'interactions/s':>14}"
        f"{'val s':>8}{'test s':>8}{'peak GiB':>9}"
    )
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "data.npz")
        save(data, path)
        del data, split
        print(header, flush=True)
        for name in names:
            command = [
                sys.executable, __file__, "--child", name, "--data", path,
                "--steps", str(args.steps),
            ]
            done = subprocess.run(command, capture_output=True, text=True)
            lines = [
                line for line in done.stdout.splitlines()
                if line.startswith("RESULT ")
            ]
            if done.returncode or not lines:
                print(f"{name:<16}failed:\n{done.stderr[-2000:]}", flush=True)
                continue
            results[name] = json.loads(lines[-1][len("RESULT "):])
            print(row(results[name]), flush=True)
    if "bpr" in results and "implicit-bpr" in results:
        ratio = (
            results["bpr"]["epoch_seconds"]
            / results["implicit-bpr"]["epoch_seconds"]
        )
        print(f"our BPR epoch / implicit's BPR epoch: {ratio:.1f}x")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
