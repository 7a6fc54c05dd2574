"""Pair batches: one training interaction per example."""

from keras import ops

from rnr_keras.models.batch_kind import BatchKind


class PairBatches(BatchKind):
    """One training interaction (u, i, r) per example.

    With a ranker that `needs_negatives` (BPR), each example also carries an
    item j drawn uniformly from the items u has not interacted with in
    training (`rnr_keras.inputs.pair_dataset`). Both losses are batch
    means; the penalty adds, per example, the squared norms of the rows it
    reads: p_u, q_i (and q_j), q_dev_i in RnR, and the heads' own rows.
    """

    name = "pairs"
    default_batch_size = 1024
    #: Batch size of a `large` model (Yelp-sized tables): a row-sparse step
    #: costs about the same whatever the batch up to tens of thousands of
    #: rows, so throughput grows with it (BPR on 2 cores: ~40k
    #: interactions/s at 2,048, ~150-190k at 32,768).
    large_batch_size = 32768
    #: 32x larger batches take 32x fewer steps: BPR's Adam rate 0.002
    #: becomes 0.01. Chosen on validation Recall@10 of
    #: `synthetic(shape="yelp")` (seed 0, 3 epochs, 6,655 sampled
    #: validation users): 0.019 at 0.002, 0.029 at 0.01, 0.017 at 0.03
    #: (which peaked at epoch 2 and fell).
    large_learning_rate_scale = 5.0

    def dataset(self, model, train, batch_size=None, shuffle=True, seed=0):
        from rnr_keras.inputs.pipelines import pair_dataset

        if batch_size is None:
            batch_size = self.batch_size(model)
        return pair_dataset(
            train,
            batch_size,
            negatives=model.needs_negatives,
            shuffle=shuffle,
            seed=seed,
        )

    def call(self, model, inputs, training=False):
        users, items = inputs["user"], inputs["item"]
        context = model.context(users)
        user_vectors = model.user_rows(users)
        item_vectors = model.item_rows(items)
        # For ranking losses over every item (WRMF's Gramian term), so
        # `losses` need not look them up again.
        context.user_vectors = user_vectors
        context.item_matrix = model.item_embedding.embeddings
        # The penalty reads these rows too: one lookup per row means one
        # gradient slice per row, half the rows the sparse optimisers must
        # sum per table.
        context.item_vectors = item_vectors
        context.negative_vectors = None
        outputs = {}
        if model.ranker is not None and (model.trains_ranker or not training):
            outputs["rank"] = model.ranker.score(
                context, user_vectors, item_vectors, items
            )
            if "negative" in inputs:
                negatives = inputs["negative"]
                context.negative_vectors = model.item_rows(negatives)
                outputs["rank_negative"] = model.ranker.score(
                    context, user_vectors, context.negative_vectors, negatives
                )
        if model.rater is not None and (model.trains_rater or not training):
            p, q = model.rating_vectors(user_vectors, item_vectors, items)
            outputs["rating"] = model.rater.rate(context, p, q, items)
        return outputs

    def losses(self, model, x, y, y_pred):
        users, items = x["user"], x["item"]
        context = model.context(users)
        rank_loss = rating_loss = ops.zeros(())
        if context.user_vectors is None:  # a context `call` did not see
            context.user_vectors = model.user_rows(users)
            context.item_matrix = model.item_embedding.embeddings
            context.item_vectors = model.item_rows(items)
        negative = "negative" in x and model.trains_ranker
        if negative and context.negative_vectors is None:
            context.negative_vectors = model.item_rows(x["negative"])
        if model.trains_ranker:
            rank_loss = model.ranker.loss(context, y_pred)
        if model.trains_rater:
            rating_loss = model.rater.loss(
                y_pred["rating"], ops.reshape(y, (-1,))
            )
        size = ops.cast(ops.shape(users)[0], "float32")
        weights = ops.ones(ops.shape(users), dtype="float32") / size
        read = items
        read_weights = weights
        penalty = self.weighted_squares(
            context.user_vectors, weights
        ) + self.weighted_squares(context.item_vectors, weights)
        if negative:
            read = ops.concatenate([items, x["negative"]], axis=0)
            read_weights = ops.concatenate([weights, weights], axis=0)
            penalty += self.weighted_squares(context.negative_vectors, weights)
        if model.trains_ranker:
            penalty += model.ranker.penalty(context, weights, read, read_weights)
        if model.trains_rater:
            if model.post is not None:
                penalty += self.weighted_norms(model.post.deviation, items, weights)
            penalty += model.rater.penalty(context, weights, items, weights)
        return rank_loss, rating_loss, penalty
