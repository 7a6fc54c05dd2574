import hashlib
import importlib

import numpy as np
import pytest

from rnr_keras.datasets.interactions import Interactions
from rnr_keras.datasets.synthetic import synthetic
from rnr_keras.protocol import all_but_last_one

# The package exports the function `synthetic`, which hides the module of the
# same name from attribute access; the module itself holds the constants.
synthetic_module = importlib.import_module("rnr_keras.datasets.synthetic")


@pytest.fixture(scope="module")
def default():
    return synthetic(return_traits=True)


def _selection_logits(traits, users, selection_strength=2.0):
    a, b = traits["user_selection"], traits["item_selection"]
    return (
        selection_strength * a[users] @ b.T / np.sqrt(a.shape[1])
        + traits["item_popularity"]
    )


def _recall_at_10(split, scores):
    """Share of test users whose held-out item ranks in the top 10 of the
    items they have not seen in training (`scores`: one row per test user)."""
    scores = np.array(scores, dtype=np.float64)
    users = split.test.users
    indptr, _, _ = split.train.csr()
    rows = np.repeat(np.arange(len(users)), indptr[users + 1] - indptr[users])
    cols = np.concatenate([split.train_items(u) for u in users])
    scores[rows, cols] = -np.inf
    target = scores[np.arange(len(users)), split.test.items]
    rank = (scores > target[:, None]).sum(axis=1)
    return float(np.mean(rank < 10))


def _selection_recalls(data, traits, selection_strength=2.0):
    split = all_but_last_one(data, n_users=data.num_users, seed=0)
    users = split.test.users
    oracle = _selection_logits(traits, users, selection_strength)
    popularity = np.tile(split.train.item_counts(), (len(users), 1))
    return _recall_at_10(split, oracle), _recall_at_10(split, popularity)


def test_shapes_dtypes_and_ranges(default):
    data, _ = default
    assert isinstance(data, Interactions)
    assert data.name == "synthetic"
    assert data.num_users == 1000
    assert 580 <= data.num_items <= 600
    assert 40_000 <= len(data) <= 60_000
    assert data.users.dtype == np.int32 and data.items.dtype == np.int32
    assert data.ratings.dtype == np.float32
    assert data.timestamps.dtype == np.int64
    assert set(np.unique(data.ratings).tolist()) == {1.0, 2.0, 3.0, 4.0, 5.0}
    # Every user and every item index is used: contiguous index spaces.
    assert data.user_counts().min() >= 4
    assert data.user_counts().max() <= 300  # half the catalog
    assert data.item_counts().min() >= 1
    np.testing.assert_array_equal(data.user_ids, np.arange(1, 1001))
    assert data.item_ids.dtype == np.int64
    assert np.all(np.diff(data.item_ids) > 0)
    assert data.item_ids[0] >= 1 and data.item_ids[-1] <= 600
    pairs = data.users.astype(np.int64) * data.num_items + data.items
    assert len(np.unique(pairs)) == len(data)


def test_timestamps_increase_within_each_user(default):
    data, _ = default
    assert data.timestamps.min() >= synthetic_module.EPOCH
    span = synthetic_module.EPOCH + synthetic_module.SPAN_SECONDS
    assert data.timestamps.max() < span
    # Rows come grouped by user, in strictly increasing time.
    assert np.all(np.diff(data.users) >= 0)
    same_user = data.users[1:] == data.users[:-1]
    assert np.all(np.diff(data.timestamps)[same_user] > 0)
    # Activity spreads over the whole span, not one instant.
    assert data.timestamps.max() - data.timestamps.min() > 0.9 * (
        synthetic_module.SPAN_SECONDS
    )


