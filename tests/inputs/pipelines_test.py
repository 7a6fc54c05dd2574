import keras
import numpy as np
import pytest
import tensorflow as tf

from rnr_keras import inputs
from rnr_keras.datasets import Interactions
from rnr_keras.inputs import pipelines
from rnr_keras.inputs.pipelines import _seen_filter
from rnr_keras.inputs.pipelines import _sorted_keys
from rnr_keras.models import BPR
from rnr_keras.models import CDAE
from rnr_keras.models import SVD
from rnr_keras.models import MultiTaskModel
from rnr_keras.models import RnRModel
from rnr_keras.models import SASRec
from rnr_keras.models import VanillaModel
from tests import planted


def dense_train(num_users=6, num_items=10, seen=8, seed=0):
    """Every user has seen `seen` of the `num_items` items."""
    rng = np.random.default_rng(seed)
    users = np.repeat(np.arange(num_users), seen)
    items = np.concatenate(
        [
            rng.choice(num_items, size=seen, replace=False)
            for _ in range(num_users)
        ]
    )
    return Interactions(
        users,
        items,
        ratings=rng.integers(1, 6, len(users)),
        num_users=num_users,
        num_items=num_items,
    )


def one_epoch(dataset):
    """Concatenated `(x, y)` numpy arrays of one pass over `dataset`."""
    xs, ys = [], []
    for batch in dataset:
        x, y = batch if isinstance(batch, tuple) else (batch, None)
        xs.append({k: v.numpy() for k, v in x.items()})
        if y is not None:
            ys.append(y.numpy())
    x = {k: np.concatenate([b[k] for b in xs]) for k in xs[0]}
    return x, (np.concatenate(ys) if ys else None)


def triples_of(train):
    return list(
        zip(train.users.tolist(), train.items.tolist(), train.ratings.tolist())
    )


def positives(train):
    return set(zip(train.users.tolist(), train.items.tolist()))


@pytest.fixture(autouse=True)
def fixed_global_seed():
    # Epoch seeds also depend on TensorFlow's global seed (see below).
    keras.utils.set_random_seed(1337)


class TestSampleNegatives:
    def test_never_a_positive_and_uniform_over_the_rest(self):
        train = dense_train(num_users=2, num_items=10, seen=7)
        keys = tf.constant(_sorted_keys(train))
        users = tf.constant(np.repeat([0, 1], 6000).astype("int32"))
        negatives = inputs.sample_negatives(
            users, keys, train.num_items, tf.constant([3, 4], tf.int64)
        ).numpy()
        assert negatives.shape == (12000,) and negatives.dtype == np.int32
        for user in (0, 1):
            drawn = negatives[users.numpy() == user]
            allowed = sorted(
                set(range(10)) - set(train.items[train.users == user])
            )
            assert sorted(set(drawn.tolist())) == allowed
            counts = np.bincount(drawn, minlength=10)[allowed]
            # 2000 expected per item; 5 standard deviations is about 180.
            np.testing.assert_allclose(counts, 2000, atol=200)

    def test_deterministic_for_a_seed(self):
        train = dense_train()
        keys = tf.constant(_sorted_keys(train))
        users = tf.constant(np.repeat(np.arange(6), 50).astype("int32"))
        draw = lambda seed: inputs.sample_negatives(
            users, keys, train.num_items, tf.constant(seed, tf.int64)
        ).numpy()
        np.testing.assert_array_equal(draw([1, 2]), draw([1, 2]))
        assert not np.array_equal(draw([1, 2]), draw([1, 3]))

    @pytest.mark.parametrize("size", [None, 7, 1])
    def test_seen_filter_gives_the_searchs_negatives(self, monkeypatch, size):
        # The byte filter (exact at users x items cells, hashed with
        # collisions below that) only spares searches: the same draws.
        if size is not None:
            monkeypatch.setattr(pipelines, "SEEN_FILTER_SIZE", size)
        train = dense_train(num_users=3, num_items=10, seen=6)
        keys = _sorted_keys(train)
        seen = _seen_filter(keys, train.num_users, train.num_items)
        assert seen.shape == (size or 30,)
        assert seen[keys % len(seen)].all()
        users = tf.constant(np.repeat([0, 1, 2], 500).astype("int32"))
        seed = tf.constant([5, 6], tf.int64)
        searched = inputs.sample_negatives(
            users, tf.constant(keys), train.num_items, seed
        ).numpy()
        filtered = inputs.sample_negatives(
            users, tf.constant(keys), train.num_items, seed, seen=tf.constant(seen)
        ).numpy()
        np.testing.assert_array_equal(filtered, searched)
        if size is None:  # a cell per pair: the table alone answers
            alone = inputs.sample_negatives(
                users, None, train.num_items, seed, seen=tf.constant(seen)
            ).numpy()
            np.testing.assert_array_equal(alone, searched)
        positives = set(zip(train.users.tolist(), train.items.tolist()))
        assert not positives & set(zip(users.numpy().tolist(), filtered.tolist()))

    def test_pair_dataset_is_the_same_with_any_filter(self, monkeypatch):
        train = dense_train()

        def negatives():
            x, _ = one_epoch(inputs.pair_dataset(train, batch_size=8, seed=3))
            return x["negative"]

        exact = negatives()
        monkeypatch.setattr(pipelines, "SEEN_FILTER_SIZE", 5)
        np.testing.assert_array_equal(negatives(), exact)

    def test_needs_keys_or_a_table(self):
        with pytest.raises(ValueError, match="needs `keys`, `seen` or both"):
            inputs.sample_negatives(
                tf.zeros((3,), tf.int32), None, 10, tf.constant([0, 0], tf.int64)
            )

    def test_gives_up_loudly(self):
        # No resampling round allowed while 9 of 10 items are positives.
        train = dense_train(num_users=1, num_items=10, seen=9)
        keys = tf.constant(_sorted_keys(train))
        users = tf.zeros((200,), tf.int32)
        with pytest.raises(
            tf.errors.InvalidArgumentError, match="did not converge"
        ):
            inputs.sample_negatives(
                users, keys, 10, tf.constant([0, 0], tf.int64), max_rounds=1
            )


