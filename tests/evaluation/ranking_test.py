import math

import keras
import numpy as np
import pytest

from rnr_keras.datasets import Interactions
from rnr_keras.evaluation import evaluate_ranking
from rnr_keras.evaluation import heldout_ranks
from rnr_keras.evaluation import metric_log_name
from rnr_keras.evaluation import ranking_metrics_from_ranks


def interactions(users, items, num_items, num_users=None):
    return Interactions(
        users=np.asarray(users, dtype=np.int64),
        items=np.asarray(items, dtype=np.int64),
        num_users=num_users,
        num_items=num_items,
    )


def table_scorer(table):
    table = np.asarray(table)
    return lambda users: table[users]


def reference_ranks(table, heldout, train):
    """Slow, obvious: loop over cases and candidate items."""
    ranks = []
    for user, item in zip(heldout.users.tolist(), heldout.items.tolist()):
        seen = set(train.items[train.users == user].tolist())
        target = table[user][item]
        rank = 1
        for other in range(heldout.num_items):
            if other == item or other in seen:
                continue
            if table[user][other] >= target:
                rank += 1
        ranks.append(rank)
    return np.array(ranks)


def reference_metrics(ranks, k):
    recall = [1.0 if r <= k else 0.0 for r in ranks]
    mrr = [1.0 / r if r <= k else 0.0 for r in ranks]
    ndcg = [1.0 / math.log2(r + 1) if r <= k else 0.0 for r in ranks]
    return {
        f"recall@{k}": sum(recall) / len(ranks),
        f"mrr@{k}": sum(mrr) / len(ranks),
        f"ndcg@{k}": sum(ndcg) / len(ranks),
    }


