import keras
import keras_tuner
import numpy as np
import pytest

from rnr_keras import evaluation
from rnr_keras import registry
from rnr_keras.datasets import Interactions
from rnr_keras.models import Popularity
from rnr_keras.models import Transition
from rnr_keras.protocol import all_but_last_one
from rnr_keras.tuning import RecommenderHyperModel
from tests import planted
from tests.test_case import TestCase


def weights(model):
    return (
        keras.ops.convert_to_numpy(model.successors),
        keras.ops.convert_to_numpy(model.successor_weights),
    )


def dense_transitions(model):
    """The kept successor weights as a dense `(M, M)` matrix."""
    successors, successor_weights = weights(model)
    dense = np.zeros((model.num_items, model.num_items))
    np.add.at(
        dense,
        (np.repeat(np.arange(model.num_items), successors.shape[1]), successors.ravel()),
        successor_weights.ravel(),
    )
    return dense


def timed_train():
    """4 users x 5 items whose time order differs from the input order.

    In time order user 0 watches 2, 0, 1 (input order 0, 1, 2 with
    timestamps 30, 10, 20); user 1 watches 0, 1 at the same time, so input
    order decides; user 2 watches 1, 3, 2; user 3 only 4.
    """
    return Interactions(
        users=[0, 0, 0, 1, 1, 2, 2, 2, 3],
        items=[0, 1, 2, 0, 1, 1, 2, 3, 4],
        timestamps=[10, 20, 5, 7, 7, 1, 9, 3, 0],
        num_users=4,
        num_items=5,
    )


def chain_split(seed=0, num_users=80, num_items=50, length=8):
    """Every user walks the chain i -> i + 1 (mod M) from a random start."""
    rng = np.random.default_rng(seed)
    starts = rng.integers(num_items, size=num_users)
    steps = np.arange(length)
    data = Interactions(
        users=np.repeat(np.arange(num_users), length),
        items=((starts[:, None] + steps) % num_items).ravel(),
        # Shuffled times within a user would break the chain; use the step.
        timestamps=np.tile(steps, num_users) * 100 + rng.integers(50, size=length * num_users),
        num_users=num_users,
        num_items=num_items,
    )
    return all_but_last_one(data, n_users=num_users, seed=seed)


