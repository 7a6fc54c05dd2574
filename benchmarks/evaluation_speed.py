"""Time `evaluate_ranking` on an ML-1M-sized case.

6,040 users x 3,706 items, ~1M training rows (the size of MovieLens 1M),
2,500 held-out users (the paper's validation half of 5,000), random float32
scores. With `--scorer table` (default) the score function looks rows up in
a precomputed score table, so the timing is the evaluation itself: the
copy, NaN check, training-item masking and rank counting. With
`--scorer keras` scores come from a `keras.ops.matmul` of random 64-d user
and item embeddings, so model scoring is included. From the repository
root:

    PYTHONPATH=. python benchmarks/evaluation_speed.py [--scorer keras]
"""

import argparse
import time

import numpy as np

from rnr_keras.datasets import Interactions
from rnr_keras.evaluation import evaluate_ranking


def make_case(num_users, num_items, num_train, num_heldout, seed):
    rng = np.random.default_rng(seed)
    keys = np.unique(
        rng.integers(0, num_users * num_items, size=num_train, dtype=np.int64)
    )
    train = Interactions(
        users=keys // num_items,
        items=keys % num_items,
        num_users=num_users,
        num_items=num_items,
    )
    users = rng.choice(num_users, size=num_heldout, replace=False)
    heldout = Interactions(
        users=users,
        items=rng.integers(0, num_items, size=num_heldout),
        num_users=num_users,
        num_items=num_items,
    )
    table = rng.random((num_users, num_items), dtype=np.float32)
    return train, heldout, table


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=6040)
    parser.add_argument("--items", type=int, default=3706)
    parser.add_argument("--train", type=int, default=1_000_209)
    parser.add_argument("--heldout", type=int, default=2500)
    parser.add_argument("--batch-size", type=int, default=1024)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--scorer", choices=("table", "keras"), default="table")
    args = parser.parse_args()

    train, heldout, table = make_case(
        args.users, args.items, args.train, args.heldout, seed=0
    )
    train.csr()  # built once per split in practice; keep it out of the timing

    if args.scorer == "table":

        def score(users):
            return table[users]

    else:
        import keras

        rng = np.random.default_rng(1)
        user_vectors = keras.ops.convert_to_tensor(
            rng.normal(size=(args.users, 64)).astype("float32")
        )
        item_vectors = keras.ops.convert_to_tensor(
            rng.normal(size=(64, args.items)).astype("float32")
        )

        def score(users):
            return keras.ops.matmul(
                keras.ops.take(user_vectors, users, axis=0), item_vectors
            )

    times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        result = evaluate_ranking(
            score, heldout, train, k=10, batch_size=args.batch_size
        )
        times.append(time.perf_counter() - start)
    best, median = min(times), float(np.median(times))
    print(
        f"{len(heldout)} held-out users x {args.items} items, "
        f"{len(train)} training rows, batch_size={args.batch_size}, "
        f"scorer={args.scorer}"
    )
    print(f"result: {result}")
    print(
        f"seconds: best {best:.4f}, median {median:.4f} "
        f"({len(heldout) / median:,.0f} users/s)"
    )


if __name__ == "__main__":
    main()