class TestHandCases:
    def test_two_users_exclusion_and_tie(self):
        train = interactions([0, 1], [0, 1], num_items=4)
        heldout = interactions([0, 1], [2, 3], num_items=4)
        scores = np.array(
            [
                [9.0, 1.0, 5.0, 7.0],  # item 0 (higher) is in train: rank 2
                [0.0, 9.0, 2.0, 2.0],  # item 1 in train; tie with 2: rank 2
            ]
        )
        result = evaluate_ranking(
            table_scorer(scores), heldout, train, k=2, per_user=True
        )
        np.testing.assert_array_equal(result["per_user"]["rank"], [2, 2])
        assert result["recall@2"] == 1.0
        assert result["mrr@2"] == 0.5
        assert result["ndcg@2"] == pytest.approx(1 / math.log2(3))
        assert result["users"] == 2
        result = evaluate_ranking(table_scorer(scores), heldout, train, k=1)
        assert result == {
            "recall@1": 0.0,
            "mrr@1": 0.0,
            "ndcg@1": 0.0,
            "users": 2,
        }

    def test_ties_are_pessimistic(self):
        train = interactions([], [], num_items=5, num_users=1)
        heldout = interactions([0], [1], num_items=5, num_users=1)
        scores = np.array([[1.0, 1.0, 1.0, 0.0, 3.0]])
        # Items 4 (higher), 0 and 2 (equal) all come first.
        result = evaluate_ranking(
            table_scorer(scores), heldout, train, k=4, per_user=True
        )
        assert result["per_user"]["rank"].tolist() == [4]
        assert result["mrr@4"] == 0.25
        assert evaluate_ranking(table_scorer(scores), heldout, train, k=3)[
            "recall@3"
        ] == 0.0

    def test_higher_scored_training_item_does_not_count(self):
        heldout = interactions([0], [3], num_items=4)
        scores = np.array([[5.0, 4.0, 0.0, 1.0]])
        with_train = interactions([0, 0], [0, 1], num_items=4)
        without_train = interactions([], [], num_items=4, num_users=1)
        assert evaluate_ranking(
            table_scorer(scores), heldout, with_train, k=1
        )["recall@1"] == 1.0
        assert evaluate_ranking(
            table_scorer(scores), heldout, without_train, k=1
        )["recall@1"] == 0.0

    def test_only_the_own_users_training_items_are_excluded(self):
        # User 1's training item 0 must not be excluded for user 0.
        train = interactions([1], [0], num_items=3, num_users=2)
        heldout = interactions([0], [1], num_items=3, num_users=2)
        scores = np.array([[2.0, 1.0, 0.0], [0.0, 0.0, 0.0]])
        result = evaluate_ranking(
            table_scorer(scores), heldout, train, per_user=True
        )
        assert result["per_user"]["rank"].tolist() == [2]

    def test_heldout_item_in_train_is_still_ranked(self):
        train = interactions([0, 0], [1, 2], num_items=4)
        heldout = interactions([0], [1], num_items=4)
        scores = np.array([[0.0, 2.0, 3.0, 1.0]])
        result = evaluate_ranking(
            table_scorer(scores), heldout, train, k=1, per_user=True
        )
        # Item 2 is excluded, item 1 is not: it ranks first.
        assert result["per_user"]["rank"].tolist() == [1]
        assert result["recall@1"] == 1.0

    def test_constant_scorer_gets_zero(self):
        num_items = 30
        train = interactions([0, 0, 1], [5, 6, 7], num_items=num_items)
        heldout = interactions([0, 1, 2], [1, 2, 3], num_items=num_items)
        result = evaluate_ranking(
            lambda users: np.ones((len(users), num_items)),
            heldout,
            train,
            k=10,
            per_user=True,
        )
        assert result["recall@10"] == 0.0
        assert result["mrr@10"] == 0.0
        assert result["ndcg@10"] == 0.0
        # Last among the candidates: all items minus the training ones.
        assert result["per_user"]["rank"].tolist() == [28, 29, 30]

    def test_k_larger_than_the_item_count(self):
        train = interactions([0], [0], num_items=3)
        heldout = interactions([0, 1], [1, 2], num_items=3)
        result = evaluate_ranking(
            lambda users: np.zeros((len(users), 3)), heldout, train, k=50
        )
        assert result["recall@50"] == 1.0
        # Ranks 2 (user 0: item 2 ties) and 3 (user 1: items 0, 1 tie).
        assert result["mrr@50"] == pytest.approx((1 / 2 + 1 / 3) / 2)

    def test_minus_infinity_target_ranks_after_all_candidates(self):
        train = interactions([0], [0], num_items=4)
        heldout = interactions([0], [3], num_items=4)
        scores = np.array([[5.0, -np.inf, 1.0, -np.inf]])
        result = evaluate_ranking(
            table_scorer(scores), heldout, train, per_user=True
        )
        # Item 0 is excluded even though the target's score is -inf.
        assert result["per_user"]["rank"].tolist() == [3]

    def test_several_heldout_rows_of_one_user_are_separate_cases(self):
        train = interactions([0], [0], num_items=4)
        heldout = interactions([0, 0], [1, 2], num_items=4)
        scores = np.array([[9.0, 3.0, 2.0, 1.0]])
        result = evaluate_ranking(
            table_scorer(scores), heldout, train, per_user=True
        )
        # Item 1 stays a candidate when item 2 is ranked.
        assert result["per_user"]["rank"].tolist() == [1, 2]
        assert result["users"] == 2


