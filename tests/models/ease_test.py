import os

import keras
import keras_tuner
import numpy as np
import pytest

from rnr_keras import evaluation
from rnr_keras import registry
from rnr_keras.datasets import Interactions
from rnr_keras.models import EASE
from rnr_keras.models import ease as ease_module
from rnr_keras.tuning import RecommenderHyperModel
from tests import planted
from tests.test_case import TestCase

LAMBDAS = [50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0, 5000.0]


def small_train():
    """5 users x 4 items; user 4 repeats item 0, which must count once."""
    return Interactions(
        users=[0, 0, 0, 1, 1, 2, 2, 3, 3, 3, 4, 4],
        items=[0, 1, 2, 1, 3, 0, 2, 0, 1, 3, 0, 0],
        num_users=5,
        num_items=4,
    )


def binary_matrix(train):
    x = np.zeros((train.num_users, train.num_items))
    x[train.users, train.items] = 1.0
    return x


def ridge_columns(x, l2):
    """EASE by its definition: column j of B is the ridge regression of
    item j on the other items (B_jj = 0), one small solve per column."""
    m = x.shape[1]
    b = np.zeros((m, m))
    for j in range(m):
        others = [i for i in range(m) if i != j]
        a = x[:, others]
        b[others, j] = np.linalg.solve(
            a.T @ a + l2 * np.eye(m - 1), a.T @ x[:, j]
        )
    return b


def item_weights(model):
    return keras.ops.convert_to_numpy(model.item_weights)


class TestEASE(TestCase):
    def test_hand_computed_case(self):
        # X = [[1,1,0],[1,1,0],[0,0,1]], lambda 1: G = [[3,2,0],[2,3,0],
        # [0,0,2]], P = G^-1 has P_00 = P_11 = 0.6, P_01 = -0.4, so
        # B_01 = B_10 = 0.4 / 0.6 and item 2 is predicted by nothing.
        train = Interactions(users=[0, 0, 1, 1, 2], items=[0, 1, 0, 1, 2])
        model = EASE(num_users=3, num_items=3, l2=1.0).adapt(train)
        np.testing.assert_allclose(
            item_weights(model),
            [[0, 2 / 3, 0], [2 / 3, 0, 0], [0, 0, 0]],
            atol=1e-6,
        )

    @pytest.mark.parametrize("l2", [0.5, 3.0])
    def test_weights_are_the_constrained_ridge_solution(self, l2):
        train = small_train()
        model = EASE(num_users=5, num_items=4, l2=l2).adapt(train)
        weights = item_weights(model)
        assert weights.dtype == np.float32
        np.testing.assert_array_equal(np.diag(weights), 0.0)
        expected = ridge_columns(binary_matrix(train), l2)
        np.testing.assert_allclose(weights, expected, rtol=1e-5, atol=1e-6)
        # ... and Steck's closed form, from the same G.
        x = binary_matrix(train)
        p = np.linalg.inv(x.T @ x + l2 * np.eye(4))
        closed = -p / np.diag(p)
        np.fill_diagonal(closed, 0.0)
        np.testing.assert_allclose(weights, closed, rtol=1e-5, atol=1e-6)

    def test_scores_are_rows_times_weights(self):
        train = small_train()
        model = EASE(num_users=5, num_items=4, l2=1.0).adapt(train)
        users = np.array([4, 0, 2, 2])
        scores = model.score(users)
        assert scores.shape == (4, 4) and scores.dtype == np.float32
        # User 4's repeated item 0 is one 1 in X, not a 2.
        expected = binary_matrix(train)[users] @ item_weights(model)
        np.testing.assert_allclose(scores, expected, rtol=1e-6, atol=1e-6)
        assert model.uses_history

    def test_larger_l2_shrinks_the_weights(self):
        train = small_train()
        small = EASE(num_users=5, num_items=4, l2=0.1).adapt(train)
        large = EASE(num_users=5, num_items=4, l2=100.0).adapt(train)
        assert np.abs(item_weights(large)).max() < 0.05
        assert np.abs(item_weights(small)).max() > 0.3

    def test_learns_planted_blocks(self):
        split = planted.block_split(0)
        model = EASE(split.num_users, split.num_items, l2=1.0)
        model.adapt(split.train)
        recall = evaluation.evaluate_ranking(
            model, split.test, split.train, k=10
        )["recall@10"]
        # Random is about 0.14; the blocks put the held-out item in the top 4.
        assert recall >= 0.9 > 3 * planted.random_recall_at_10(split)

    def test_has_no_trainable_weights(self):
        model = EASE(num_users=3, num_items=5)
        assert model.trainable_weights == []
        assert [w.shape for w in model.non_trainable_weights] == [(5, 5)]
        assert not model.trained_by_fit

    def test_score_without_adapt_says_how(self):
        model = EASE(num_users=3, num_items=5)
        with pytest.raises(ValueError, match=r"EASE needs its training data.*adapt"):
            model.score([0])

    def test_refuses_a_catalogue_too_big_for_a_dense_matrix(self):
        too_many = ease_module.MAX_ITEMS + 1
        with pytest.raises(
            ValueError, match=rf"num_items={too_many}: 3\.6 GB as float32"
        ):
            EASE(num_users=2, num_items=too_many)

    def test_size_is_checked_without_building(self):
        # What `reproduce` asks before it runs: the same refusal, from the
        # class, and nothing for a model without a limit.
        too_many = ease_module.MAX_ITEMS + 1
        with pytest.raises(ValueError, match=rf"num_items={too_many}: 3\.6 GB"):
            registry.spec("ease").check_size(2, too_many)
        registry.spec("ease").check_size(2, ease_module.MAX_ITEMS)
        registry.spec("rnr-bpr-svd").check_size(2, too_many)

    @pytest.mark.parametrize("l2", [0, -1.0, float("nan"), float("inf"), True, "1"])
    def test_bad_l2(self, l2):
        with pytest.raises(
            ValueError, match=r"`l2` must be a finite number > 0. Received: l2="
        ):
            EASE(num_users=3, num_items=5, l2=l2)

    def test_registration(self):
        spec = registry.spec("ease")
        assert (spec.label, spec.trainable, spec.model_class) == (
            "EASE", False, EASE,
        )
        model = registry.build_model("ease", 3, 5, l2=7)
        assert isinstance(model, EASE) and model.l2 == 7.0
        paper = spec.space("paper")
        assert list(paper) == ["l2"] and list(paper["l2"].values) == LAMBDAS
        # The default of the space is the constructor's.
        assert paper["l2"].default == EASE(3, 5).l2 == 100.0
        assert set(LAMBDAS) < set(spec.space("wide")["l2"].values)


