import keras
import numpy as np
import pytest
import tensorflow as tf

from rnr_keras import inputs
from rnr_keras import optimizers
from rnr_keras.layers import BPRRanker
from rnr_keras.layers import CDAERanker
from rnr_keras.layers import SVDppRater
from rnr_keras.layers import SVDRater
from rnr_keras.models import MultiTaskModel
from rnr_keras.models import multi_task_model
from tests import planted
from tests.test_case import TestCase


class TestMultiTaskModel:
    def test_rows_loss_is_per_interaction_mean_of_both_heads(self):
        model = MultiTaskModel(
            num_users=3,
            num_items=5,
            ranker=CDAERanker(corruption=0.0),
            rater="svd",
            embedding_dim=2,
            alpha=0.4,
            l2=0.0,
        ).adapt(planted.tiny_train())
        x = {"user": np.array([0, 2])}
        y_pred = model(x, training=True)
        assert sorted(y_pred) == ["rank", "rating"]
        assert y_pred["rating"].shape == (2, 5)
        loss = model.compute_loss(x, None, y_pred)
        logits = np.asarray(y_pred["rank"])
        predicted = np.asarray(y_pred["rating"])
        rows = np.array([[0, 1, 1, 0, 0], [1, 0, 0, 1, 1]], dtype="float32")
        ratings = np.array([[0, 4, 5, 0, 0], [2, 0, 0, 1, 5]], dtype="float32")
        bce = (
            np.maximum(logits, 0)
            - logits * rows
            + np.log1p(np.exp(-np.abs(logits)))
        )
        rank = bce.sum() / 5
        rating = (rows * (ratings - predicted) ** 2).sum() / 5
        assert float(loss) == pytest.approx(0.4 * rank + 0.6 * rating, rel=1e-5)

    @pytest.mark.parametrize(
        "ranker, rater, alpha, mode, negatives",
        [
            ("bpr", None, 1.0, "pairs", True),
            (None, "svd", 0.0, "pairs", False),
            ("bpr", "svd", 0.0, "pairs", False),
            ("cdae", "svd", 0.5, "rows", False),
            ("cdae", None, 1.0, "rows", False),
        ],
    )
    def test_input_mode(self, ranker, rater, alpha, mode, negatives):
        model = MultiTaskModel(
            num_users=3,
            num_items=5,
            ranker=ranker,
            rater=rater,
            alpha=alpha,
            embedding_dim=2,
        )
        assert model.input_mode == mode
        assert model.needs_negatives == negatives
        assert model.batch_kind.name == mode
        assert model.uses_history == (mode == "rows")

    @pytest.mark.parametrize("alpha", [1.3, -0.1, float("nan"), True])
    def test_bad_alpha(self, alpha):
        with pytest.raises(
            ValueError, match=r"`alpha` must be in \[0, 1\]. Received: alpha="
        ):
            MultiTaskModel(
                num_users=3, num_items=5, ranker="bpr", rater="svd", alpha=alpha
            )

    def test_alpha_must_match_heads(self):
        with pytest.raises(
            ValueError, match="Without a ranker `alpha` must be 0"
        ):
            MultiTaskModel(num_users=3, num_items=5, rater="svd", alpha=0.5)
        with pytest.raises(
            ValueError, match="Without a rater `alpha` must be 1"
        ):
            MultiTaskModel(num_users=3, num_items=5, ranker="bpr", alpha=0.5)

    def test_unknown_heads(self):
        with pytest.raises(
            ValueError, match=r"Unknown ranker 'foo'. Known: \['bpr', 'cdae'"
        ):
            MultiTaskModel(num_users=3, num_items=5, ranker="foo", rater="svd")
        with pytest.raises(
            ValueError, match=r"Unknown rater 'bar'. Known: \['svd'"
        ):
            MultiTaskModel(num_users=3, num_items=5, ranker="bpr", rater="bar")
        with pytest.raises(ValueError, match="`ranker` must be a name"):
            MultiTaskModel(
                num_users=3, num_items=5, ranker=SVDRater(), rater="svd"
            )
        with pytest.raises(ValueError, match="`rater` must be a name"):
            MultiTaskModel(
                num_users=3, num_items=5, ranker="bpr", rater=BPRRanker()
            )

    def test_heads_both_none(self):
        with pytest.raises(
            ValueError, match="`ranker` and `rater` cannot both be None"
        ):
            MultiTaskModel(num_users=3, num_items=5, ranker=None, rater=None)

    @pytest.mark.parametrize("embedding_dim", [0, -2, 1.5])
    def test_bad_embedding_dim(self, embedding_dim):
        with pytest.raises(
            ValueError,
            match=rf"`embedding_dim` must be a positive integer. "
            rf"Received: embedding_dim={embedding_dim}",
        ):
            MultiTaskModel(
                num_users=3,
                num_items=5,
                ranker="bpr",
                embedding_dim=embedding_dim,
                alpha=1.0,
            )

    @pytest.mark.parametrize("l2", [-0.001, float("nan")])
    def test_bad_l2(self, l2):
        with pytest.raises(
            ValueError, match=rf"`l2` must be >= 0. Received: l2={l2}"
        ):
            MultiTaskModel(
                num_users=3, num_items=5, ranker="bpr", alpha=1.0, l2=l2
            )

    def test_dataset_for_other_index_space(self):
        model = MultiTaskModel(
            num_users=3, num_items=5, ranker="bpr", alpha=1.0
        )
        other = planted.tiny_train()
        other = type(other)(other.users, other.items, num_users=3, num_items=6)
        with pytest.raises(
            ValueError,
            match="`train` does not match the model.*num_items=5.*num_items=6",
        ):
            inputs.dataset_for(model, other)
        with pytest.raises(
            ValueError, match="`train` does not match the model"
        ):
            model.adapt(other)

    def test_compile_presets(self):
        model = MultiTaskModel(
            num_users=3, num_items=5, ranker="cdae", alpha=1.0
        )
        model.compile()
        default = optimizers.get("default")
        assert type(model.optimizer) is type(default)
        assert float(model.optimizer.learning_rate) == pytest.approx(
            float(default.learning_rate)
        )
        model = MultiTaskModel(
            num_users=3, num_items=5, ranker="bpr", alpha=1.0
        )
        model.compile(optimizer="paper")
        assert isinstance(model.optimizer, keras.optimizers.Adagrad)
        assert float(model.optimizer.learning_rate) == pytest.approx(0.001)

    def test_default_jit_compile(self, monkeypatch):
        train = planted.tiny_train()

        def jit(ranker):
            model = MultiTaskModel(
                num_users=3, num_items=5, ranker=ranker, alpha=1.0
            ).adapt(train)
            model.compile()
            return model.jit_compile

        # XLA's compile time does not pay off on small data.
        assert not jit("bpr")
        monkeypatch.setattr(multi_task_model, "JIT_MIN_INTERACTIONS", 6)
        assert jit("bpr")
        # Row batches never use XLA.
        assert not jit("cdae")


