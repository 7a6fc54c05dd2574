"""Training throughput of every zoo model on ML-1M-sized data.

Generates an ML-1M-sized synthetic dataset (6,040 users, 3,706 items, ~1M
ratings), then for each model times `fit` epochs after a warm-up epoch and
prints training samples/s (interactions per second; for row models, the
interactions contained in the user rows), seconds per epoch and the peak
resident memory of the process.

    python benchmarks/training_speed.py [--models bpr cdae ...] [--epochs 3]
"""

import argparse
import os
import resource
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402

from rnr_keras import datasets  # noqa: E402
from rnr_keras import inputs  # noqa: E402
from rnr_keras import training  # noqa: E402

MODELS = [
    "bpr", "svd", "cdae", "vanilla-bpr-svd", "vanilla-cdae-svd",
    "rnr-bpr-svd", "rnr-cdae-svd",
]


def peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=MODELS)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--users", type=int, default=6040)
    parser.add_argument("--items", type=int, default=3706)
    parser.add_argument("--mean-interactions", type=float, default=170)
    args = parser.parse_args()

    data = datasets.synthetic(
        num_users=args.users, num_items=args.items,
        mean_interactions=args.mean_interactions, seed=0,
    )
    print(f"data: {data!r}, peak RSS {peak_rss_mib():.0f} MiB")
    print(f"{'model':<18}{'samples/s':>12}{'s/epoch':>10}{'peak MiB':>10}")
    for name in args.models:
        keras.utils.clear_session()
        keras.utils.set_random_seed(0)
        model = training.build_model(name, data.num_users, data.num_items)
        model.adapt(data)
        model.compile()
        train = inputs.dataset_for(model, data, batch_size=args.batch_size)
        model.fit(train, epochs=1, verbose=0)  # warm-up: tracing
        start = time.perf_counter()
        model.fit(train, epochs=args.epochs, verbose=0)
        seconds = (time.perf_counter() - start) / args.epochs
        print(
            f"{name:<18}{len(data) / seconds:>12,.0f}{seconds:>10.2f}"
            f"{peak_rss_mib():>10.0f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
