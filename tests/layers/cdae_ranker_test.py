import keras
import numpy as np
import pytest
from keras import ops

from rnr_keras.datasets import Interactions
from rnr_keras.inputs import InteractionHistory
from rnr_keras.layers import CDAERanker
from rnr_keras.layers import HeadContext
from rnr_keras.layers.cdae_ranker import AUTO_SAMPLE_SIZE
from rnr_keras.layers.cdae_ranker import AUTO_SAMPLED_MIN_ITEMS
from rnr_keras.layers.cdae_ranker import DEFAULT_NEGATIVE_RATIO
from tests.test_case import TestCase


def built(corruption=0.0, hidden_activation="sigmoid"):
    ranker = CDAERanker(
        corruption=corruption, hidden_activation=hidden_activation
    )
    ranker.build((2, 3, 2))
    ranker.encoder.assign([[1.0, 0.0], [0.0, 1.0], [1.0, -1.0]])
    ranker.hidden_bias.assign([0.5, -0.5])
    ranker.output_bias.assign([0.0, 1.0, -1.0])
    return ranker


USERS = np.array([[0.0, 1.0], [1.0, 1.0]], dtype="float32")
ITEMS = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], dtype="float32")
ROWS = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]], dtype="float32")


def context(rows=ROWS):
    """A HeadContext whose users have exactly `rows` as training rows."""
    users, items = np.nonzero(rows)
    history = InteractionHistory(
        Interactions(
            users=users, items=items, num_users=len(rows), num_items=rows.shape[1]
        )
    )
    return HeadContext(np.arange(len(rows), dtype="int32"), history)


class TestCDAERanker:
    def test_weights(self):
        ranker = CDAERanker()
        ranker.build((4, 6, 3))
        shapes = {w.path.split("/")[-1]: tuple(w.shape) for w in ranker.weights}
        assert shapes == {
            "encoder": (6, 3),
            "hidden_bias": (3,),
            "output_bias": (6,),
        }
        assert ranker.batch_kind == "rows"

    def test_forward_pass_by_hand(self):
        ranker = built(corruption=0.5, hidden_activation="relu")
        # Row 0: x W = [2, -1]; + V_u [0, 1] + b [0.5, -0.5] -> relu [2.5, 0].
        # Row 1: x W = [0, 1]; + [1, 1] + b -> [1.5, 1.5].
        hidden = np.array([[2.5, 0.0], [1.5, 1.5]])
        expected = hidden @ ITEMS.T + [0.0, 1.0, -1.0]
        np.testing.assert_allclose(
            ranker.score_all(context(), USERS, ITEMS), expected
        )
        # Scores of given items are the same logits.
        pairs = ranker.score(context(), USERS, ITEMS[[2, 0]], np.array([2, 0]))
        np.testing.assert_allclose(pairs, [expected[0, 2], expected[1, 0]], rtol=1e-6)

    def test_training_drops_and_rescales_inputs(self):
        ranker = built(corruption=0.5, hidden_activation="identity")
        keras.utils.set_random_seed(0)
        rows = np.ones((64, 3), dtype="float32")
        users = np.zeros((64, 2), dtype="float32")
        logits = ops.convert_to_numpy(
            ranker.score_all(context(rows), users, ITEMS, training=True)
        )
        # With identity activation hidden = x~ W + b; recover x~ W.
        encoded = np.linalg.lstsq(
            ITEMS, (logits - [0.0, 1.0, -1.0]).T, rcond=None
        )[0].T - [0.5, -0.5]
        # x~ entries are 0 or 2 (dropped, or kept and scaled by 1 / 0.5);
        # with W's columns, x~ W = (x~_0 + x~_2, x~_1 - x~_2).
        first = set(np.round(encoded[:, 0], 4).tolist())
        second = set(np.round(encoded[:, 1], 4).tolist())
        assert first <= {0.0, 2.0, 4.0} and len(first) > 1
        assert second <= {-2.0, 0.0, 2.0} and len(second) > 1

    def test_loss_by_hand(self):
        ranker = built()
        logits = np.array([[2.0, -1.0, 0.0], [0.5, 3.0, -2.0]], dtype="float32")
        loss = float(
            ranker.loss(context(), {"rank": ops.convert_to_tensor(logits)})
        )
        bce = (
            np.maximum(logits, 0)
            - logits * ROWS
            + np.log1p(np.exp(-np.abs(logits)))
        )
        assert loss == pytest.approx(bce.sum() / ROWS.sum(), rel=1e-6)

    def test_penalty_weighs_encoder_rows(self):
        ranker = built()
        weights = np.array([2.0, 0.0, 1.0], dtype="float32")
        # Encoder row norms: 1, 1, 2.
        penalty = ranker.penalty(
            context(), ops.ones((2,)), np.arange(3), ops.convert_to_tensor(weights)
        )
        assert float(penalty) == pytest.approx(4.0)

    @pytest.mark.parametrize("corruption", [1.0, -0.1])
    def test_bad_corruption(self, corruption):
        with pytest.raises(
            ValueError,
            match=rf"`corruption` must be in \[0, 1\). Received: corruption={corruption}",
        ):
            CDAERanker(corruption=corruption)

    def test_bad_activation(self):
        with pytest.raises(
            ValueError,
            match="`hidden_activation` must be one of .* "
            "Received: hidden_activation='softmax'",
        ):
            CDAERanker(hidden_activation="softmax")