@pytest.fixture(scope="module")
def mirrored(fresh_interpreter):
    """Fits under a 2-CPU MirroredStrategy (see `FRESH_SCRIPT`)."""
    result = fresh_interpreter["mirrored"]
    assert result["replicas"] == 2
    return result


def check_fitted(result):
    assert "error" not in result, result.get("error")
    assert len(result["loss"]) == 1
    assert np.all(np.isfinite(result["loss"]))
    assert result["change"] > 0 and result["finite"]


class TestMirroredStrategy:
    def test_rows_model_fits(self, mirrored):
        check_fitted(mirrored["cdae"])

    def test_pairs_model_fits(self, mirrored):
        check_fitted(mirrored["rnr_bpr"])

    def test_large_pairs_model_fits_with_default_compile(self, mirrored):
        check_fitted(mirrored["rnr_bpr_large"])

    def test_distributed_step_equals_single_device_step(self, mirrored):
        step = mirrored["cdae"]
        assert "error" not in step, step.get("error")
        assert step["reference_change"] > 1e-3
        assert step["loss"][0] == pytest.approx(
            step["reference_loss"][0], rel=1e-4
        )
        assert step["weight_diff"] < 1e-5


class TestMultiTaskModelSerialization(TestCase):
    def test_heads_by_instance(self):
        model = MultiTaskModel(
            num_users=3,
            num_items=5,
            ranker=BPRRanker(),
            rater=SVDRater(),
            embedding_dim=2,
        )
        assert model.input_mode == "pairs" and model.needs_negatives
        revived = self.run_serialization_test(model)
        assert isinstance(revived.ranker, BPRRanker)
        assert isinstance(revived.rater, SVDRater)

    def test_saving(self, tmp_path):
        train = planted.tiny_train()
        model = MultiTaskModel(
            num_users=3,
            num_items=5,
            ranker=CDAERanker(corruption=0.3),
            rater="svd",
            embedding_dim=2,
            alpha=0.5,
            post_consumption=True,
            activation="relu",
        ).adapt(train)
        model.compile(optimizer=keras.optimizers.Adam(0.1))
        model.fit(
            inputs.dataset_for(model, train, batch_size=2), epochs=1, verbose=0
        )
        users = np.array([0, 1, 2])
        loaded = self.run_model_saving_test(
            model,
            tmp_path,
            lambda m: np.concatenate(
                [m.score(users).ravel(), m.predict_rating(users, [4, 0, 3])]
            ),
        )
        assert loaded.post is not None and loaded.activation == "relu"
        assert loaded.ranker.corruption == 0.3
        # Row batches with a rater read the ratings from the data given
        # back to the loaded model.
        np.testing.assert_array_equal(
            np.array(loaded.interaction_history.ratings),
            np.array(model.interaction_history.ratings),
        )


