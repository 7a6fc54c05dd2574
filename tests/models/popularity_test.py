import numpy as np
import pytest

from rnr_keras.datasets import Interactions
from rnr_keras.models import Popularity
from tests import planted
from tests.test_case import TestCase


class TestPopularity:
    def test_scores_are_training_counts(self):
        train = planted.tiny_train()
        model = Popularity(num_users=3, num_items=5).adapt(train)
        scores = model.score([0, 2, 1])
        # Items 0..4 occur 2, 1, 1, 1, 1 times.
        np.testing.assert_array_equal(scores, [[2, 1, 1, 1, 1]] * 3)
        assert scores.dtype == np.float32

    def test_counts_repeated_interactions(self):
        train = Interactions(
            users=[0, 1, 1, 0], items=[2, 2, 2, 0], num_items=4
        )
        model = Popularity(num_users=2, num_items=4).adapt(train)
        np.testing.assert_array_equal(model.score([1])[0], [1, 0, 3, 0])

    def test_recommends_most_popular_unseen(self):
        # Counts: item 0 three times, item 1 twice, item 2 once, item 3 never.
        train = Interactions(
            users=[0, 1, 1, 2, 2, 2], items=[0, 0, 1, 0, 1, 2], num_items=4
        )
        model = Popularity(num_users=3, num_items=4).adapt(train)
        items, scores = model.recommend([0, 1], k=2)
        np.testing.assert_array_equal(items, [[1, 2], [2, 3]])
        np.testing.assert_array_equal(scores, [[2, 1], [1, 0]])
        items, _ = model.recommend([0], k=2, exclude_seen=False)
        np.testing.assert_array_equal(items, [[0, 1]])

    def test_has_no_trainable_weights(self):
        model = Popularity(num_users=3, num_items=5)
        assert model.trainable_weights == []

    def test_before_adapt_scores_zero(self):
        model = Popularity(num_users=3, num_items=5)
        np.testing.assert_array_equal(model.score([0]), 0.0)

    @pytest.mark.parametrize("num_items", [0, -3, 2.5, True])
    def test_bad_num_items(self, num_items):
        with pytest.raises(
            ValueError,
            match=rf"`num_items` must be a positive integer. Received: num_items={num_items}",
        ):
            Popularity(num_users=3, num_items=num_items)


class TestPopularitySerialization(TestCase):
    def test_serialization(self):
        self.run_serialization_test(Popularity(num_users=3, num_items=5))

    def test_saving(self, tmp_path):
        model = Popularity(num_users=3, num_items=5).adapt(planted.tiny_train())
        loaded = self.run_model_saving_test(
            model, tmp_path, lambda m: m.score([0, 1, 2])
        )
        np.testing.assert_array_equal(loaded.score([0])[0], [2, 1, 1, 1, 1])
        np.testing.assert_array_equal(
            loaded.recommend([2], k=2, exclude_seen=True)[0], [[1, 2]]
        )