def sampled_built(negatives, rows=ROWS, seed=0, negative_ratio=None):
    """`built()`'s weights, training on `negatives` sampled items
    (unbiased `M / S` weights unless `negative_ratio` is given)."""
    ranker = CDAERanker(
        corruption=0.0,
        hidden_activation="sigmoid",
        negatives=negatives,
        negative_ratio=negative_ratio,
    )
    ranker._seed_generator = keras.random.SeedGenerator(seed)
    ranker.build((len(rows), rows.shape[1], 2))
    full = built()
    for mine, theirs in zip(ranker.weights, full.weights):
        mine.assign(theirs)
    return ranker


class TestSampledNegatives:
    def test_auto_samples_only_large_catalogues(self):
        ranker = CDAERanker()
        assert ranker.negatives == "auto"
        assert ranker.sample_size(AUTO_SAMPLED_MIN_ITEMS - 1) is None
        assert ranker.sample_size(AUTO_SAMPLED_MIN_ITEMS) == AUTO_SAMPLE_SIZE
        assert CDAERanker(negatives="all").sample_size(10**6) is None
        assert CDAERanker(negatives=7).sample_size(3) == 7

    @pytest.mark.parametrize("negatives", [0, -3, 2.5, True, "some"])
    def test_bad_negatives(self, negatives):
        with pytest.raises(ValueError, match="`negatives` must be"):
            CDAERanker(negatives=negatives)

    @pytest.mark.parametrize("ratio", [0, -1.0, float("nan"), float("inf"), True, "5"])
    def test_bad_negative_ratio(self, ratio):
        with pytest.raises(
            ValueError, match=r"`negative_ratio` must be a finite number > 0\. Received"
        ):
            CDAERanker(negative_ratio=ratio)

    def test_default_negative_ratio(self):
        assert CDAERanker().negative_ratio == DEFAULT_NEGATIVE_RATIO == 5.0
        assert CDAERanker(negative_ratio=None).negative_ratio is None
        assert CDAERanker(negative_ratio=2).negative_ratio == 2.0

    def test_ratio_weights_share_r_times_the_users_items(self):
        # User 0 has 2 training items, user 1 has 1: with r = 3, each
        # user's unseen draws share 3 x 2 = 6 and 3 x 1 = 3 in equal parts,
        # their own items' draws weigh 0.
        ranker = sampled_built(64, negative_ratio=3.0)
        embedding = keras.layers.Embedding(3, 2)
        embedding.build((None,))
        embedding.embeddings.assign(ITEMS)
        out = ranker.score_sampled(context(), USERS, embedding)
        weight = ops.convert_to_numpy(out["sampled_weight"])
        logits = ops.convert_to_numpy(built().score_all(context(), USERS, ITEMS))
        sampled_logits = ops.convert_to_numpy(out["rank_sampled"])
        sample = np.abs(sampled_logits[1][:, None] - logits[1][None]).argmin(1)
        unseen = ROWS[:, sample] == 0
        np.testing.assert_allclose(weight.sum(axis=1), [6.0, 3.0], rtol=1e-6)
        for user in range(2):
            np.testing.assert_allclose(
                weight[user],
                np.where(unseen[user], [6.0, 3.0][user] / unseen[user].sum(), 0.0),
                rtol=1e-6,
            )
        # The loss: observed entries weigh 1 each, the draws as above.
        observed = np.logaddexp(0.0, -ops.convert_to_numpy(out["rank"])).sum()
        unobserved = (weight * np.logaddexp(0.0, sampled_logits)).sum()
        assert float(ranker.loss(context(), out)) == pytest.approx(
            (observed + unobserved) / 3, rel=1e-5
        )

    def test_scores_match_the_full_row_encoder(self):
        # The sparse encoder x~ W (entries) is the dense one (rows).
        sampled = sampled_built(2)
        assert sampled.sampled and not built().sampled
        np.testing.assert_allclose(
            sampled.score_all(context(), USERS, ITEMS),
            built().score_all(context(), USERS, ITEMS),
            rtol=1e-6,
        )

    def test_observed_logits_and_masked_samples(self):
        ranker = sampled_built(64)
        embedding = keras.layers.Embedding(3, 2)
        embedding.build((None,))
        embedding.embeddings.assign(ITEMS)
        out = ranker.score_sampled(context(), USERS, embedding)
        logits = ops.convert_to_numpy(built().score_all(context(), USERS, ITEMS))
        # Entries in user order: (0, 0), (0, 2), (1, 1).
        np.testing.assert_allclose(
            out["rank"], [logits[0, 0], logits[0, 2], logits[1, 1]], rtol=1e-6
        )
        weight = ops.convert_to_numpy(out["sampled_weight"])
        assert weight.shape == (2, 64)
        sampled_logits = ops.convert_to_numpy(out["rank_sampled"])
        # Each column is one sampled item, the same for both users; recover
        # it from user 1's logits (all three differ), then check the mask:
        # weight M / S where the user has not seen the item, else 0.
        sample = np.abs(sampled_logits[1][:, None] - logits[1][None]).argmin(1)
        np.testing.assert_allclose(sampled_logits, logits[:, sample], rtol=1e-6)
        expected = np.where(ROWS[:, sample] > 0, 0.0, 3 / 64)
        np.testing.assert_allclose(weight, expected, rtol=1e-6)
        assert len(set(sample.tolist())) == 3  # 64 draws reach every item

    def test_seen_mask_matches_a_brute_force_lookup(self):
        # Users with repeated items, a sample with repeated draws and items
        # no user has: the mask is exactly "sampled item in the user's row".
        rng = np.random.default_rng(0)
        row = np.sort(rng.integers(0, 5, size=40)).astype("int32")
        items = rng.integers(0, 30, size=40).astype("int32")
        sample = rng.integers(0, 30, size=50).astype("int32")
        seen = ops.convert_to_numpy(CDAERanker._seen(row, items, sample, 6))
        rows = np.zeros((6, 30), bool)
        rows[row, items] = True
        np.testing.assert_array_equal(seen, rows[:, sample])
        assert seen.any() and not seen.all()

    def test_sampled_loss_estimates_the_full_row_loss(self):
        embedding = keras.layers.Embedding(3, 2)
        embedding.build((None,))
        embedding.embeddings.assign(ITEMS)
        full_ranker = built()
        full = float(
            full_ranker.loss(
                context(), {"rank": full_ranker.score_all(context(), USERS, ITEMS)}
            )
        )

        def sampled_loss(ranker):
            out = ranker.score_sampled(context(), USERS, embedding)
            return float(ranker.loss(context(), out))

        # A few items per batch: the estimate varies from draw to draw ...
        few = sampled_built(2, seed=3)
        assert len({round(sampled_loss(few), 6) for _ in range(8)}) > 1
        # ... and many draws in one batch average to the full-row loss
        # (unbiased weights M / S; sampling error ~0.3% at S = 200,000).
        many = sampled_built(200_000, seed=3)
        assert sampled_loss(many) == pytest.approx(full, rel=0.02)


class TestCDAERankerSerialization(TestCase):
    def test_serialization(self):
        revived = self.run_serialization_test(
            CDAERanker(
                corruption=0.5,
                hidden_activation="identity",
                negatives=9,
                negative_ratio=2.5,
            )
        )
        assert (
            revived.corruption,
            revived.hidden_activation,
            revived.negatives,
            revived.negative_ratio,
        ) == (0.5, "identity", 9, 2.5)

    def test_serialization_of_unbiased_weights(self):
        revived = self.run_serialization_test(CDAERanker(negative_ratio=None))
        assert revived.negative_ratio is None