class TestTransition(TestCase):
    def test_hand_computed_case(self):
        # Sequences: user 0: 2 0 1, user 1: 0 1, user 2: 1 3 2, user 3: 4.
        # window 2, distance_decay 0.5: d=1 pairs count 1, d=2 pairs 0.5.
        #   2->0: 1, 0->1: 1 + 1, 2->1: 0.5, 1->3: 1, 3->2: 1, 1->2: 0.5.
        # Rows divided by their sums: row 0 {1: 1}; row 1 {3: 2/3, 2: 1/3};
        # row 2 {0: 2/3, 1: 1/3}; row 3 {2: 1}; row 4 nothing.
        model = Transition(
            num_users=4, num_items=5, window=2, history=2, decay=0.5,
            distance_decay=0.5,
        ).adapt(timed_train())
        expected = np.zeros((5, 5))
        expected[0, 1] = 1.0
        expected[1, 3], expected[1, 2] = 2 / 3, 1 / 3
        expected[2, 0], expected[2, 1] = 2 / 3, 1 / 3
        expected[3, 2] = 1.0
        np.testing.assert_allclose(dense_transitions(model), expected, atol=1e-6)
        # User 0's last two: 0 (weight 0.5) then 1 (weight 1).
        # User 2's: 3 (0.5) then 2 (1). User 1's: 0 (0.5), 1 (1).
        scores = model.score([0, 1, 2, 3])
        assert scores.shape == (4, 5) and scores.dtype == np.float32
        np.testing.assert_allclose(
            scores,
            [
                [0, 0.5, 1 / 3, 2 / 3, 0],
                [0, 0.5, 1 / 3, 2 / 3, 0],
                [2 / 3, 1 / 3, 0.5, 0, 0],
                [0, 0, 0, 0, 0],  # item 4 has no successor
            ],
            atol=1e-6,
        )
        assert model.uses_history

    def test_window_one_counts_direct_successors_only(self):
        model = Transition(num_users=4, num_items=5, window=1).adapt(timed_train())
        expected = np.zeros((5, 5))
        # 2->0, 0->1 (twice), 1->3, 3->2.
        expected[2, 0] = expected[0, 1] = expected[1, 3] = expected[3, 2] = 1.0
        np.testing.assert_allclose(dense_transitions(model), expected, atol=1e-6)

    def test_shuffled_rows_with_same_timestamps_score_the_same(self):
        train = timed_train()
        # Swap the rows of user 0 and user 2; the tied pair of user 1 keeps
        # its input order.
        order = np.array([5, 7, 6, 3, 4, 2, 1, 0, 8])
        shuffled = Interactions(
            users=train.users[order], items=train.items[order],
            timestamps=train.timestamps[order], num_users=4, num_items=5,
        )
        kwargs = dict(num_users=4, num_items=5, window=3, history=3, decay=0.6)
        original = Transition(**kwargs).adapt(train)
        again = Transition(**kwargs).adapt(shuffled)
        np.testing.assert_allclose(
            again.score(np.arange(4)), original.score(np.arange(4)), atol=1e-6
        )

    def test_ties_go_to_input_order(self):
        # Both rows of user 0 at the same time: the later row is the later.
        forward = Interactions(users=[0, 0], items=[0, 1], timestamps=[5, 5])
        backward = Interactions(users=[0, 0], items=[1, 0], timestamps=[5, 5])
        kwargs = dict(num_users=1, num_items=2, window=1, history=1)
        np.testing.assert_allclose(
            dense_transitions(Transition(**kwargs).adapt(forward)), [[0, 1], [0, 0]]
        )
        np.testing.assert_allclose(
            dense_transitions(Transition(**kwargs).adapt(backward)), [[0, 0], [1, 0]]
        )

    def test_users_with_fewer_items_than_history(self):
        train = timed_train()
        model = Transition(
            num_users=4, num_items=5, window=1, history=10, decay=0.5
        ).adapt(train)
        transitions = dense_transitions(model)
        # User 1 has two items, 0 then 1: 0.5 * row 0 + row 1; the eight
        # pads add nothing (not item 0's row, which the pad index reads).
        np.testing.assert_allclose(
            model.score([1])[0], 0.5 * transitions[0] + transitions[1], atol=1e-6
        )
        # User 3's only item has no successor.
        np.testing.assert_array_equal(model.score([3])[0], 0.0)

    def test_history_reads_only_the_latest_items(self):
        model = Transition(
            num_users=4, num_items=5, window=1, history=1
        ).adapt(timed_train())
        transitions = dense_transitions(model)
        # User 0's latest is 1, user 2's is 2.
        np.testing.assert_allclose(
            model.score([0, 2]), transitions[[1, 2]], atol=1e-6
        )

    def test_neighbors_keep_the_largest(self):
        # Item 0 is followed by 1 three times, 2 twice, 3 once.
        train = Interactions(
            users=[0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5],
            items=[0, 1, 0, 1, 0, 1, 0, 2, 0, 2, 0, 3],
            num_users=6, num_items=4,
        )
        full = Transition(num_users=6, num_items=4, window=1).adapt(train)
        successors, successor_weights = weights(full)
        assert successors.shape == (4, 4)  # min(neighbors, num_items)
        np.testing.assert_array_equal(successors[0, :3], [1, 2, 3])
        np.testing.assert_allclose(successor_weights[0], [0.5, 1 / 3, 1 / 6, 0], atol=1e-6)
        two = Transition(
            num_users=6, num_items=4, window=1, neighbors=2, decay=1.0
        ).adapt(train)
        successors, successor_weights = weights(two)
        assert successors.dtype == np.int32 and successor_weights.dtype == np.float32
        assert successors.shape == (4, 2)
        np.testing.assert_array_equal(successors[0], [1, 2])
        # Probabilities of the full row: truncation does not renormalise.
        np.testing.assert_allclose(successor_weights[0], [0.5, 1 / 3], atol=1e-6)
        np.testing.assert_array_equal(successor_weights[1:], 0.0)
        # User 0 watched 0 then 1, which has no successor.
        np.testing.assert_allclose(two.score([0])[0], [0, 0.5, 1 / 3, 0], atol=1e-6)

    def test_repeated_item_is_not_its_own_successor(self):
        train = Interactions(users=[0, 0, 0], items=[0, 0, 1])
        model = Transition(num_users=1, num_items=2, window=2).adapt(train)
        np.testing.assert_allclose(dense_transitions(model), [[0, 1], [0, 0]])

    def test_learns_a_planted_chain(self):
        split = chain_split()
        model = Transition(split.num_users, split.num_items).adapt(split.train)
        recall = evaluation.evaluate_ranking(model, split.test, split.train, k=10)
        popularity = Popularity(split.num_users, split.num_items).adapt(split.train)
        baseline = evaluation.evaluate_ranking(
            popularity, split.test, split.train, k=10
        )
        assert recall["recall@10"] >= 0.95 and recall["mrr@10"] >= 0.95
        # A random ranking of the 43 unseen items scores 10 / 43 (0.23).
        assert baseline["recall@10"] < 0.5

    def test_call_scores_like_score(self):
        model = Transition(num_users=4, num_items=5).adapt(timed_train())
        users = np.array([2, 0, 3], dtype=np.int32)
        np.testing.assert_allclose(
            keras.ops.convert_to_numpy(model({"user": users})),
            model.score(users),
            atol=1e-6,
        )
        np.testing.assert_allclose(
            model.predict({"user": users}, verbose=0), model.score(users), atol=1e-6
        )

    def test_has_no_trainable_weights(self):
        model = Transition(num_users=3, num_items=5, neighbors=2)
        assert model.trainable_weights == []
        assert [tuple(w.shape) for w in model.non_trainable_weights] == [(5, 2)] * 2
        assert not model.trained_by_fit

    def test_score_without_adapt_says_how(self):
        model = Transition(num_users=3, num_items=5)
        with pytest.raises(ValueError, match=r"Transition needs its training data.*adapt"):
            model.score([0])

    def test_registration(self):
        spec = registry.spec("transition")
        assert (spec.label, spec.trainable, spec.model_class) == (
            "Transition", False, Transition,
        )
        model = registry.build_model("transition", 3, 5, window=3, decay=0.5)
        assert isinstance(model, Transition)
        assert (model.window, model.decay) == (3, 0.5)
        default = Transition(3, 5)
        for space in ("paper", "wide"):
            for key, choice in spec.space(space).items():
                # The default of each space is the constructor's.
                assert choice.default == getattr(default, key)
        cells = np.prod([len(c.values) for c in spec.space("paper").values()])
        assert cells <= 6