def test_last_item_is_no_less_preferred_than_the_rest(default):
    data, traits = default
    a, b = traits["user_selection"], traits["item_selection"]
    logits = (
        2.0 * np.einsum("nk,nk->n", a[data.users], b[data.items]) / np.sqrt(8)
        + traits["item_popularity"][data.items]
    )
    counts = data.user_counts()
    centered = logits - (np.bincount(data.users, logits) / counts)[data.users]
    is_last = np.append(data.users[1:] != data.users[:-1], True)
    # A preference-ordered history would put the last item ~2 below its
    # user's mean; a random order puts it at the mean.
    assert abs(centered[is_last].mean()) < 0.3


def test_same_seed_gives_identical_arrays():
    first = synthetic(num_users=200, num_items=150, seed=7)
    second = synthetic(num_users=200, num_items=150, seed=7)
    for name in ("users", "items", "ratings", "timestamps", "item_ids"):
        np.testing.assert_array_equal(
            getattr(first, name), getattr(second, name)
        )


def test_different_seed_gives_different_data():
    first = synthetic(num_users=200, num_items=150, seed=0)
    second = synthetic(num_users=200, num_items=150, seed=1)
    pairs = lambda d: set(zip(d.users.tolist(), d.items.tolist()))
    overlap = len(pairs(first) & pairs(second)) / len(first)
    assert overlap < 0.5
    assert len(first) != len(second)


def test_chunking_does_not_change_the_result(monkeypatch):
    whole = synthetic(num_users=300, num_items=200, seed=3)
    # 1000 logits per chunk: 5 users at a time.
    monkeypatch.setattr(synthetic_module, "CHUNK_LOGITS", 1000)
    chunked = synthetic(num_users=300, num_items=200, seed=3)
    for name in ("users", "items", "ratings", "timestamps"):
        np.testing.assert_array_equal(
            getattr(whole, name), getattr(chunked, name)
        )


def test_rating_histogram_looks_like_explicit_feedback(default):
    data, _ = default
    levels, counts = np.unique(data.ratings, return_counts=True)
    np.testing.assert_array_equal(levels, [1, 2, 3, 4, 5])
    assert 3.0 <= data.ratings.mean() <= 4.0
    assert levels[np.argmax(counts)] == 4
    assert counts.min() / len(data) > 0.01


def test_selection_is_driven_by_the_planted_traits(default):
    data, traits = default
    oracle, popularity = _selection_recalls(data, traits)
    random = 10 / data.num_items
    assert oracle > popularity + 0.2
    assert popularity > 3 * random


def test_without_personal_traits_the_oracle_is_just_popularity():
    # Control for the test above: with no personal term in the choice, the
    # true logits are item popularity and lose their edge.
    data, traits = synthetic(selection_strength=0.0, return_traits=True)
    oracle, popularity = _selection_recalls(
        data, traits, selection_strength=0.0
    )
    assert abs(oracle - popularity) < 0.05


def test_ratings_depend_on_the_rating_traits(default):
    data, traits = default
    taste = np.einsum(
        "nk,nk->n",
        traits["user_rating"][data.users],
        traits["item_rating"][data.items],
    )
    assert np.corrcoef(taste, data.ratings)[0, 1] > 0.5


@pytest.mark.parametrize(
    "trait_overlap, low, high",
    [(0.0, -0.05, 0.05), (0.5, 0.05, 0.3), (1.0, 0.4, 1.0)],
)
def test_trait_overlap_ties_ratings_to_selection(trait_overlap, low, high):
    data, traits = synthetic(trait_overlap=trait_overlap, return_traits=True)
    selection = np.einsum(
        "nk,nk->n",
        traits["user_selection"][data.users],
        traits["item_selection"][data.items],
    )
    assert low < np.corrcoef(selection, data.ratings)[0, 1] < high


def test_dropped_items_keep_traits_aligned():
    # Very skewed popularity leaves many items unchosen: they are dropped,
    # and the returned item traits must follow the new indices.
    data, traits = synthetic(popularity_skew=3.0, return_traits=True)
    assert data.num_items < 600
    assert data.item_counts().min() >= 1
    assert len(traits["item_rating"]) == data.num_items
    assert len(traits["item_selection"]) == data.num_items
    assert data.item_ids[-1] <= 600
    assert len(np.setdiff1d(np.arange(1, 601), data.item_ids)) == (
        600 - data.num_items
    )
    taste = np.einsum(
        "nk,nk->n",
        traits["user_rating"][data.users],
        traits["item_rating"][data.items],
    )
    assert np.corrcoef(taste, data.ratings)[0, 1] > 0.5


