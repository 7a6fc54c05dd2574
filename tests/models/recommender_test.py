import keras
import numpy as np
import pytest

from rnr_keras.datasets import Interactions
from rnr_keras.models import BPR
from rnr_keras.models import Popularity
from rnr_keras.models import Recommender
from tests import planted
from tests.test_case import TestCase


def hand_set_bpr():
    """Scores rise with the item index for every user: 0 < 1 < ... < 4."""
    model = BPR(num_users=3, num_items=5, embedding_dim=2)
    model.user_embedding.embeddings.assign(np.zeros((3, 2), "float32"))
    model.ranker.item_bias.assign(np.arange(5, dtype="float32"))
    return model.adapt(planted.tiny_train())


class TestRecommend:
    def test_exclude_seen_drops_training_items(self):
        model = hand_set_bpr()
        # Training items: user 0 {1, 2}, user 1 {0}, user 2 {0, 3, 4}.
        items, scores = model.recommend([0, 1, 2], k=2)
        np.testing.assert_array_equal(items, [[4, 3], [4, 3], [2, 1]])
        np.testing.assert_array_equal(scores, [[4, 3], [4, 3], [2, 1]])
        assert items.dtype == np.int32 and scores.dtype == np.float32

    def test_without_exclude_seen_returns_training_items(self):
        model = hand_set_bpr()
        items, _ = model.recommend([2], k=2, exclude_seen=False)
        np.testing.assert_array_equal(items, [[4, 3]])

    def test_trained_model_never_recommends_training_items(self, trained):
        model, _ = trained("bpr")
        split = trained.split
        users = np.arange(split.num_users)
        items, scores = model.recommend(users, k=10)
        assert items.shape == scores.shape == (split.num_users, 10)
        all_scores = model.score(users)
        for user in users:
            seen = set(split.train_items(user).tolist())
            chosen = set(items[user].tolist())
            assert not seen & chosen and len(chosen) == 10
            np.testing.assert_allclose(
                scores[user], all_scores[user, items[user]]
            )
            # The top 10 of the unseen items, none better left out.
            rest = sorted(set(range(split.num_items)) - seen - chosen)
            assert scores[user].min() >= all_scores[user, rest].max()
        assert np.all(np.diff(scores, axis=1) <= 0)
        # Without the exclusion training items do come up.
        plain, _ = model.recommend(users, k=10, exclude_seen=False)
        assert any(
            set(split.train_items(u).tolist()) & set(plain[u].tolist())
            for u in users
        )

    def test_exclude_seen_never_returns_training_items_when_few_are_left(self):
        model = hand_set_bpr()
        # User 2 has seen 3 of 5 items: only 2 unseen items for k=4.
        items, scores = model.recommend([2], k=4)
        assert not {0, 3, 4} & set(items[0].tolist())

    def test_k_larger_than_catalog_is_clipped(self):
        items, _ = hand_set_bpr().recommend([0], k=50, exclude_seen=False)
        np.testing.assert_array_equal(items, [[4, 3, 2, 1, 0]])

    @pytest.mark.parametrize("k", [0, -1, 2.0])
    def test_bad_k(self, k):
        with pytest.raises(
            ValueError,
            match=rf"`k` must be a positive integer. Received: k={k}",
        ):
            hand_set_bpr().recommend([0], k=k)

    @pytest.mark.parametrize("user", [3, -1, 100])
    def test_out_of_range_user(self, user):
        model = hand_set_bpr()
        with pytest.raises(
            ValueError, match=rf"`user_indices` holds {user}, outside \[0, 3\)"
        ):
            model.score([0, user])
        with pytest.raises(ValueError, match="`user_indices`"):
            model.recommend([user])

    @pytest.mark.parametrize("users", [[[0, 1]], [0.5, 1.0]])
    def test_user_indices_must_be_1d_integers(self, users):
        with pytest.raises(
            ValueError, match="1-D array of integer user indices"
        ):
            hand_set_bpr().score(users)

    def test_score_batches_agree(self):
        model = hand_set_bpr()
        model.user_embedding.embeddings.assign(
            np.random.default_rng(0).normal(size=(3, 2)).astype("float32")
        )
        users = np.array([2, 0, 1, 2, 0])
        np.testing.assert_allclose(
            model.score(users, batch_size=2), model.score(users), rtol=1e-6
        )
        assert model.score([]).shape == (0, 5)

    def test_recommend_exclude_seen_needs_adapt(self):
        model = BPR(num_users=3, num_items=5, embedding_dim=2)
        with pytest.raises(
            ValueError, match=r"call `model.adapt\(train\)` first"
        ):
            model.recommend([0])
        assert model.recommend([0], k=2, exclude_seen=False)[0].shape == (1, 2)

    @pytest.mark.parametrize(
        "train",
        [
            Interactions(users=[0, 1], items=[0, 5], num_users=3, num_items=6),
            Interactions(users=[0, 3], items=[0, 1], num_users=4, num_items=5),
        ],
    )
    def test_adapt_with_other_index_space(self, train):
        with pytest.raises(
            ValueError, match="`train` does not match the model"
        ):
            BPR(num_users=3, num_items=5, embedding_dim=2).adapt(train)
        with pytest.raises(
            ValueError, match="`train` does not match the model"
        ):
            Popularity(num_users=3, num_items=5).adapt(train)

    def test_adapt_empty(self):
        empty = Interactions(users=[], items=[], num_users=3, num_items=5)
        with pytest.raises(ValueError, match="`train` is empty"):
            Popularity(num_users=3, num_items=5).adapt(empty)

    def test_adapt_again_keeps_fitted_weights_unless_refit(self):
        model = Popularity(num_users=3, num_items=5).adapt(planted.tiny_train())
        counts = model.score([0])[0].copy()
        other = Interactions(users=[0], items=[1], num_users=3, num_items=5)
        model.adapt(other)
        # The data changes (what `recommend` excludes), the weights do not.
        assert len(model.interaction_history) == 1
        np.testing.assert_array_equal(model.score([0])[0], counts)
        assert model.recommend([0], k=1)[0].tolist() == [[0]]
        model.adapt(other, refit=True)
        np.testing.assert_array_equal(model.score([0])[0], [0, 1, 0, 0, 0])

    def test_recommend_excludes_given_interactions_or_nothing(self):
        model = Popularity(num_users=3, num_items=5).adapt(planted.tiny_train())
        assert model.recommend([0], k=1, exclude=None)[0].tolist() == [[0]]
        other = Interactions(users=[0], items=[0], num_users=3, num_items=5)
        # User 0's training items are 1 and 2; only item 0 is excluded now.
        assert model.recommend([0], k=2, exclude=other)[0].tolist() == [[1, 2]]
        with pytest.raises(ValueError, match="`exclude` must be"):
            model.recommend([0], exclude="seen")

    def test_recommend_without_data_says_which_call_to_make(self):
        model = Popularity(num_users=3, num_items=5)
        with pytest.raises(ValueError, match=r"call `model.adapt\(train\)`"):
            model.recommend([0])

    def test_old_configs_with_history_size_still_load(self):
        model = Popularity.from_config(
            {"num_users": 3, "num_items": 5, "history_size": 6}
        )
        assert "history_size" not in model.get_config()