class TestPerUser:
    def test_arrays_in_heldout_order_and_consistent_with_means(self):
        rng = np.random.default_rng(0)
        num_users, num_items = 12, 9
        table = rng.integers(0, 3, size=(num_users, num_items))
        train = interactions(
            rng.integers(0, num_users, 20),
            rng.integers(0, num_items, 20),
            num_items,
            num_users,
        )
        heldout = interactions(
            [5, 2, 9, 0], [1, 4, 8, 0], num_items, num_users
        )
        result = evaluate_ranking(
            table_scorer(table), heldout, train, k=3, per_user=True
        )
        per_user = result["per_user"]
        assert set(per_user) == {
            "users",
            "items",
            "rank",
            "reciprocal_rank@3",
            "ndcg@3",
        }
        np.testing.assert_array_equal(per_user["users"], [5, 2, 9, 0])
        np.testing.assert_array_equal(per_user["items"], [1, 4, 8, 0])
        ranks = reference_ranks(table, heldout, train)
        np.testing.assert_array_equal(per_user["rank"], ranks)
        assert np.issubdtype(per_user["rank"].dtype, np.integer)
        np.testing.assert_allclose(
            per_user["reciprocal_rank@3"], np.where(ranks <= 3, 1 / ranks, 0)
        )
        assert per_user["reciprocal_rank@3"].mean() == pytest.approx(
            result["mrr@3"]
        )
        assert per_user["ndcg@3"].mean() == pytest.approx(result["ndcg@3"])

    def test_off_by_default(self):
        train = interactions([0], [0], num_items=3)
        heldout = interactions([0], [1], num_items=3)
        result = evaluate_ranking(
            lambda users: np.zeros((len(users), 3)), heldout, train
        )
        assert "per_user" not in result


class TestAgainstReference:
    @pytest.fixture(scope="class")
    def case(self):
        rng = np.random.default_rng(42)
        num_users, num_items = 60, 25
        # A small integer range gives many ties.
        table = rng.integers(0, 12, size=(num_users, num_items))
        n_train = 300
        train = interactions(
            rng.integers(0, num_users, n_train),
            rng.integers(0, num_items, n_train),
            num_items,
            num_users,
        )
        # Some users twice, some held-out items also in train.
        heldout = interactions(
            rng.integers(0, num_users, 50),
            rng.integers(0, num_items, 50),
            num_items,
            num_users,
        )
        return table, heldout, train

    @pytest.mark.parametrize("k", [1, 3, 5, 10, 30])
    def test_metrics_match(self, case, k):
        table, heldout, train = case
        expected_ranks = reference_ranks(table, heldout, train)
        result = evaluate_ranking(
            table_scorer(table), heldout, train, k=k, batch_size=16,
            per_user=True,
        )
        np.testing.assert_array_equal(
            result["per_user"]["rank"], expected_ranks
        )
        expected = reference_metrics(expected_ranks, k)
        for key, value in expected.items():
            assert result[key] == pytest.approx(value), key
        assert result["users"] == 50
        # The case must not be trivial: ranks spread over the cut-offs.
        assert expected_ranks.min() <= 2 and expected_ranks.max() > 10

    def test_case_has_ties_with_the_target(self, case):
        table, heldout, _ = case
        targets = table[heldout.users, heldout.items]
        equal = (table[heldout.users] == targets[:, None]).sum(axis=1) - 1
        assert (equal > 0).sum() >= 10

    @pytest.mark.parametrize("batch_size", [1, 7, 50, 1000])
    def test_batch_size_does_not_change_results(self, case, batch_size):
        table, heldout, train = case
        result = evaluate_ranking(
            table_scorer(table), heldout, train, batch_size=batch_size,
            per_user=True,
        )
        np.testing.assert_array_equal(
            result["per_user"]["rank"], reference_ranks(table, heldout, train)
        )

    def test_float_scores(self):
        rng = np.random.default_rng(1)
        table = rng.normal(size=(20, 15)).astype(np.float32)
        train = interactions(
            rng.integers(0, 20, 60), rng.integers(0, 15, 60), 15, 20
        )
        heldout = interactions(np.arange(20), rng.integers(0, 15, 20), 15, 20)
        result = evaluate_ranking(
            table_scorer(table), heldout, train, k=4, per_user=True
        )
        np.testing.assert_array_equal(
            result["per_user"]["rank"], reference_ranks(table, heldout, train)
        )