class TestPairDataset:
    def test_covers_every_interaction_once_per_epoch(self):
        train = dense_train()  # 48 interactions: 6 batches of 8.
        x, y = one_epoch(inputs.pair_dataset(train, batch_size=8))
        assert sorted(x) == ["item", "negative", "user"]
        triples = sorted(
            zip(x["user"].tolist(), x["item"].tolist(), y.tolist())
        )
        assert triples == sorted(triples_of(train))

    def test_shuffled_batches_are_full(self):
        # One batch shape for XLA: the 8 rows beyond 2 x 20 are left out,
        # different ones each epoch.
        train = dense_train()  # 48 interactions.
        dataset = inputs.pair_dataset(train, batch_size=20)
        assert int(dataset.cardinality()) == 2
        assert [len(y) for _, y in dataset] == [20, 20]
        used = set()
        for _ in range(6):
            x, y = one_epoch(dataset)
            epoch = list(
                zip(x["user"].tolist(), x["item"].tolist(), y.tolist())
            )
            assert len(set(epoch)) == 40
            assert set(epoch) <= set(triples_of(train))
            used |= set(epoch)
        assert used == set(triples_of(train))
        x, y = next(iter(dataset))
        assert x["user"].dtype == tf.int32 and x["negative"].dtype == tf.int32
        assert y.dtype == tf.float32

    def test_unshuffled_batches_keep_the_remainder(self):
        train = dense_train()
        dataset = inputs.pair_dataset(train, batch_size=20, shuffle=False)
        assert int(dataset.cardinality()) == 3
        assert [len(y) for _, y in dataset] == [20, 20, 8]
        # A batch larger than the data is one batch of everything.
        dataset = inputs.pair_dataset(train, batch_size=100)
        assert [len(y) for _, y in dataset] == [48]

    def test_negatives_are_never_training_positives(self):
        # Users have seen 8 of 10 items: most uniform draws hit a positive.
        train = dense_train(num_users=20, num_items=10, seen=8)
        seen = positives(train)
        dataset = inputs.pair_dataset(train, batch_size=64)
        for _ in range(3):
            x, _ = one_epoch(dataset)
            pairs = set(zip(x["user"].tolist(), x["negative"].tolist()))
            assert not pairs & seen
            assert x["negative"].min() >= 0 and x["negative"].max() < 10

    def test_same_seed_same_batches(self):
        train = dense_train()
        a = one_epoch(inputs.pair_dataset(train, batch_size=16, seed=7))
        b = one_epoch(inputs.pair_dataset(train, batch_size=16, seed=7))
        for key in a[0]:
            np.testing.assert_array_equal(a[0][key], b[0][key])
        c = one_epoch(inputs.pair_dataset(train, batch_size=16, seed=8))
        assert not np.array_equal(a[0]["user"], c[0]["user"])

    def test_new_order_and_negatives_every_epoch(self):
        train = dense_train(num_users=10, num_items=40, seen=8)
        dataset = inputs.pair_dataset(train, batch_size=16)
        first, second = one_epoch(dataset)[0], one_epoch(dataset)[0]
        assert not np.array_equal(first["user"], second["user"])
        order = lambda x: np.lexsort((x["item"], x["user"]))
        first_neg = first["negative"][order(first)]
        second_neg = second["negative"][order(second)]
        assert np.mean(first_neg != second_neg) > 0.5

    def test_without_shuffle_keeps_input_order(self):
        train = dense_train()
        x, y = one_epoch(
            inputs.pair_dataset(
                train, batch_size=5, shuffle=False, negatives=False
            )
        )
        assert sorted(x) == ["item", "user"]
        np.testing.assert_array_equal(x["user"], train.users)
        np.testing.assert_array_equal(x["item"], train.items)
        np.testing.assert_array_equal(y, train.ratings)

    def test_batches_do_not_depend_on_global_seed(self):
        train = dense_train()
        tf.random.set_seed(1)
        a = one_epoch(inputs.pair_dataset(train, batch_size=48, seed=0))[0]
        tf.random.set_seed(2)
        b = one_epoch(inputs.pair_dataset(train, batch_size=48, seed=0))[0]
        np.testing.assert_array_equal(a["negative"], b["negative"])

    def test_user_who_saw_every_item(self):
        train = Interactions(
            users=[0, 0, 0, 1, 1],
            items=[0, 1, 2, 0, 1],
            num_users=2,
            num_items=3,
        )
        with pytest.raises(
            ValueError, match="User index 0 interacted with all 3 items"
        ):
            inputs.pair_dataset(train)
        # Without negatives nothing needs sampling.
        x, _ = one_epoch(inputs.pair_dataset(train, negatives=False))
        assert len(x["user"]) == 5

    def test_empty_and_bad_batch_size(self):
        empty = Interactions(users=[], items=[], num_users=2, num_items=3)
        with pytest.raises(ValueError, match="`train` is empty"):
            inputs.pair_dataset(empty)
        with pytest.raises(
            ValueError,
            match="`batch_size` must be a positive integer. Received: batch_size=0",
        ):
            inputs.pair_dataset(dense_train(), batch_size=0)


