"""A seeded synthetic dataset with a planted choose-then-rate process."""

import numbers

import numpy as np

from rnr_keras.datasets.interactions import Interactions

# Every user has at least this many interactions, so the paper's "drop users
# with fewer than 4" filter removes nobody.
MIN_INTERACTIONS = 4
# No user interacts with more than this share of the catalog (ML-1M's most
# active user rated 62% of it), so every user keeps unseen items to rank.
MAX_CATALOG_FRACTION = 0.5
# Spread of the log-normal activity distribution; 1.0 gives ML-1M's ratio
# of median to mean interactions per user (about 0.6).
ACTIVITY_SIGMA = 1.0
# Timestamps: integer unix seconds over two years from 2000-01-01 UTC.
EPOCH = 946_684_800
SPAN_SECONDS = 2 * 365 * 86_400
# Rating scale: the latent score's mean and the standard deviation of each
# part, calibrated so that, at the defaults, ratings look like MovieLens
# (mean about 3.5, mode 4, every level from 1 to 5 used).
RATING_MEAN = 3.3
USER_BIAS_SCALE = 0.5
ITEM_BIAS_SCALE = 0.45
TASTE_SCALE = 0.8
# Users are generated in chunks of about this many (user, item) logits, so
# memory stays bounded however many users are asked for.
CHUNK_LOGITS = 1 << 22
# The exact sampler computes every (user, item) logit: about 130 ns each on
# one core, so 2**28 of them (e.g. 20,000 users x 13,000 items) take about
# half a minute. Larger calls use the candidate sampler (`_choose_sampled`),
# which draws the same distribution approximately in time linear in the
# number of interactions. The choice depends on the size alone, so a
# `shape` gives the same arrays as its values passed by hand.
EXACT_MAX_LOGITS = 1 << 28
# Candidate sampler: users are grouped by their selection traits into at
# most this many clusters (k-means on a sample), and each cluster proposes
# items from its own exact selection distribution at the centroid, so the
# importance weights left to correct are those of the distance to the
# centroid, not of the whole personal term. The proposal tables hold at
# most PROPOSAL_TABLE floats (num_clusters x num_items).
NUM_CLUSTERS = 256
PROPOSAL_TABLE = 1 << 26
KMEANS_SAMPLE = 32_768
KMEANS_STEPS = 8
# Candidates drawn per user: this many times its number of choices, at least
# MIN_CANDIDATES, in chunks of about CHUNK_CANDIDATES.
CANDIDATE_FACTOR = 8
MIN_CANDIDATES = 32
CHUNK_CANDIDATES = 1 << 20

# The documented default of every argument a `shape` can set.
DEFAULTS = {
    "num_users": 1000,
    "num_items": 600,
    "mean_interactions": 50,
    "num_traits": 8,
    "selection_strength": 2.0,
    "popularity_skew": 1.3,
    "activity_spread": ACTIVITY_SIGMA,
    "trait_overlap": 0.5,
    "rating_noise": 0.5,
}
# Presets of the size (and, for Yelp, the long tails) of the paper's
# datasets: `mean_interactions` is set so that the realised mean matches
# the real one (ML-100K 106.0, ML-1M 165.6, Yelp 12.4 per user after the
# 4-interaction filter). Yelp's users and items are far more long-tailed
# than MovieLens's: `activity_spread=1.5` gives a median user of 6
# interactions and a most active one of about 2,400, `popularity_skew=1.5`
# a median item of 7 and a most chosen one of about 7,000. Items nobody
# chooses are left out, so Yelp's catalog starts at 196,000 for about the
# paper's 168,000 to remain.
SHAPES = {
    "ml-100k": {
        "num_users": 943,
        "num_items": 1682,
        "mean_interactions": 112,
    },
    "ml-1m": {
        "num_users": 6040,
        "num_items": 3706,
        "mean_interactions": 167,
    },
    "yelp": {
        "num_users": 295_000,
        "num_items": 196_000,
        "mean_interactions": 12.9,
        "popularity_skew": 1.5,
        "activity_spread": 1.5,
    },
}