class TestEASESerialization(TestCase):
    def test_serialization(self):
        revived = self.run_serialization_test(
            EASE(num_users=3, num_items=5, l2=250.0)
        )
        assert revived.l2 == 250.0

    def test_saving_then_adapt(self, tmp_path):
        train = small_train()
        model = EASE(num_users=5, num_items=4, l2=2.0).adapt(train)
        path = os.path.join(str(tmp_path), "ease.keras")
        model.save(path)
        loaded = keras.saving.load_model(path)
        assert type(loaded) is EASE and loaded.l2 == 2.0
        np.testing.assert_array_equal(item_weights(loaded), item_weights(model))
        # The training rows are data, not weights: not in the file.
        with pytest.raises(ValueError, match="adapt"):
            loaded.score([0])
        loaded.adapt(train)
        np.testing.assert_array_equal(
            loaded.score(np.arange(5)), model.score(np.arange(5))
        )

    def test_adapt_on_loaded_model_changes_no_weight(self, tmp_path):
        model = EASE(num_users=5, num_items=4, l2=2.0).adapt(small_train())
        path = os.path.join(str(tmp_path), "ease.keras")
        model.save(path)
        loaded = keras.saving.load_model(path)
        other = Interactions(users=[0, 1, 2], items=[3, 3, 3], num_users=5, num_items=4)
        loaded.adapt(other)
        np.testing.assert_array_equal(item_weights(loaded), item_weights(model))
        # It scores the new rows with the loaded weights.
        np.testing.assert_allclose(
            loaded.score([0])[0], item_weights(model)[3], rtol=1e-6
        )
        # A fresh model fitted on `other` would differ.
        fresh = EASE(num_users=5, num_items=4, l2=2.0).adapt(other)
        assert not np.allclose(item_weights(fresh), item_weights(model))


class TestEASETuning(TestCase):
    @pytest.mark.parametrize("space", ["paper", "wide"])
    def test_declares_only_lambda(self, space):
        split = planted.block_split(0)
        hypermodel = RecommenderHyperModel("ease", split, space=space)
        assert not hypermodel.trainable
        hp = keras_tuner.HyperParameters()
        model = hypermodel.build(hp)
        assert [p.name for p in hp.space] == ["l2"]
        assert list(hp.space[0].values) == list(
            registry.spec("ease").space(space)["l2"].values
        )
        # Built at the default, already fitted by `adapt`.
        assert hp.values == {"l2": 100.0} and model.l2 == 100.0
        assert np.abs(item_weights(model)).max() > 0
        assert getattr(model, "optimizer", None) is None