class TestMediumData:
    """ML-1M-sized data: pair batches grow 4x and the "default" rate 2x."""

    def model(self, monkeypatch, ranker="bpr", interactions=1, rater=None):
        monkeypatch.setattr(multi_task_model, "MEDIUM_MIN_INTERACTIONS", interactions)
        return MultiTaskModel(
            num_users=3,
            num_items=5,
            ranker=ranker,
            rater=rater,
            alpha=1.0 if rater is None else 0.0,
        ).adapt(planted.tiny_train())

    def test_medium_needs_the_interactions_and_small_tables(self, monkeypatch):
        size = len(planted.tiny_train())
        assert self.model(monkeypatch, interactions=size).medium
        assert not self.model(monkeypatch, interactions=size + 1).medium
        # Not adapted: nothing to count.
        assert not MultiTaskModel(
            num_users=3, num_items=5, ranker="bpr", alpha=1.0
        ).medium
        # Large tables are `large`, not medium.
        monkeypatch.setattr(multi_task_model, "SPARSE_MIN_ROWS", 8)
        model = self.model(monkeypatch)
        assert model.large and not model.medium

    def test_pair_batches_and_rate_grow(self, monkeypatch):
        from rnr_keras.models.pair_batches import PairBatches

        monkeypatch.setattr(PairBatches, "medium_batch_size", 4)
        model = self.model(monkeypatch)
        model.compile()
        x, _ = next(iter(model.training_dataset(planted.tiny_train())))
        assert x["user"].shape[0] == 4
        assert type(model.optimizer) is keras.optimizers.Adam
        assert float(model.optimizer.learning_rate) == pytest.approx(
            2 * model.default_learning_rate
        )
        # The paper's AdaGrad keeps its rate.
        model.compile(optimizer="paper")
        assert float(model.optimizer.learning_rate) == pytest.approx(0.001)

    def test_small_data_keeps_batches_and_rate(self, monkeypatch):
        model = self.model(monkeypatch, interactions=10**9)
        model.compile()
        assert model.batch_kind.batch_size(model) == 1024
        assert float(model.optimizer.learning_rate) == np.float32(
            model.default_learning_rate
        )

    def test_history_readers_do_not_grow(self, monkeypatch):
        # SVD++ reads the users' histories in its step (no XLA): its
        # batches and rate stay as on small data.
        model = self.model(monkeypatch, ranker=None, rater=SVDppRater())
        assert model.medium
        model.compile()
        assert model.batch_kind.batch_size(model) == 1024
        assert float(model.optimizer.learning_rate) == np.float32(
            model.default_learning_rate
        )

    def test_row_batches_do_not_grow(self, monkeypatch):
        model = self.model(monkeypatch, ranker=CDAERanker())
        assert model.medium
        model.compile()
        assert model.batch_kind.batch_size(model) == 64
        assert float(model.optimizer.learning_rate) == np.float32(
            model.default_learning_rate
        )