def synthetic(
    *,
    shape=None,
    num_users=None,
    num_items=None,
    mean_interactions=None,
    num_traits=None,
    selection_strength=None,
    popularity_skew=None,
    activity_spread=None,
    trait_overlap=None,
    rating_noise=None,
    seed=0,
    return_traits=False,
):
    """Generates explicit-feedback data from a planted choose-then-rate model.

    Users first CHOOSE items by one set of latent traits, then RATE the items
    they chose by partly different, post-consumption traits: the two-phase
    decision that Rank and Rate models (Hadash et al. 2018, section 4). A
    ranking model must learn the selection traits, a rating model the rating
    traits, and because the rating traits are partly made of the selection
    traits (`trait_overlap`), the ratings carry real information for ranking.
    Nothing is downloaded; the same arguments always give the same arrays.

    The generative story, with `k = num_traits` and `rho = trait_overlap`:

    1. Selection. User traits `a_u ~ N(0, I_k)`, item traits
       `b_i ~ N(0, I_k)`, item popularity `z_i ~ N(0, 1)`. User `u` makes
       `n_u = 4 + floor(LogNormal)` choices (long-tailed like MovieLens,
       log-standard deviation `activity_spread`, mean about
       `mean_interactions`, capped at half the catalog): `n_u` distinct
       items drawn one by one without replacement, each with probability
       proportional to `exp(logit_ui)` among those left, where
       `logit_ui = selection_strength * a_u . b_i / sqrt(k)
       + popularity_skew * z_i` (sampled with the Gumbel-top-k trick).
       Item weights are log-normal in popularity, so Popularity is a real
       baseline, and the personal term is what beats it.
    2. Time. Each user is active over a random window of the two years from
       2000-01-01 UTC. Their chosen items get distinct, increasing integer
       unix seconds in a random order, so the chronologically last item is
       a draw from the same preferences as the rest.
    3. Rating. Post-consumption traits mix the selection traits with fresh
       ones: `c_u = rho * a_u + sqrt(1 - rho^2) * e_u`,
       `d_i = rho * b_i + sqrt(1 - rho^2) * f_i` (`e_u, f_i ~ N(0, I_k)`),
       and the item's rating bias mixes its popularity the same way,
       `q_i = rho * z_i + sqrt(1 - rho^2) * h_i`. Then
       `r_ui = clip(round(3.3 + 0.5 * g_u + 0.45 * q_i
       + 0.8 * c_u . d_i / sqrt(k) + rating_noise * eps_ui), 1, 5)` with
       `g_u, h_i, eps_ui ~ N(0, 1)`. Per (user, item) pair, the taste term
       `c_u . d_i` correlates with the selection term `a_u . b_i` with
       coefficient `rho^2`: a rating model learns the post-consumption
       traits (what RnR's item deviation and shared projection are for),
       and a ranking model gains from the part they share.

    Items nobody chose are left out, as in a real log: every item index is
    used, and the raw item ids keep their gaps (like MovieLens 1M's), so
    `data.num_items` can come out a little below `num_items`.

    Sampling is exact while `num_users * num_items` is at most
    `EXACT_MAX_LOGITS` (2**28, about half a minute on one core); larger
    calls draw each user's items from a few times `n_u` candidates
    proposed by users of similar traits, with importance-corrected
    Gumbel-top-k keys: the same distribution approximately (the chosen
    items' mean personal term within 2% of the exact sampler's) in time
    linear in the number of interactions. The choice depends on the sizes
    alone, so a `shape` gives the same arrays as its values passed by hand.

    At the defaults (seed 0): 1,000 users, 598 items, 49,190 ratings
    (density 8.2%, 4 to 300 per user, median 32), rating mean 3.62 with
    histogram 2.7 / 11.9 / 29.1 / 33.1 / 23.3% for 1..5. Under
    `all_but_last_one`, Recall@10 of the held-out item over all unseen items
    is about 0.02 for random, 0.10 for Popularity, 0.33 for a PureSVD fitted
    to the training data and 0.47 for the true selection logits.

    `shape` sets the size of one of the paper's datasets (explicit
    arguments win over it; see `SHAPES`):

    - `"ml-100k"`: 943 users, 1,682 items, `mean_interactions=112`
      (about 100,000 ratings).
    - `"ml-1m"`: 6,040 users, 3,706 items, `mean_interactions=167`
      (about 1M ratings, a few seconds; Popularity's Recall@10 0.04).
    - `"yelp"`: 295,000 users, 196,000 items of which about 168,000 are
      chosen, `mean_interactions=12.9` (about 3.67M ratings, 12.4 per
      user), `popularity_skew=1.5`, `activity_spread=1.5`: long-tailed
      users (median 6, most about 2,400) and items (median 7, most about
      7,000). Candidate-sampled, about 25 seconds and 1.5 GiB on 2 cores.

    Args:
        shape: str or `None`. A preset of sizes, one of `"ml-100k"`,
            `"ml-1m"`, `"yelp"`. The arguments from `num_users` to
            `rating_noise` default to `None`: the shape's value where it
            sets one, else the default stated below. Defaults to `None`.
        num_users: int. Number of users. Defaults to 1000.
        num_items: int. Size of the catalog, at least 8. Defaults to 600.
        mean_interactions: float. Mean interactions per user before the cap
            at half the catalog, at least 4. Defaults to 50.
        num_traits: int. Dimension `k` of every latent trait vector.
            Defaults to 8.
        selection_strength: float. Weight of the personal term
            `a_u . b_i / sqrt(k)` (unit variance) in the selection logits;
            0 makes the choice depend on popularity alone. Defaults to 2.0.
        popularity_skew: float. Standard deviation of the log popularity
            weights; 0 makes all items equally popular a priori.
            Defaults to 1.3.
        activity_spread: float. Standard deviation of the log of each
            user's interactions beyond the first 4; 0 gives every user
            about `mean_interactions`. Defaults to 1.0.
        trait_overlap: float in [0, 1]. `rho`, how much the rating traits
            are made of the selection traits: 0 makes ratings independent
            of the choice, 1 rates by the very traits that chose.
            Defaults to 0.5.
        rating_noise: float. Standard deviation of the per-rating noise on
            the latent score. Defaults to 0.5.
        seed: int >= 0. Seed of every random draw. Defaults to 0.
        return_traits: bool. Whether to also return the planted ground
            truth. Defaults to `False`.

    Returns:
        `Interactions` named `"synthetic"`, ordered by user then time, with
        integer raw ids `1..num_users` and, for items, the chosen ones among
        `1..num_items` (like MovieLens). With `return_traits=True`, a tuple
        `(data, traits)` where `traits` is a dict of float64 arrays indexed
        like `data`: `user_selection` (`a`, `(data.num_users, k)`),
        `item_selection` (`b`, `(data.num_items, k)`), `item_popularity`
        (`popularity_skew * z`), `user_rating` (`c`), `item_rating` (`d`),
        `user_bias` (`0.5 * g`) and `item_bias` (`0.45 * q`). The true
        selection logits are
        `selection_strength * a @ b.T / sqrt(k) + item_popularity`.

    Example:

    >>> data = synthetic(num_users=50, num_items=40, seed=0)
    >>> data.num_users, data.num_items, int(data.user_counts().min()) >= 4
    (50, 40, True)
    >>> sorted(set(data.ratings.tolist())) == [1.0, 2.0, 3.0, 4.0, 5.0]
    True
    >>> small = synthetic(shape="ml-100k", num_users=20)  # ML-100K's catalog
    >>> small.num_users, small.num_items <= 1682
    (20, True)

    References:
        Hadash, Sar Shalom, Osadchy. Rank and Rate: Multi-task Learning for
        Recommender Systems. RecSys 2018.
        Kool, van Hoof, Welling. Stochastic Beams and Where to Find Them:
        The Gumbel-Top-k Trick. ICML 2019.
    """
    if shape is not None and shape not in SHAPES:
        raise ValueError(
            f"Unknown `shape` {shape!r}. Known shapes: {', '.join(SHAPES)}. "
            f"Received: shape={shape!r}"
        )
    # Arguments passed explicitly win over the shape's, which win over the
    # documented defaults.
    given = {
        "num_users": num_users,
        "num_items": num_items,
        "mean_interactions": mean_interactions,
        "num_traits": num_traits,
        "selection_strength": selection_strength,
        "popularity_skew": popularity_skew,
        "activity_spread": activity_spread,
        "trait_overlap": trait_overlap,
        "rating_noise": rating_noise,
    }
    values = {**DEFAULTS, **SHAPES.get(shape, {})}
    values.update({k: v for k, v in given.items() if v is not None})
    num_users = values["num_users"]
    num_items = values["num_items"]
    mean_interactions = values["mean_interactions"]
    num_traits = values["num_traits"]
    selection_strength = values["selection_strength"]
    popularity_skew = values["popularity_skew"]
    activity_spread = values["activity_spread"]
    trait_overlap = values["trait_overlap"]
    rating_noise = values["rating_noise"]

    _check_integer("num_users", num_users, minimum=1)
    _check_integer("num_items", num_items, minimum=2 * MIN_INTERACTIONS)
    _check_real(
        "mean_interactions", mean_interactions, minimum=MIN_INTERACTIONS
    )
    _check_integer("num_traits", num_traits, minimum=1)
    _check_real("selection_strength", selection_strength, minimum=0.0)
    _check_real("popularity_skew", popularity_skew, minimum=0.0)
    _check_real("activity_spread", activity_spread, minimum=0.0)
    _check_real("trait_overlap", trait_overlap, minimum=0.0, maximum=1.0)
    _check_real("rating_noise", rating_noise, minimum=0.0)
    _check_integer("seed", seed, minimum=0)
    if not isinstance(return_traits, (bool, np.bool_)):
        raise ValueError(
            "`return_traits` must be a bool. Received: "
            f"return_traits={return_traits!r}"
        )
    num_users, num_items, k = int(num_users), int(num_items), int(num_traits)
    rho = float(trait_overlap)
    rest = np.sqrt(1.0 - rho**2)
    rng = np.random.default_rng(int(seed))

    # Every per-user and per-item draw comes first, in a fixed order, so the
    # stream does not depend on how users are chunked below.
    a = rng.standard_normal((num_users, k))
    b = rng.standard_normal((num_items, k))
    z = rng.standard_normal(num_items)
    e = rng.standard_normal((num_users, k))
    f = rng.standard_normal((num_items, k))
    g = rng.standard_normal(num_users)
    h = rng.standard_normal(num_items)

    cap = int(MAX_CATALOG_FRACTION * num_items)
    excess = float(mean_interactions) - MIN_INTERACTIONS
    # LogNormal(log(m) - s^2 / 2, s) has mean m; flooring it lets some users
    # have exactly 4, and a mean of 4 gives every user 4.
    spread = float(activity_spread)
    log_scale = np.log(max(excess, 1e-12)) - spread**2 / 2
    counts = MIN_INTERACTIONS + np.floor(
        np.exp(log_scale + spread * rng.standard_normal(num_users))
    )
    counts = np.clip(counts, MIN_INTERACTIONS, cap).astype(np.int64)

    # Activity windows: mostly short bursts, some users active for months.
    duration = SPAN_SECONDS * rng.beta(0.5, 2.0, size=num_users)
    # Leave `counts` seconds of room for the tie-breaking below.
    start = rng.random(num_users) * (SPAN_SECONDS - duration - counts)

    # Selection: `counts[u]` items without replacement with probability
    # proportional to exp(logit), exactly or, past EXACT_MAX_LOGITS, by the
    # candidate sampler.
    popularity = float(popularity_skew) * z
    scale = float(selection_strength) / np.sqrt(k)
    if num_users * num_items <= EXACT_MAX_LOGITS:
        items = _choose_exact(rng, a, b, popularity, scale, counts)
    else:
        items = _choose_sampled(rng, a, b, popularity, scale, counts)
    users = np.repeat(np.arange(num_users), counts)

    # Time: random offsets in each user's window, sorted within the user.
    # Sorting the offsets (not the Gumbel ranks) puts the chosen items in a
    # random order, so the last one is no less preferred than the rest.
    offsets = rng.random(len(users)) * duration[users]
    order = np.lexsort((offsets, users))
    items, offsets = items[order], offsets[order]
    indptr = np.concatenate([[0], np.cumsum(counts)])
    # Adding the position within the user makes the seconds strictly
    # increasing even where two offsets fall in the same second.
    position = np.arange(len(users)) - indptr[users]
    timestamps = (
        EPOCH + np.floor(start[users] + offsets).astype(np.int64) + position
    )

    # Rating: post-consumption traits are a rho-mix of selection traits and
    # fresh ones, and so is the item's rating bias with its popularity.
    c = rho * a + rest * e
    d = rho * b + rest * f
    user_bias = USER_BIAS_SCALE * g
    item_bias = ITEM_BIAS_SCALE * (rho * z + rest * h)
    taste = np.einsum("nk,nk->n", c[users], d[items]) / np.sqrt(k)
    score = (
        RATING_MEAN
        + user_bias[users]
        + item_bias[items]
        + TASTE_SCALE * taste
        + float(rating_noise) * rng.standard_normal(len(users))
    )
    ratings = np.clip(np.rint(score), 1, 5)

    # Items nobody chose are left out, as in a real log: every item index is
    # used, and the raw ids keep their gaps (as MovieLens 1M's do).
    kept = np.flatnonzero(np.bincount(items, minlength=num_items))
    index = np.zeros(num_items, dtype=np.int64)
    index[kept] = np.arange(len(kept))
    data = Interactions(
        users,
        index[items],
        ratings,
        timestamps,
        user_ids=np.arange(1, num_users + 1, dtype=np.int64),
        item_ids=kept + 1,
        name="synthetic",
    )
    if not return_traits:
        return data
    traits = {
        "user_selection": a,
        "item_selection": b[kept],
        "item_popularity": popularity[kept],
        "user_rating": c,
        "item_rating": d[kept],
        "user_bias": user_bias,
        "item_bias": item_bias[kept],
    }
    return data, traits


