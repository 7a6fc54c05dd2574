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

With `--race`, instead, the time-to-quality race on ML-1M-sized data
(`synthetic(shape="ml-1m")`, or a real dataset with `--race-dataset`):
implicit's BPR (50 factors, its default rate and regularisation, all
cores) trains up to `--race-iterations` iterations, with validation
Recall@10 checked every 5; its best value is the target, and its time the
training time up to that checkpoint. Our BPR (package defaults) then
trains until its validation Recall@10 (checked after every epoch) reaches
the target, or `--race-epochs` epochs. Evaluation time is not counted on
either side; our first epoch includes tracing. Both use the same split.

    python benchmarks/scale.py --race
    RNR_DATA_DIR=/path/to/data python benchmarks/scale.py --race --race-dataset ml-1m

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


def race_data(args):
    from rnr_keras import datasets
    from rnr_keras import protocol

    if args.race_dataset:
        data = datasets.load(args.race_dataset)
    else:
        data = datasets.load("synthetic", shape="ml-1m", seed=0)
    return protocol.all_but_last_one(data, seed=0)


def race_implicit(split, iterations):
    """implicit's BPR on all cores: its best validation Recall@10 and the
    training seconds up to that checkpoint."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import peer_comparison

    best = peer_comparison.fit_implicit(
        peer_comparison.user_item_matrix(split.train),
        {}, 0, split, eval_every=5, iterations=iterations, num_threads=0,
    )
    return {
        "target_recall_at_10": best["recall"],
        "seconds": best["train_seconds"],
        "iterations": best["iterations"],
    }


def race_ours(split, target, epochs):
    """Our BPR until its validation Recall@10 reaches `target`."""
    import keras

    from rnr_keras import evaluation
    from rnr_keras import training

    keras.utils.set_random_seed(0)
    model = training.build_model("bpr", split.num_users, split.num_items)
    model.adapt(split.train)
    model.compile()
    state = {"seconds": 0.0, "best": 0.0, "reached": None, "epoch_seconds": []}

    class Race(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            state["start"] = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            state["epoch_seconds"].append(time.perf_counter() - state["start"])
            state["seconds"] += state["epoch_seconds"][-1]
            recall = evaluation.evaluate_ranking(model, split.val, split.train)[
                "recall@10"
            ]
            state["best"] = max(state["best"], recall)
            if recall >= target:
                state["reached"] = epoch + 1
                model.stop_training = True

    model.fit(
        model.training_dataset(split.train), epochs=epochs, callbacks=[Race()],
        verbose=0,
    )
    return {
        "seconds": state["seconds"],
        "epochs": state["reached"],
        "best_recall_at_10": state["best"],
        "epoch_seconds": state["epoch_seconds"],
        "jit_compile": bool(model.jit_compile),
    }


def race(args):
    split = race_data(args)
    print(
        f"race data: {split.num_users:,} users, {split.num_items:,} items, "
        f"train {len(split.train):,}, validation {len(split.val):,}",
        flush=True,
    )
    peer = race_implicit(split, args.race_iterations)
    print(
        f"implicit BPR: best validation Recall@10 {peer['target_recall_at_10']:.4f} "
        f"after {peer['iterations']} iterations, {peer['seconds']:.1f} s of training",
        flush=True,
    )
    ours = race_ours(split, peer["target_recall_at_10"], args.race_epochs)
    if ours["epochs"] is None:
        print(
            f"our BPR: did not reach it in {args.race_epochs} epochs "
            f"({ours['seconds']:.1f} s; best {ours['best_recall_at_10']:.4f})"
        )
    else:
        print(
            f"our BPR: reached it after {ours['epochs']} epochs, "
            f"{ours['seconds']:.1f} s of training: "
            f"{ours['seconds'] / peer['seconds']:.1f}x implicit's time"
        )
    print(
        "our BPR epochs (s): "
        + ", ".join(f"{seconds:.1f}" for seconds in ours["epoch_seconds"])
        + f" (XLA: {ours['jit_compile']}; the first one traces and compiles)"
    )
    print(json.dumps({"implicit-bpr": peer, "bpr": ours}))


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
    parser.add_argument(
        "--race", action="store_true",
        help="time to reach implicit's validation Recall@10 (ML-1M-sized)",
    )
    parser.add_argument(
        "--race-dataset", help="a dataset name for datasets.load (default: "
        "synthetic, shape ml-1m)",
    )
    parser.add_argument("--race-iterations", type=int, default=100)
    parser.add_argument("--race-epochs", type=int, default=100)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args)
    if args.race:
        return race(args)

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