class TestLargeTables(TestCase):
    """Yelp-sized tables: row-sparse optimisers, no XLA, large batches."""

    def model(self, monkeypatch, ranker="bpr", **kwargs):
        monkeypatch.setattr(multi_task_model, "SPARSE_MIN_ROWS", 8)
        monkeypatch.setattr(multi_task_model, "JIT_MIN_INTERACTIONS", 1)
        return MultiTaskModel(
            num_users=3, num_items=5, ranker=ranker, alpha=1.0, **kwargs
        ).adapt(planted.tiny_train())

    def test_presets_become_row_sparse(self, monkeypatch):
        model = self.model(monkeypatch)
        assert model.large
        model.compile()
        assert type(model.optimizer) is optimizers.LazyAdam
        # Pair batches grow at this size, and the rate with them.
        assert float(model.optimizer.learning_rate) == pytest.approx(
            5 * model.default_learning_rate
        )
        assert not model.jit_compile
        model.compile(optimizer="paper")
        assert type(model.optimizer) is optimizers.SparseAdagrad
        assert float(model.optimizer.learning_rate) == pytest.approx(0.001)
        # Below the threshold nothing changes: dense Adam, XLA on.
        monkeypatch.setattr(multi_task_model, "SPARSE_MIN_ROWS", 9)
        model.compile()
        assert type(model.optimizer) is keras.optimizers.Adam
        assert model.jit_compile

    @pytest.mark.parametrize("ranker, small", [("bpr", 30), ("cdae", 10)])
    def test_patience_shrinks(self, monkeypatch, ranker, small):
        model = self.model(monkeypatch, ranker=ranker)
        assert model.default_patience == multi_task_model.LARGE_PATIENCE
        monkeypatch.setattr(multi_task_model, "SPARSE_MIN_ROWS", 9)
        assert model.default_patience == small
        # A head whose own patience is below the cap keeps it.
        monkeypatch.setattr(multi_task_model, "SPARSE_MIN_ROWS", 8)
        monkeypatch.setattr(multi_task_model, "LARGE_PATIENCE", 50)
        assert model.default_patience == small

    def test_penalty_reuses_the_lookups(self, monkeypatch):
        # One lookup per row read: a batch of B pairs gives the sparse
        # optimiser B user slices and 2B item slices to sum, not twice
        # as many, and the penalty is the same sum of squared rows.
        model = self.model(monkeypatch, l2=0.5)
        model.compile()
        x, y = next(iter(model.training_dataset(planted.tiny_train(), batch_size=4)))
        with tf.GradientTape() as tape:
            outputs = model(x, training=True)
            _, _, penalty = model.batch_kind.losses(model, x, y, outputs)
            loss = model.compute_loss(x, y, outputs)
        users = model.user_embedding.embeddings
        items = model.item_embedding.embeddings
        user_slices, item_slices = tape.gradient(loss, [users, items])
        assert user_slices.indices.shape[0] == 4
        assert item_slices.indices.shape[0] == 8
        user_table = np.asarray(users.numpy())
        item_table = np.asarray(items.numpy())
        rows = np.concatenate([x["item"], x["negative"]])
        expected = (
            (user_table[x["user"]] ** 2).sum() + (item_table[rows] ** 2).sum()
        ) / 4
        assert float(penalty) == pytest.approx(expected, rel=1e-6)

    @pytest.mark.parametrize(
        "ranker, rater, post",
        [
            ("bpr", None, False),
            ("bpr", "svd", True),
            ("wrmf", "svdpp", False),
            (CDAERanker(negatives=3), "svd", True),
        ],
        ids=["bpr", "rnr-bpr-svd", "vanilla-wrmf-svdpp", "rnr-cdae-svd"],
    )
    def test_a_step_reads_rows_not_tables(self, monkeypatch, ranker, rater, post):
        # Every lookup of a user or item table (U, I, Id, the heads' item
        # tables) in a training step gathers rows from
        # the variable: a dense read of a table the sparse optimisers have
        # written in place copies it whole, every step (Keras's Embedding
        # lookup did, a third of a Yelp-size BPR step).
        from rnr_keras.layers import row_reads

        monkeypatch.setattr(row_reads, "ROW_READ_MIN_ROWS", 1)
        train = planted.tiny_train()
        model = MultiTaskModel(
            num_users=train.num_users, num_items=train.num_items,
            ranker=ranker, rater=rater, embedding_dim=4,
            alpha=1.0 if rater is None else 0.9, post_consumption=post,
        ).adapt(train)
        x = next(iter(model.training_dataset(train)))
        x, y = x if isinstance(x, tuple) else (x, None)
        variables = model.trainable_variables
        # The matrices; biases are read whole (see `take_rows`).
        tables = {
            v.path: v
            for v in variables
            if len(v.shape) == 2 and v.shape[0] in (train.num_users, train.num_items)
        }
        assert {"user_embedding", "item_embedding"} <= {
            path.split("/")[0] for path in tables
        }
        # By design: WRMF's Gramian term reads the whole item matrix, and
        # SVD++'s penalty takes the row norms of its whole implicit table
        # first (cheaper than per history entry on small catalogues).
        whole = set()
        if ranker == "wrmf":
            whole.add("item_embedding/embeddings")
        if rater == "svdpp":
            whole.add("svdpp/implicit")

        @tf.function
        def step(x, y):
            with tf.GradientTape() as tape:
                loss = model.compute_loss(x, y, model(x, training=True))
            return tape.gradient(loss, variables)

        graph = step.get_concrete_function(x, y).graph
        handles = {
            id(internal): path
            for path, variable in tables.items()
            for external, internal in graph.captures
            if external is variable.value.handle
        }
        assert len(handles) == len(tables)
        read = {
            handles[id(op.inputs[0])]
            for op in graph.get_operations()
            if op.type == "ReadVariableOp" and id(op.inputs[0]) in handles
        }
        assert read == whole

    def test_pair_batches_grow(self, monkeypatch):
        from rnr_keras.models.pair_batches import PairBatches

        monkeypatch.setattr(PairBatches, "large_batch_size", 4)
        x, _ = next(iter(self.model(monkeypatch).training_dataset(planted.tiny_train())))
        assert x["user"].shape[0] == 4

    def test_sampled_row_batches_grow(self, monkeypatch):
        # A large model whose CDAE samples its negatives takes larger user
        # batches, at a scaled rate; a full-row CDAE, or a small model,
        # keeps batches of 64 users and the head's rate.
        from rnr_keras.models.row_batches import RowBatches

        monkeypatch.setattr(RowBatches, "large_batch_size", 2)
        monkeypatch.setattr(RowBatches, "large_learning_rate_scale", 3.0)

        def first_batch(negatives, large=True):
            model = self.model(monkeypatch, ranker=CDAERanker(negatives=negatives))
            if not large:
                monkeypatch.setattr(multi_task_model, "SPARSE_MIN_ROWS", 10**6)
            model.compile()
            x = next(iter(model.training_dataset(planted.tiny_train())))
            rate = float(model.optimizer.learning_rate)
            return x["user"].shape[0], rate / model.default_learning_rate

        users = planted.tiny_train().num_users
        assert first_batch(4) == (2, pytest.approx(3.0))
        assert first_batch("all") == (users, pytest.approx(1.0))
        assert first_batch(4, large=False) == (users, pytest.approx(1.0))

    def test_sampled_rows_look_each_row_up_once(self):
        # Scores, rater and penalty share one lookup of U, I and CDAE's
        # encoder: B user slices, N encoder slices and N + S item slices
        # (N entries, S sampled items), and the same penalty value.
        train = planted.tiny_train()
        model = MultiTaskModel(
            num_users=train.num_users, num_items=train.num_items,
            ranker=CDAERanker(negatives=3), rater=SVDRater(), alpha=0.9,
            l2=0.5,
        ).adapt(train)
        x = next(iter(model.training_dataset(train)))
        with tf.GradientTape() as tape:
            outputs = model(x, training=True)
            _, _, penalty = model.batch_kind.losses(model, x, None, outputs)
            loss = model.compute_loss(x, None, outputs)
        variables = [
            model.user_embedding.embeddings,
            model.item_embedding.embeddings,
            model.ranker.encoder,
        ]
        users, items, encoder = tape.gradient(loss, variables)
        batch = x["user"].shape[0]
        entries = int(np.isin(train.users, np.asarray(x["user"])).sum())
        assert users.indices.shape[0] == batch
        assert encoder.indices.shape[0] == entries
        assert items.indices.shape[0] == entries + 3
        counts = np.bincount(train.users, minlength=train.num_users)
        u, i, w = (np.asarray(v.numpy()) for v in variables)
        sgd = model.rater
        expected = (
            (counts[x["user"]] * ((u[x["user"]] ** 2).sum(1)
             + np.asarray(sgd.user_bias.numpy())[x["user"]] ** 2)).sum()
            + sum(
                (i[train.items[train.users == user]] ** 2).sum()
                + (w[train.items[train.users == user]] ** 2).sum()
                + (np.asarray(sgd.item_bias.numpy())[train.items[train.users == user]] ** 2).sum()
                for user in np.asarray(x["user"])
            )
        ) / entries
        assert float(penalty) == pytest.approx(expected, rel=1e-5)

    def test_sampled_cdae_steps_touch_batch_rows_only(self, monkeypatch):
        # With sampled negatives every embedding gradient is row-sparse,
        # and one fitted epoch changes the loss and keeps it finite.
        model = MultiTaskModel(
            num_users=3, num_items=5, ranker=CDAERanker(negatives=3),
            rater=SVDRater(), alpha=0.9, post_consumption=True,
        ).adapt(planted.tiny_train())
        assert model.ranker.sampled
        dataset = model.training_dataset(planted.tiny_train())
        x = next(iter(dataset))
        with tf.GradientTape() as tape:
            loss = model.compute_loss(x, None, model(x, training=True))
        grads = tape.gradient(loss, model.trainable_variables)
        kinds = {
            v.path: type(g).__name__
            for v, g in zip(model.trainable_variables, grads)
        }
        # U, I, Id and CDAE's encoder: only the batch's rows.
        sparse = [
            path for path in kinds
            if path.endswith(("embeddings", "deviation", "encoder"))
        ]
        assert len(sparse) == 4, kinds
        for path in sparse:
            assert kinds[path] == "IndexedSlices", kinds
        model.compile()
        history = model.fit(dataset, epochs=2, verbose=0)
        assert np.all(np.isfinite(history.history["loss"]))