def _choose_exact(rng, a, b, popularity, scale, counts):
    """Every user's chosen items, flat in user order, by the Gumbel-top-k
    trick over the whole catalog, in chunks of users so that the (users,
    items) logits never get large."""
    num_users, num_items = len(a), len(b)
    chunk = max(1, CHUNK_LOGITS // num_items)
    chosen = []
    for lo in range(0, num_users, chunk):
        hi = min(lo + chunk, num_users)
        logits = scale * (a[lo:hi] @ b.T) + popularity
        logits += rng.gumbel(size=logits.shape)
        top, keep = _top_counts(logits, counts[lo:hi])
        chosen.append(top[keep])
    return np.concatenate(chosen)


def _top_counts(keys, counts):
    """The columns of each row's `counts[r]` largest keys, largest first:
    `(top, keep)`, where row `r` of `top[keep]` has `counts[r]` columns."""
    # Only the top `most` columns matter: partition in linear time, then
    # sort just those.
    most = int(counts.max())
    top = np.argpartition(-keys, most - 1, axis=1)[:, :most]
    rank = np.argsort(-np.take_along_axis(keys, top, axis=1), axis=1)
    top = np.take_along_axis(top, rank, axis=1)
    return top, np.arange(most) < counts[:, None]


def _choose_sampled(rng, a, b, popularity, scale, counts):
    """`_choose_exact`'s distribution, approximately, in time linear in the
    number of choices.

    Users are clustered by their selection traits `a_u`. A user of cluster
    `c` draws `M` candidates with replacement from the cluster's proposal
    `q_c(i)` proportional to `exp(scale * m_c . b_i + popularity_i)` (`m_c`
    the centroid), which contains candidate `i` with probability
    `pi_i = 1 - (1 - q_c(i))^M`. Gumbel-top-k over the distinct candidates
    on the importance-corrected keys `logit_ui - log(pi_i)` then picks the
    user's items: as `M` grows this becomes the exact sampler, and the
    closer the proposal is to the user's own distribution, the sooner.
    A user left with fewer distinct candidates than choices (only possible
    in a small catalog) is sampled exactly.
    """
    num_users, k = a.shape
    num_items = len(b)
    num_clusters = max(
        1, min(NUM_CLUSTERS, num_users, PROPOSAL_TABLE // num_items)
    )
    centroids, cluster = _cluster(rng, a, num_clusters)

    # Each proposal's cumulative weights, for inverse-CDF draws; the last
    # is exactly 1, so a uniform draw never lands past the last item.
    table = scale * (centroids @ b.T) + popularity
    peak = table.max(axis=1, keepdims=True)
    np.exp(table - peak, out=table)
    np.cumsum(table, axis=1, out=table)
    log_norm = peak[:, 0] + np.log(table[:, -1])
    table /= table[:, -1:]

    indptr = np.concatenate([[0], np.cumsum(counts)])
    items = np.empty(indptr[-1], dtype=np.int64)
    exact = []
    # Users in order of activity, so a chunk's rows need about the same
    # number of candidates.
    order = np.argsort(counts, kind="stable")
    lo = 0
    while lo < num_users:
        # As many users as fit, sized by the last (most active) of them.
        draws = _num_candidates(counts[order[lo]])
        hi = min(num_users, lo + max(1, CHUNK_CANDIDATES // draws))
        draws = _num_candidates(counts[order[hi - 1]])
        hi = min(hi, lo + max(1, CHUNK_CANDIDATES // draws))
        draws = _num_candidates(counts[order[hi - 1]])
        # Within the chunk, users of one cluster together: each cluster's
        # search then stays in its own table row, which fits in cache.
        rows = order[lo:hi]
        rows = rows[np.argsort(cluster[rows], kind="stable")]
        lo = hi
        n, c = counts[rows], cluster[rows]
        # Sorted draws search faster and come out as sorted candidates,
        # which is how repeats are found.
        uniform = rng.random((len(rows), draws))
        uniform.sort(axis=1)
        candidates = np.empty(uniform.shape, dtype=np.int64)
        bounds = np.searchsorted(c, np.arange(num_clusters + 1))
        for j in np.flatnonzero(np.diff(bounds)):
            part = slice(bounds[j], bounds[j + 1])
            candidates[part] = np.searchsorted(
                table[j], uniform[part], side="right"
            )
        repeat = np.zeros(candidates.shape, dtype=bool)
        repeat[:, 1:] = candidates[:, 1:] == candidates[:, :-1]

        # Both dot products, user and centroid, in one batched matmul.
        both = np.stack([a[rows], centroids[c]], axis=2)
        dots = b[candidates] @ both
        base = popularity[candidates]
        logits = scale * dots[..., 0] + base
        log_q = scale * dots[..., 1] + base - log_norm[c][:, None]
        with np.errstate(divide="ignore"):
            log_pi = np.log(-np.expm1(draws * np.log1p(-np.exp(log_q))))
        keys = logits - log_pi + rng.gumbel(size=logits.shape)
        keys[repeat] = -np.inf

        short = (draws - repeat.sum(axis=1)) < n
        exact.append(rows[short])
        top, keep = _top_counts(keys, n)
        keep &= ~short[:, None]
        picked = np.take_along_axis(candidates, top, axis=1)
        where = indptr[rows][:, None] + np.arange(top.shape[1])
        items[where[keep]] = picked[keep]

    exact = np.concatenate(exact)
    if len(exact):
        chosen = _choose_exact(
            rng, a[exact], b, popularity, scale, counts[exact]
        )
        n = counts[exact]
        start = np.repeat(indptr[exact], n)
        within = np.arange(len(chosen)) - np.repeat(np.cumsum(n) - n, n)
        items[start + within] = chosen
    return items


def _num_candidates(count):
    return max(MIN_CANDIDATES, CANDIDATE_FACTOR * int(count))


def _cluster(rng, a, num_clusters):
    """`num_clusters` centroids of the rows of `a` by a few k-means steps on
    a sample, and the nearest centroid of every row."""
    sample = a[rng.permutation(len(a))[:KMEANS_SAMPLE]]
    centroids = sample[:num_clusters].copy()
    for _ in range(KMEANS_STEPS):
        label = _nearest(sample, centroids)
        size = np.bincount(label, minlength=num_clusters)
        sums = np.stack(
            [
                np.bincount(label, sample[:, j], minlength=num_clusters)
                for j in range(a.shape[1])
            ],
            axis=1,
        )
        used = size > 0
        centroids[used] = sums[used] / size[used, None]
    return centroids, _nearest(a, centroids)


def _nearest(x, centroids):
    half_norm = 0.5 * np.einsum("ck,ck->c", centroids, centroids)
    chunk = max(1, CHUNK_LOGITS // len(centroids))
    return np.concatenate(
        [
            np.argmax(x[lo : lo + chunk] @ centroids.T - half_norm, axis=1)
            for lo in range(0, len(x), chunk)
        ]
    )


def _check_integer(name, value, minimum=None):
    if (
        isinstance(value, (bool, np.bool_))
        or not isinstance(value, numbers.Integral)
        or (minimum is not None and value < minimum)
    ):
        need = "an integer" if minimum is None else f"an integer >= {minimum}"
        if minimum == 1:
            need = "a positive integer"
        raise ValueError(
            f"`{name}` must be {need}. Received: {name}={value!r}"
        )


def _check_real(name, value, minimum=None, maximum=None):
    ok = (
        isinstance(value, numbers.Real)
        and not isinstance(value, (bool, np.bool_))
        and np.isfinite(value)
        and (minimum is None or value >= minimum)
        and (maximum is None or value <= maximum)
    )
    if not ok:
        if maximum is not None:
            need = f"a number in [{minimum}, {maximum}]"
        else:
            need = f"a finite number >= {minimum}"
        raise ValueError(
            f"`{name}` must be {need}. Received: {name}={value!r}"
        )