class TestRecommenderBase:
    def test_every_public_class_is_registered(self):
        import rnr_keras.layers
        import rnr_keras.models
        import rnr_keras.optimizers

        for module in (rnr_keras.layers, rnr_keras.models):
            for name in module.__all__:
                cls = getattr(module, name)
                if not issubclass(cls, keras.layers.Layer):
                    continue  # data and strategies, not Keras objects
                assert (
                    keras.saving.get_registered_name(cls) == f"rnr_keras>{name}"
                )
        for cls in (
            rnr_keras.optimizers.LazyAdam,
            rnr_keras.optimizers.SparseAdagrad,
        ):
            assert (
                keras.saving.get_registered_object(f"rnr_keras>{cls.__name__}")
                is cls
            )

    def test_loads_in_fresh_process_after_importing_rnr_keras(
        self, fresh_interpreter
    ):
        saved, loaded = fresh_interpreter["saved"], fresh_interpreter["loaded"]
        assert sorted(loaded) == sorted(saved)
        assert len(saved) == 7
        for name, (class_name, scores) in saved.items():
            assert loaded[name][0] == class_name
            np.testing.assert_allclose(
                loaded[name][1], scores, rtol=1e-6, atol=1e-6
            )


class TestRecommenderBaseSerialization(TestCase):
    def test_base_class_needs_score_batch(self):
        model = Recommender(num_users=3, num_items=5)
        with pytest.raises(NotImplementedError):
            model.score([0])
        revived = self.run_serialization_test(model)
        assert (revived.num_users, revived.num_items) == (3, 5)
