"""How much of a training user's learnt top 10 a fold-in gives back.

For each shipped ML-100K preset whose model folds a new user in
(`recommend_for_items`), a seeded sample of training users is scored twice:
`model.recommend([u], 10)` (the learnt user) and
`model.recommend_for_items([u's training items], 10)` (the same user as a
new one, from their items alone, oldest first; with their ratings for a
rater-only model). Printed: the mean share of the learnt top 10 that the
fold-in gives back, and the same share when the fold-in is given another
(random) user's items instead, a floor for "nothing personal learnt".
Both top 10s leave the user's training items out. Needs MovieLens 100K
(`RNR_DATA_DIR`); from the repository root:

    RNR_DATA_DIR=../shared/data PYTHONPATH=. python benchmarks/fold_in_overlap.py
"""

import argparse

import numpy as np

from rnr_keras import zoo

PRESETS = (
    "bpr_ml-100k",
    "vanilla-bpr-svd_ml-100k",
    "rnr-bpr-svd_ml-100k",
    "cdae_ml-100k",
    "vanilla-cdae-svd_ml-100k",
    "rnr-cdae-svd_ml-100k",
    "svd_ml-100k",
)


def overlap(a, b):
    """Share of the items of row `a` that are in row `b` (-1 ignored)."""
    a, b = set(a[a >= 0].tolist()), set(b[b >= 0].tolist())
    return len(a & b) / max(len(a), 1)


def measure(name, n_users, seed):
    model = zoo.load(name)
    history = model.interaction_history
    indptr, items = history.sequences()
    ratings = np.asarray(history.sequence_ratings)  # same order as items
    rng = np.random.default_rng(seed)
    users = rng.choice(model.num_users, size=n_users, replace=False)
    others = (users + rng.integers(1, model.num_users, size=n_users)) % model.num_users
    rater_only = getattr(model, "ranker", None) is None
    learnt, _ = model.recommend(users, k=10)
    own, other = [], []
    for row, (user, stranger) in enumerate(zip(users, others)):
        given = items[indptr[user] : indptr[user + 1]]
        given_ratings = None
        if rater_only:
            given_ratings = ratings[indptr[user] : indptr[user + 1]]
        folded, _ = model.recommend_for_items(given, k=10, ratings=given_ratings)
        own.append(overlap(learnt[row], folded[0]))
        strange = items[indptr[stranger] : indptr[stranger + 1]]
        strange_ratings = None
        if rater_only:
            strange_ratings = ratings[indptr[stranger] : indptr[stranger + 1]]
        folded, _ = model.recommend_for_items(
            strange, k=10, ratings=strange_ratings
        )
        # Against the learnt user's list, without their training items.
        seen = set(given.tolist())
        folded = np.array([i for i in folded[0] if i not in seen] or [-1])
        other.append(overlap(learnt[row], folded))
    return float(np.mean(own)), float(np.mean(other))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--presets", nargs="+", default=list(PRESETS))
    args = parser.parse_args()
    print(f"{'preset':<28} {'own items':>10} {'other items':>12}  ({args.users} users)")
    for name in args.presets:
        own, other = measure(name, args.users, args.seed)
        print(f"{name:<28} {own:>10.3f} {other:>12.3f}")


if __name__ == "__main__":
    main()