class TestScoreFunctions:
    def test_object_with_score_method_is_used(self):
        class Model:
            def score(self, users):
                return np.tile([0.0, 1.0, 2.0], (len(users), 1))

            def __call__(self, users):
                raise AssertionError("score() must be preferred")

        heldout = interactions([0, 1], [2, 2], num_items=3)
        train = interactions([], [], num_items=3, num_users=2)
        assert evaluate_ranking(Model(), heldout, train, k=1)["recall@1"] == 1.0

    def test_tensor_scores_and_int32_user_batches(self):
        seen = []

        def score(users):
            seen.append(users)
            return keras.ops.convert_to_tensor(
                np.tile([3.0, 2.0, 1.0], (len(users), 1)), dtype="float32"
            )

        heldout = interactions([0, 1, 2], [0, 1, 2], num_items=3)
        train = interactions([], [], num_items=3, num_users=3)
        result = evaluate_ranking(
            score, heldout, train, k=3, batch_size=2, per_user=True
        )
        assert result["per_user"]["rank"].tolist() == [1, 2, 3]
        assert [u.tolist() for u in seen] == [[0, 1], [2]]
        assert all(u.dtype == np.int32 for u in seen)

    def test_the_returned_array_is_not_modified(self):
        table = np.arange(12, dtype=np.float32).reshape(3, 4)
        original = table.copy()
        train = interactions([0, 1, 2], [0, 1, 2], num_items=4)
        heldout = interactions([0, 1, 2], [3, 3, 3], num_items=4)
        evaluate_ranking(lambda users: table, heldout, train)
        np.testing.assert_array_equal(table, original)

    def test_heldout_user_beyond_train_users_has_no_exclusions(self):
        train = interactions([0], [0], num_items=3, num_users=1)
        heldout = interactions([3], [1], num_items=3, num_users=4)
        scores = np.array([[5.0, 1.0, 0.0]] * 4)
        result = evaluate_ranking(
            table_scorer(scores), heldout, train, per_user=True
        )
        assert result["per_user"]["rank"].tolist() == [2]


class TestBadInputs:
    def setup_method(self, method):
        self.train = interactions([0], [0], num_items=3)
        self.heldout = interactions([0, 1], [1, 2], num_items=3)
        self.score = lambda users: np.zeros((len(users), 3))

    @pytest.mark.parametrize("k", [0, -1, 2.5, True, "3", None])
    def test_bad_k(self, k):
        with pytest.raises(ValueError, match="`k` must be a positive integer"):
            evaluate_ranking(self.score, self.heldout, self.train, k=k)

    def test_k_message_echoes_value(self):
        with pytest.raises(ValueError) as info:
            evaluate_ranking(self.score, self.heldout, self.train, k=0)
        assert str(info.value) == (
            "`k` must be a positive integer. Received: k=0"
        )

    def test_numpy_integer_k_is_accepted(self):
        result = evaluate_ranking(
            self.score, self.heldout, self.train, k=np.int64(2)
        )
        assert "recall@2" in result

    @pytest.mark.parametrize("batch_size", [0, 1.5])
    def test_bad_batch_size(self, batch_size):
        with pytest.raises(ValueError, match="`batch_size` must be a positive"):
            evaluate_ranking(
                self.score, self.heldout, self.train, batch_size=batch_size
            )

    def test_wrong_score_shape(self):
        with pytest.raises(ValueError, match=r"\(2, 3\).*shape \(2, 4\)"):
            evaluate_ranking(
                lambda users: np.zeros((len(users), 4)),
                self.heldout,
                self.train,
            )
        with pytest.raises(ValueError, match=r"\(2, 3\).*shape \(3,\)"):
            evaluate_ranking(
                lambda users: np.zeros(3), self.heldout, self.train
            )

    def test_num_items_mismatch(self):
        train = interactions([0], [0], num_items=4)
        with pytest.raises(ValueError, match="num_items=3.*num_items=4"):
            evaluate_ranking(self.score, self.heldout, train)

    def test_nan_scores_name_the_user(self):
        def score(users):
            scores = np.zeros((len(users), 3))
            scores[users == 1, 2] = np.nan
            return scores

        with pytest.raises(ValueError, match="user 1 contain NaN.*item 2"):
            evaluate_ranking(score, self.heldout, self.train)

    def test_empty_heldout(self):
        empty = interactions([], [], num_items=3, num_users=2)
        with pytest.raises(ValueError, match="`heldout` has no rows"):
            evaluate_ranking(self.score, empty, self.train)

    def test_not_callable(self):
        with pytest.raises(TypeError, match="`model_or_score_fn` must be"):
            evaluate_ranking(object(), self.heldout, self.train)

    def test_heldout_must_be_interactions(self):
        with pytest.raises(TypeError, match="`heldout` must be an"):
            evaluate_ranking(self.score, [(0, 1)], self.train)