class TestUserDataset:
    def test_each_active_user_once_per_epoch(self):
        train = Interactions(
            users=[0, 0, 2, 5, 5, 5, 3],
            items=[1, 2, 0, 0, 1, 3, 2],
            num_users=7,
            num_items=4,
        )
        dataset = inputs.user_dataset(train, batch_size=3)
        assert int(dataset.cardinality()) == 2
        orders = []
        for _ in range(4):
            x, _ = one_epoch(dataset)
            assert sorted(x["user"].tolist()) == [0, 2, 3, 5]
            assert x["user"].dtype == np.int32
            orders.append(tuple(x["user"].tolist()))
        assert len(set(orders)) > 1

    def test_without_shuffle(self):
        train = planted.tiny_train()
        x, _ = one_epoch(
            inputs.user_dataset(train, batch_size=2, shuffle=False)
        )
        np.testing.assert_array_equal(x["user"], [0, 1, 2])

    def test_empty(self):
        empty = Interactions(users=[], items=[], num_users=2, num_items=3)
        with pytest.raises(ValueError, match="`train` is empty"):
            inputs.user_dataset(empty)


class TestDatasetFor:
    @pytest.mark.parametrize(
        "make, keys",
        [
            (lambda: BPR(3, 5), ["item", "negative", "user"]),
            (lambda: SVD(3, 5), ["item", "user"]),
            (lambda: VanillaModel(3, 5), ["item", "negative", "user"]),
            (lambda: VanillaModel(3, 5, alpha=0.0), ["item", "user"]),
            (
                lambda: RnRModel(3, 5, ranker="bpr"),
                ["item", "negative", "user"],
            ),
            (lambda: CDAE(3, 5), ["user"]),
            (lambda: RnRModel(3, 5, ranker="cdae"), ["user"]),
        ],
    )
    def test_batches_follow_the_model(self, make, keys):
        train = planted.tiny_train()
        model = make()
        x, y = one_epoch(inputs.dataset_for(model, train))
        assert sorted(x) == keys
        if keys == ["user"]:
            assert y is None and sorted(x["user"].tolist()) == [0, 1, 2]
        else:
            assert len(y) == len(train) and sorted(y.tolist()) == sorted(
                train.ratings.tolist()
            )

    @pytest.mark.parametrize(
        "make",
        [lambda: BPR(3, 5), lambda: CDAE(3, 5), lambda: SASRec(3, 5)],
        ids=["pairs", "rows", "sequences"],
    )
    def test_no_autotuner(self, make):
        # tf.data's autotuner has nothing to tune in these pipelines and
        # stalled seconds at epoch boundaries (a measurement, README).
        dataset = inputs.dataset_for(make(), planted.tiny_train())
        assert dataset.options().autotune.enabled is False

    def test_default_batch_sizes(self):
        users = np.repeat(np.arange(200), 6)
        train = Interactions(
            users, (users + np.tile(np.arange(6), 200)) % 50, num_items=50
        )
        pairs = inputs.dataset_for(BPR(200, 50), train)
        rows = inputs.dataset_for(CDAE(200, 50), train)
        assert (
            len(next(iter(pairs))[0]["user"])
            == inputs.pipelines.PAIRS_BATCH_SIZE
        )
        assert len(next(iter(rows))["user"]) == inputs.pipelines.ROWS_BATCH_SIZE

    def test_other_index_space(self):
        train = Interactions(
            users=[0, 1], items=[0, 6], num_users=3, num_items=7
        )
        with pytest.raises(
            ValueError,
            match="`train` does not match the model.*num_items=5.*num_items=7",
        ):
            inputs.dataset_for(
                MultiTaskModel(3, 5, ranker="bpr", alpha=1.0), train
            )
