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
        ("trait_overlap", 1.5),
        ("trait_overlap", -0.1),
        ("rating_noise", -0.5),
        ("seed", 1.5),
        ("seed", -1),
        ("return_traits", "yes"),
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
    data = synthetic(num_users=6040, num_items=3706, mean_interactions=170)
    assert data.num_users == 6040
    assert 3600 <= data.num_items <= 3706
    assert 900_000 <= len(data) <= 1_100_000
    assert data.user_counts().min() >= 4
