import keras
import keras_tuner
import numpy as np
import pytest

from rnr_keras import evaluation
from rnr_keras import inputs
from rnr_keras import registry
from rnr_keras.datasets import Interactions
from rnr_keras.layers import SASRecRanker
from rnr_keras.models import BPR
from rnr_keras.models import Popularity
from rnr_keras.models import RnRModel
from rnr_keras.models import SASRec
from rnr_keras.models import VanillaModel
from rnr_keras.tuning import RecommenderHyperModel
from tests import planted
from tests.test_case import TestCase

DIM = 16


def train(model, split, epochs=25):
    model.adapt(split.train)
    model.compile(optimizer=keras.optimizers.Adam(0.01))
    history = model.fit(
        inputs.dataset_for(model, split.train, batch_size=32, seed=0),
        epochs=epochs,
        verbose=0,
    )
    return history.history


@pytest.fixture(scope="module")
def chain():
    """SASRec and RnR(SASRec, SVD) trained once on the planted chain."""
    keras.utils.set_random_seed(0)
    split = planted.chain_split(0)
    sasrec = SASRec(
        split.num_users, split.num_items, embedding_dim=DIM, max_length=5,
        dropout=0.0, l2=0.0,
    )
    sasrec_user_matrix = np.array(sasrec.user_embedding.embeddings)
    sasrec_history = train(sasrec, split)
    rnr = RnRModel(
        split.num_users, split.num_items, ranker=SASRecRanker(max_length=5),
        rater="svd", embedding_dim=DIM, alpha=0.9, l2=0.0,
    )
    rnr_history = train(rnr, split)
    return {
        "split": split,
        "sasrec": sasrec,
        "sasrec_history": sasrec_history,
        "sasrec_user_matrix": sasrec_user_matrix,
        "rnr": rnr,
        "rnr_history": rnr_history,
    }


class TestSASRec(TestCase):
    def test_learns_the_order(self, chain):
        split = chain["split"]
        result = evaluation.evaluate_ranking(chain["sasrec"], split.test, split.train)
        assert result["recall@10"] == 1.0 and result["mrr@10"] > 0.9
        # Every item is about as popular: popularity cannot do it.
        popularity = Popularity(split.num_users, split.num_items).adapt(split.train)
        baseline = evaluation.evaluate_ranking(popularity, split.test, split.train)
        assert baseline["recall@10"] < 0.6
        losses = chain["sasrec_history"]["rank_loss"]
        assert losses[-1] < 0.1 * losses[0]

    def test_user_matrix_is_frozen(self, chain):
        model = chain["sasrec"]
        assert not model.user_embedding.trainable
        assert all("user_embedding" not in w.path for w in model.trainable_weights)
        np.testing.assert_array_equal(
            model.user_embedding.embeddings, chain["sasrec_user_matrix"]
        )

    def test_scores_a_user_from_their_latest_items(self, chain):
        model, split = chain["sasrec"], chain["split"]
        # Users are scored from their training items in time order:
        # handing those items in directly gives the same scores.
        user = int(split.test.users[0])
        indptr, ordered = model.interaction_history.sequences()
        history = ordered[indptr[user] : indptr[user + 1]]
        items, scores = model.recommend([user], k=5)
        cold_items, cold_scores = model.recommend_for_items(history, k=5)
        np.testing.assert_array_equal(cold_items, items)
        np.testing.assert_allclose(cold_scores, scores, rtol=1e-5, atol=1e-5)

    def test_cold_user_gets_the_next_item(self, chain):
        model, split = chain["sasrec"], chain["split"]
        start = 7
        recent = [start, start + 1, start + 2]
        items, _ = model.recommend_for_items(recent, k=1)
        assert items.tolist() == [[start + 3]]
        # Several users at once; given items are excluded.
        items, _ = model.recommend_for_items([[3, 4, 5], [20, 21]], k=3)
        assert items[0, 0] == 6 and items[1, 0] == 22
        assert not set(items[0]) & {3, 4, 5}
        with pytest.raises(ValueError, match="outside"):
            model.recommend_for_items([split.num_items])

    def test_needs_its_training_data_to_score(self, chain):
        split = chain["split"]
        model = SASRec(split.num_users, split.num_items, embedding_dim=DIM)
        with pytest.raises(ValueError, match="adapt"):
            model.score([0])

    def test_saving(self, chain, tmp_path):
        model = chain["sasrec"]
        loaded = self.run_model_saving_test(
            model, tmp_path, lambda m: m.score(np.arange(5))
        )
        assert loaded.ranker.max_length == 5

    def test_config_round_trip(self):
        model = SASRec(
            num_users=4, num_items=6, embedding_dim=4, max_length=3,
            num_blocks=1, num_heads=2, dropout=0.1, objective="bce",
        )
        revived = self.run_serialization_test(model)
        assert (revived.max_length, revived.num_heads) == (3, 2)
        assert revived.objective == "bce" and revived.ranker.needs_negatives

    def test_one_negative_binary_loss_trains(self):
        keras.utils.set_random_seed(0)
        split = planted.chain_split(1)
        model = SASRec(
            split.num_users, split.num_items, embedding_dim=DIM, max_length=5,
            dropout=0.0, l2=0.0, objective="bce",
        )
        train(model, split, epochs=20)
        result = evaluation.evaluate_ranking(model, split.test, split.train)
        assert result["recall@10"] > 0.8

    def test_registered(self, chain):
        assert "sasrec" in registry.names("ranker")
        split = chain["split"]
        for name, cls in (
            ("sasrec", SASRec),
            ("rnr-sasrec-svd", RnRModel),
            ("vanilla-sasrec-svd", VanillaModel),
        ):
            model = registry.build_model(
                name, split.num_users, split.num_items, max_length=4
            )
            assert type(model) is cls and model.ranker.max_length == 4
            assert model.scores_from_items

    @pytest.mark.parametrize("space", ["paper", "wide"])
    def test_tuning_space(self, space):
        split = planted.chain_split(0)
        hypermodel = RecommenderHyperModel("sasrec", split, space=space)
        hp = keras_tuner.HyperParameters()
        model = hypermodel.build(hp)
        assert isinstance(model, SASRec)
        names = {p.name for p in hp.space}
        if space == "wide":
            assert {"max_length", "num_blocks", "num_heads", "dropout"} <= names
            assert "learning_rate" in names