class TestTransitionArguments:
    # Plain class: raising needs no fresh Keras session.

    @pytest.mark.parametrize("argument", ["window", "history", "neighbors"])
    @pytest.mark.parametrize("value", [0, -2, 1.5, True])
    def test_bad_positive_int(self, argument, value):
        with pytest.raises(
            ValueError,
            match=rf"`{argument}` must be a positive integer. Received: {argument}=",
        ):
            Transition(num_users=3, num_items=5, **{argument: value})

    @pytest.mark.parametrize("argument", ["decay", "distance_decay"])
    @pytest.mark.parametrize("value", [0, -0.5, 1.5, float("nan"), True, "0.5"])
    def test_bad_decay(self, argument, value):
        with pytest.raises(
            ValueError,
            match=rf"`{argument}` must be a number in \(0, 1\]. Received: {argument}=",
        ):
            Transition(num_users=3, num_items=5, **{argument: value})


class TestTransitionSerialization(TestCase):
    def test_serialization(self):
        revived = self.run_serialization_test(
            Transition(
                num_users=3, num_items=5, window=4, history=7, neighbors=3,
                decay=0.25, distance_decay=0.5,
            )
        )
        assert (revived.window, revived.history, revived.neighbors) == (4, 7, 3)
        assert (revived.decay, revived.distance_decay) == (0.25, 0.5)

    def test_saving_then_adapt(self, tmp_path):
        model = Transition(num_users=4, num_items=5, neighbors=3).adapt(timed_train())
        loaded = self.run_model_saving_test(
            model, tmp_path, lambda m: m.score(np.arange(4))
        )
        assert type(loaded) is Transition and loaded.neighbors == 3
        for saved, kept in zip(weights(loaded), weights(model)):
            np.testing.assert_array_equal(saved, kept)
            assert saved.dtype == kept.dtype

    def test_adapt_on_loaded_model_changes_no_weight(self, tmp_path):
        model = Transition(num_users=4, num_items=5).adapt(timed_train())
        path = str(tmp_path / "transition.keras")
        model.save(path)
        loaded = keras.saving.load_model(path)
        other = Interactions(users=[0, 0, 1], items=[4, 3, 2], num_users=4, num_items=5)
        loaded.adapt(other)
        for saved, kept in zip(weights(loaded), weights(model)):
            np.testing.assert_array_equal(saved, kept)
        # User 0's latest item is now 3, scored with the loaded transitions.
        transitions = dense_transitions(model)
        np.testing.assert_allclose(
            loaded.score([0])[0], transitions[3] + 0.7 * transitions[4], atol=1e-6
        )


class TestTransitionTuning(TestCase):
    @pytest.mark.parametrize("space", ["paper", "wide"])
    def test_hypermodel_builds_it(self, space):
        split = planted.block_split(0)
        hypermodel = RecommenderHyperModel("transition", split, space=space)
        assert not hypermodel.trainable
        hp = keras_tuner.HyperParameters()
        model = hypermodel.build(hp)
        declared = registry.spec("transition").space(space)
        assert sorted(p.name for p in hp.space) == sorted(declared)
        assert isinstance(model, Transition)
        # Built at the defaults, already fitted by `adapt`.
        assert hp.values == {key: c.default for key, c in declared.items()}
        assert np.abs(weights(model)[1]).max() > 0
        assert getattr(model, "optimizer", None) is None
        metrics = hypermodel.fit(hp, model)
        assert 0 <= metrics["val_recall_at_10"] <= 1
