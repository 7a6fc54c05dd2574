"""Row batches: one user per example, with the whole training row."""

from keras import ops

from rnr_keras.models.batch_kind import BatchKind

#: `large_learning_rate_scale` of sampled row batches: CDAE's Adam rate
#: 0.005 becomes 0.015. Chosen on validation Recall@10 / MRR@10 of
#: `synthetic(shape="yelp")` (seed 0, S = 8,192, 5,934 sampled validation
#: users, s.e. of Recall@10 ~0.001): after 2 epochs 0.0081 / 0.0020 at
#: 0.005, 0.0098 / 0.0039 at 0.015; after 3, 0.0069 / 0.0012 and 0.0084 /
#: 0.0039. (Batches of 64 users at 0.005: 0.0081 / 0.0028 after one epoch,
#: which took as long as 5 epochs of 1,024.) Those runs weighed sampled
#: items `M / S`; with the default `negative_ratio` 5 the rate was checked
#: again on a smaller Yelp-like set (see `DEFAULT_NEGATIVE_RATIO` in
#: `rnr_keras/layers/cdae_ranker.py`): 0.005, 0.015 and 0.03 gave best
#: validation Recall@10 0.052, 0.066 and 0.050 in 6 epochs.
LARGE_ROWS_SCALE = 3.0