def test_mean_interactions_sets_the_size():
    small = synthetic(num_users=300, num_items=200, mean_interactions=4)
    np.testing.assert_array_equal(small.user_counts(), 4)
    large = synthetic(num_users=300, num_items=200, mean_interactions=30)
    assert 25 <= len(large) / 300 <= 33
    # Long tail: the mean sits well above the median.
    assert np.median(large.user_counts()) < 0.8 * large.user_counts().mean()


def test_tiny_catalog_caps_users_at_half_of_it():
    data = synthetic(num_users=50, num_items=40, seed=0)
    assert data.user_counts().max() <= 20
    assert data.user_counts().min() >= 4


@pytest.mark.parametrize(
    "arg, value",
    [
        ("num_users", 0),
        ("num_users", 1.5),
        ("num_users", True),
        ("num_items", 7),
        ("num_items", "600"),
        ("mean_interactions", 3),
        ("mean_interactions", float("nan")),
        ("num_traits", 0),
        ("selection_strength", -1.0),
        ("popularity_skew", float("inf")),
        ("activity_spread", -0.5),
        ("trait_overlap", 1.5),
        ("trait_overlap", -0.1),
        ("rating_noise", -0.5),
        ("seed", 1.5),
        ("seed", -1),
        ("return_traits", "yes"),
        ("shape", "netflix"),
        ("shape", 1),
    ],
)
def test_bad_arguments_raise_naming_the_argument(arg, value):
    with pytest.raises(ValueError, match=f"`{arg}`") as info:
        synthetic(**{arg: value})
    assert f"Received: {arg}={value!r}" in str(info.value)


def test_arguments_are_keyword_only():
    with pytest.raises(TypeError):
        synthetic(100, 50)


def test_movielens_1m_sized_call():
    # Its speed is a benchmark's business, not a test's (no timing here).
    data = synthetic(shape="ml-1m")
    assert data.num_users == 6040
    assert 3600 <= data.num_items <= 3706
    # ML-1M has 1,000,209 ratings, 165.6 per user.
    assert 960_000 <= len(data) <= 1_040_000
    assert data.user_counts().min() >= 4