class TestSASRecMultiTask(TestCase):
    def test_rater_reads_the_sequence_encoding(self, chain):
        model, split = chain["rnr"], chain["split"]
        ranking = evaluation.evaluate_ranking(model, split.test, split.train)
        assert ranking["recall@10"] == 1.0
        # Ratings are 1 + item % 5: the rater learnt them.
        rating = evaluation.evaluate_rating(model, split.test)
        assert rating["rmse"] < 0.5
        losses = chain["rnr_history"]["rating_loss"]
        assert losses[-1] < 0.2 * losses[0]

    def test_rating_depends_on_the_users_items_not_their_id(self, chain):
        model, split = chain["rnr"], chain["split"]
        before = model.predict_rating([0, 1], [3, 3])
        # The same users with other histories rate differently.
        other = Interactions(
            users=[0, 0, 1, 1], items=[10, 11, 30, 31], ratings=[1, 1, 5, 5],
            num_users=split.num_users, num_items=split.num_items,
        )
        model.adapt(other)
        try:
            after = model.predict_rating([0, 1], [3, 3])
        finally:
            model.adapt(split.train)
        assert not np.allclose(before, after)
        np.testing.assert_allclose(model.predict_rating([0, 1], [3, 3]), before)

    def test_saving(self, chain, tmp_path):
        model = chain["rnr"]
        self.run_model_saving_test(
            model, tmp_path, lambda m: m.predict_rating([0, 1, 2], [4, 5, 6])
        )

    def test_config_round_trip(self):
        model = RnRModel(4, 6, ranker="sasrec", rater="svd", embedding_dim=4)
        revived = self.run_serialization_test(model)
        assert isinstance(revived.ranker, SASRecRanker)


class TestRecommendForItems(TestCase):
    def test_models_with_a_user_vector_fold_the_user_in(self):
        # See fold_in_test.py; a head without a fold-in refuses there.
        model = BPR(num_users=3, num_items=4, embedding_dim=2)
        assert model.scores_from_items
        items, _ = model.recommend_for_items([0, 1], k=2)
        assert sorted(items[0].tolist()) == [2, 3]

    def test_bad_items(self):
        train = Interactions(users=[0, 1], items=[1, 2])
        model = Popularity(num_users=2, num_items=3).adapt(train)
        with pytest.raises(ValueError, match="item indices"):
            model.recommend_for_items([[0.5, 1.0]])
        with pytest.raises(ValueError, match="-1"):
            model.recommend_for_items([-1])