class RowBatches(BatchKind):
    """One user per example; the model reads the user's training row.

    The row comes from the data given to `adapt` (rebuilt per batch, never
    a dense user x item matrix of the dataset). The ranker scores every
    item (CDAE's reconstruction); the rater's loss is the squared error
    over the user's observed ratings. Both losses and the penalty are
    divided by the number of observed interactions in the batch, so they
    are per-interaction means and `alpha` weighs like with like.

    With a ranker that samples its negatives (CDAE on a large catalogue,
    `CDAERanker.sample_size`), nothing of size `(B, M)` is built: the
    ranker scores the users' observed items and a sample of items, the
    rater rates the observed items only, and the penalty reads the rows
    of those items with the same weights (an item's weight is its count in
    the batch over the batch's interactions, exactly as in the full-row
    penalty), so every gradient of U, I and Id is row-sparse.
    """

    name = "rows"
    default_batch_size = 64
    #: Users per batch of a `large` model whose ranker samples its
    #: negatives (CDAE on a large catalogue): a step's cost then grows
    #: with the batch times the sample, and its fixed part (optimiser,
    #: lookups, kernel launches) is paid 16x less often. CDAE at Yelp size
    #: (2 cores, S = 16,384): ~66 ms per step of 64 users, ~290 ms per
    #: step of 1,024, so ~300 s against ~85 s per epoch.
    large_batch_size = 1024
    #: 16x larger batches take 16x fewer steps (see `LARGE_ROWS_SCALE`).
    large_learning_rate_scale = LARGE_ROWS_SCALE
    # The rows' ragged building has data-dependent shapes.
    jit_compatible = False

    @staticmethod
    def sampled(model):
        """Whether `model` trains its ranker on sampled negatives (CDAE on
        a large catalogue; see `CDAERanker.sample_size`)."""
        sample_size = getattr(model.ranker, "sample_size", None)
        return (
            sample_size is not None
            and model.trains_ranker
            and sample_size(model.num_items) is not None
        )

    def grows(self, model):
        # Full rows of a large catalogue stay at 64 users: (B, M) floats.
        return super().grows(model) and self.sampled(model)

    def dataset(self, model, train, batch_size=None, shuffle=True, seed=0):
        from rnr_keras.inputs.pipelines import user_dataset

        if batch_size is None:
            batch_size = self.batch_size(model)
        return user_dataset(train, batch_size, shuffle=shuffle, seed=seed)

    def call(self, model, inputs, training=False):
        if self.sampled(model):
            return self._call_sampled(model, inputs, training)
        users = inputs["user"]
        context = model.context(users)
        user_vectors = model.user_rows(users)
        item_matrix = model.item_embedding.embeddings
        outputs = {}
        if model.ranker is not None and (model.trains_ranker or not training):
            outputs["rank"] = model.ranker.score_all(
                context, user_vectors, item_matrix, training=training
            )
        if model.rater is not None and (model.trains_rater or not training):
            p, q = model.rating_vectors(user_vectors, item_matrix)
            outputs["rating"] = model.rater.rate_all(context, p, q)
        return outputs

    def _call_sampled(self, model, inputs, training):
        users = inputs["user"]
        context = model.context(users)
        row, items, _ = context.entries()
        # One lookup of each row read: the scores, the rater and the
        # penalty share them (fewer gradient slices to sum).
        user_vectors = context.user_vectors = model.user_rows(users)
        context.item_vectors = model.item_rows(items)
        outputs = dict(
            model.ranker.score_sampled(
                context, user_vectors, model.item_embedding, training=training
            )
        )
        if model.rater is not None and (model.trains_rater or not training):
            p, q = model.rating_vectors(
                ops.take(user_vectors, row, axis=0), context.item_vectors, items
            )
            outputs["rating"] = model.rater.rate(context.of_entries(), p, q, items)
        return outputs

    def _losses_sampled(self, model, x, y_pred):
        users = x["user"]
        context = model.context(users)
        row, items, ratings = context.entries()
        rank_loss = rating_loss = ops.zeros(())
        if model.trains_ranker:
            rank_loss = model.ranker.loss(context, y_pred)
        if model.trains_rater:
            rating_loss = model.rater.loss(y_pred["rating"], ratings)
        total = ops.maximum(ops.cast(ops.shape(items)[0], "float32"), 1.0)
        user_weights = ops.cast(context.counts(), "float32") / total
        item_weights = ops.ones(ops.shape(items), dtype="float32") / total
        user_vectors, item_vectors = context.user_vectors, context.item_vectors
        if user_vectors is None:  # `losses` without `call` on this batch
            user_vectors = model.user_rows(users)
        if item_vectors is None:
            item_vectors = model.item_rows(items)
        penalty = self.weighted_squares(
            user_vectors, user_weights
        ) + self.weighted_squares(item_vectors, item_weights)
        if model.trains_rater and model.post is not None:
            penalty += self.weighted_norms(model.post.deviation, items, item_weights)
        penalty += model.ranker.penalty(context, user_weights, items, item_weights)
        if model.trains_rater:
            penalty += model.rater.penalty(context, user_weights, items, item_weights)
        return rank_loss, rating_loss, penalty

    def losses(self, model, x, y, y_pred):
        if self.sampled(model):
            return self._losses_sampled(model, x, y_pred)
        users = x["user"]
        context = model.context(users)
        rows = context.rows()
        rank_loss = rating_loss = ops.zeros(())
        if model.trains_ranker:
            rank_loss = model.ranker.loss(context, y_pred)
        if model.trains_rater:
            rating_loss = model.rater.loss(
                y_pred["rating"], context.rating_rows(), weights=rows
            )
        total = ops.maximum(ops.sum(rows), 1.0)
        user_weights = ops.sum(rows, axis=1) / total
        item_weights = ops.sum(rows, axis=0) / total
        items = ops.arange(model.num_items, dtype="int32")
        item_norms = ops.sum(ops.square(model.item_embedding.embeddings), axis=1)
        if model.trains_rater and model.post is not None:
            item_norms += ops.sum(ops.square(model.post.deviation), axis=1)
        penalty = self.weighted_norms(
            model.user_embedding.embeddings, users, user_weights
        ) + ops.sum(item_weights * item_norms)
        if model.trains_ranker:
            penalty += model.ranker.penalty(context, user_weights, items, item_weights)
        if model.trains_rater:
            penalty += model.rater.penalty(context, user_weights, items, item_weights)
        return rank_loss, rating_loss, penalty