def _digest(data):
    digest = hashlib.sha256()
    for name in ("users", "items", "ratings", "timestamps", "user_ids",
                 "item_ids"):
        array = np.ascontiguousarray(getattr(data, name))
        digest.update(name.encode())
        digest.update(str(array.dtype).encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


# Recorded before the shapes and the candidate sampler were added: the exact
# sampler's output must not move (with numpy 2.4; a numpy that changed its
# random streams would change these too).
PINNED = [
    ({}, "59846506f1eee5d08f355229fcbac3d85e03e49b02220f06f98b6ce6562d97f2"),
    (
        {"num_users": 200, "num_items": 150, "seed": 7},
        "5b5ced1c835cbbc9262bcfb00e27ad4f94d45d61463cd83e9e97623af55d1d61",
    ),
    (
        {"num_users": 50, "num_items": 40, "seed": 0},
        "80ac5081564746d41aac108ba3868007dd849ea9623da069903edc0ce62009a1",
    ),
    (
        {"num_users": 300, "num_items": 200, "mean_interactions": 30,
         "popularity_skew": 2.0, "seed": 5},
        "ed77da2b44621bd613ff25dee9e9e8426810f35380a0057d5bb2c3310c832839",
    ),
    (
        {"num_users": 120, "num_items": 90, "num_traits": 3,
         "selection_strength": 0.5, "trait_overlap": 1.0,
         "rating_noise": 0.1, "seed": 11},
        "a41256b217e50cf75e70ddb75dc0c55823f963446209047915c171ff47a81328",
    ),
]


@pytest.mark.parametrize("kwargs, digest", PINNED)
def test_exact_outputs_are_pinned(kwargs, digest):
    assert _digest(synthetic(**kwargs)) == digest


class TestShapes:
    def test_known_shapes(self):
        assert list(synthetic_module.SHAPES) == ["ml-100k", "ml-1m", "yelp"]
        for values in synthetic_module.SHAPES.values():
            assert set(values) <= set(synthetic_module.DEFAULTS)

    def test_defaults_are_the_documented_values(self):
        assert synthetic_module.DEFAULTS == {
            "num_users": 1000,
            "num_items": 600,
            "mean_interactions": 50,
            "num_traits": 8,
            "selection_strength": 2.0,
            "popularity_skew": 1.3,
            "activity_spread": 1.0,
            "trait_overlap": 0.5,
            "rating_noise": 0.5,
        }
        # `None` is "not given": the default.
        explicit = synthetic(num_users=None, popularity_skew=None, seed=0)
        assert _digest(explicit) == _digest(synthetic())

    def test_ml_100k_preset_applies(self):
        data = synthetic(shape="ml-100k")
        assert data.num_users == 943
        assert 1600 <= data.num_items <= 1682
        # ML-100K: 100,000 ratings, 106 per user.
        assert 100 <= len(data) / data.num_users <= 112
        by_hand = synthetic(
            num_users=943, num_items=1682, mean_interactions=112
        )
        assert _digest(data) == _digest(by_hand)

    def test_explicit_arguments_win_over_the_shape(self):
        data = synthetic(shape="ml-100k", num_users=30, mean_interactions=20)
        assert data.num_users == 30
        by_hand = synthetic(num_users=30, num_items=1682, mean_interactions=20)
        assert _digest(data) == _digest(by_hand)

    def test_yelp_preset_values_apply_under_overrides(self):
        # Small enough for the exact sampler: the preset's tails and mean
        # still apply to what is not overridden.
        data = synthetic(shape="yelp", num_users=2000, num_items=3000)
        by_hand = synthetic(
            num_users=2000,
            num_items=3000,
            mean_interactions=12.9,
            popularity_skew=1.5,
            activity_spread=1.5,
        )
        assert _digest(data) == _digest(by_hand)
        counts = data.user_counts()
        assert 11.5 <= counts.mean() <= 13.5
        assert np.median(counts) <= 7
        assert counts.max() > 20 * np.median(counts)

    def test_unknown_shape_lists_the_known_ones(self):
        with pytest.raises(ValueError) as info:
            synthetic(shape="netflix")
        message = str(info.value)
        assert "'netflix'" in message
        assert "ml-100k, ml-1m, yelp" in message

    def test_activity_spread_sets_the_tail(self):
        flat = synthetic(num_users=400, num_items=400, activity_spread=0.0)
        wide = synthetic(num_users=400, num_items=400, activity_spread=1.5)
        assert flat.user_counts().max() - flat.user_counts().min() <= 1
        assert 40 <= len(wide) / 400 <= 55
        assert np.median(wide.user_counts()) < 0.6 * wide.user_counts().mean()


@pytest.fixture
def sampled(monkeypatch):
    """`synthetic` with the candidate sampler forced at any size."""
    monkeypatch.setattr(synthetic_module, "EXACT_MAX_LOGITS", 0)
    return synthetic


class TestCandidateSampler:
    def test_distinct_items_and_the_same_counts(self, sampled, monkeypatch):
        exact = synthetic(num_users=600, num_items=2000, seed=4)
        # Several chunks of candidates.
        monkeypatch.setattr(synthetic_module, "CHUNK_CANDIDATES", 5000)
        data = sampled(num_users=600, num_items=2000, seed=4)
        # The numbers of choices are drawn before the sampler runs.
        np.testing.assert_array_equal(data.user_counts(), exact.user_counts())
        pairs = data.users.astype(np.int64) * data.num_items + data.items
        assert len(np.unique(pairs)) == len(data)
        assert data.item_counts().min() >= 1
        same_user = data.users[1:] == data.users[:-1]
        assert np.all(np.diff(data.timestamps)[same_user] > 0)
        assert set(np.unique(data.ratings).tolist()) == {1, 2, 3, 4, 5}

    def test_seeded(self, sampled):
        first = sampled(num_users=300, num_items=900, seed=2)
        second = sampled(num_users=300, num_items=900, seed=2)
        other = sampled(num_users=300, num_items=900, seed=3)
        assert _digest(first) == _digest(second) != _digest(other)

    def test_short_users_fall_back_to_the_exact_sampler(
        self, sampled, monkeypatch
    ):
        # 40 items, very skewed: some users draw fewer distinct candidates
        # than they choose, and are sampled exactly instead.
        calls = []
        exact = synthetic_module._choose_exact

        def spy(rng, a, *args):
            calls.append(len(a))
            return exact(rng, a, *args)

        monkeypatch.setattr(synthetic_module, "_choose_exact", spy)
        data = sampled(num_users=200, num_items=40, popularity_skew=3.0)
        assert calls and 0 < calls[0] < 200
        pairs = data.users.astype(np.int64) * 40 + data.items
        assert len(np.unique(pairs)) == len(data)
        assert data.user_counts().min() >= 4
        assert data.user_counts().max() <= 20

    def test_approximately_the_exact_distribution(self, sampled):
        kwargs = dict(num_users=3000, num_items=3000, mean_interactions=20)
        exact, traits = synthetic(**kwargs, seed=1, return_traits=True)
        data, same = sampled(**kwargs, seed=1, return_traits=True)

        # The traits are drawn before the sampler: index them by raw id.
        def by_raw_id(data, traits):
            items = data.item_ids[data.items] - 1
            full = np.zeros(3000)
            full[data.item_ids - 1] = traits["item_popularity"]
            return items, full

        exact_items, popularity = by_raw_id(exact, traits)
        items, _ = by_raw_id(data, same)
        frequency = lambda x: np.bincount(x, minlength=3000)
        assert np.corrcoef(frequency(exact_items), frequency(items))[0, 1] > 0.9

        # The chosen items' personal term (what Popularity cannot see).
        def personal(data, traits):
            a, b = traits["user_selection"], traits["item_selection"]
            dots = np.einsum("nk,nk->n", a[data.users], b[data.items])
            return 2.0 * dots.mean() / np.sqrt(8)

        assert personal(data, same) == pytest.approx(
            personal(exact, traits), rel=0.05
        )
        assert popularity[items].mean() == pytest.approx(
            popularity[exact_items].mean(), abs=0.05
        )
        # And the planted traits still beat Popularity.
        oracle, pop = _selection_recalls(data, same)
        assert oracle > pop + 0.15


@pytest.mark.large
def test_yelp_shape_after_loading():
    # About half a minute and 1.5 GiB on 2 cores.
    from rnr_keras import datasets

    data = datasets.load("synthetic", shape="yelp")
    users, items = data.user_counts(), data.item_counts()
    assert data.num_users == 295_000
    assert 160_000 <= data.num_items <= 176_000
    assert 3_500_000 <= len(data) <= 3_800_000
    assert users.min() >= 4
    assert np.median(users) <= 7 and users.max() > 1000
    assert np.median(items) <= 10 and items.max() > 2000
    pairs = data.users.astype(np.int64) * data.num_items + data.items
    assert len(np.unique(pairs)) == len(data)
    same_user = data.users[1:] == data.users[:-1]
    assert np.all(np.diff(data.timestamps)[same_user] > 0)
    levels, counts = np.unique(data.ratings, return_counts=True)
    np.testing.assert_array_equal(levels, [1, 2, 3, 4, 5])
    assert levels[np.argmax(counts)] == 4
    assert 3.0 <= data.ratings.mean() <= 4.0