class TestHelpers:
    def test_metrics_from_ranks(self):
        result = ranking_metrics_from_ranks([1, 2, 11], k=10)
        assert result["recall@10"] == pytest.approx(2 / 3)
        assert result["mrr@10"] == pytest.approx(0.5)
        assert result["ndcg@10"] == pytest.approx((1 + 1 / math.log2(3)) / 3)
        assert result["users"] == 3

    @pytest.mark.parametrize("ranks", [[], [0, 1], [[1]]])
    def test_metrics_from_bad_ranks(self, ranks):
        with pytest.raises(ValueError, match="`ranks` must be"):
            ranking_metrics_from_ranks(ranks, k=1)

    def test_metric_log_name(self):
        assert metric_log_name("recall@10") == "recall_at_10"

    def test_heldout_ranks_matches_reference(self):
        rng = np.random.default_rng(3)
        table = rng.integers(0, 4, size=(30, 12)).astype("float32")
        targets = rng.integers(0, 12, size=30)
        heldout = interactions(np.arange(30), targets, 12, 30)
        empty = interactions([], [], 12, 30)
        expected = reference_ranks(table, heldout, empty)
        ranks = keras.ops.convert_to_numpy(heldout_ranks(targets, table))
        np.testing.assert_array_equal(ranks, expected)
        ranks = heldout_ranks(targets.reshape(-1, 1), table)
        ranks = keras.ops.convert_to_numpy(ranks)
        np.testing.assert_array_equal(ranks, expected)


class TestZooModelChunks:
    def test_chunk_size_does_not_change_a_zoo_models_metrics(self):
        # A zoo model is scored through its backend tensors (`score_batch`);
        # every chunking gives the same ranks as the host-array path and
        # the obvious reference, trained weights included.
        from rnr_keras import datasets
        from rnr_keras import protocol
        from rnr_keras import training

        keras.utils.set_random_seed(0)
        data = datasets.synthetic(num_users=120, num_items=70, seed=3)
        split = protocol.all_but_last_one(data, seed=0)
        model = training.build_model(
            "rnr-bpr-svd", split.num_users, split.num_items, embedding_dim=8
        )
        training.fit_model(model, split, epochs=2, verbose=0)
        heldout = split.test
        results = [
            evaluate_ranking(
                model, heldout, split.train, batch_size=size, per_user=True
            )
            for size in (1, 7, 64, 10_000)
        ]
        table = model.score(np.arange(split.num_users))
        host = evaluate_ranking(
            table_scorer(table), heldout, split.train, per_user=True
        )
        expected = reference_ranks(table, heldout, split.train)
        for result in results + [host]:
            np.testing.assert_array_equal(result["per_user"]["rank"], expected)
            assert result["recall@10"] == results[0]["recall@10"]
            assert result["mrr@10"] == results[0]["mrr@10"]
        assert expected.min() <= 10 < expected.max()  # not a trivial case
