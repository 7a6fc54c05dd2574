"""Row batches: one user per example, with the whole training row."""

from keras import ops

from rnr_keras.models.batch_kind import BatchKind


class RowBatches(BatchKind):
    """One user per example; the model reads the user's training row.

    The row comes from the data given to `adapt` (rebuilt per batch, never
    a dense user x item matrix of the dataset). The ranker scores every
    item (CDAE's reconstruction); the rater's loss is the squared error
    over the user's observed ratings. Both losses and the penalty are
    divided by the number of observed interactions in the batch, so they
    are per-interaction means and `alpha` weighs like with like.
    """

    name = "rows"
    default_batch_size = 64
    # The rows' ragged building has data-dependent shapes.
    jit_compatible = False

    def dataset(self, model, train, batch_size=None, shuffle=True, seed=0):
        from rnr_keras.inputs.pipelines import user_dataset

        return user_dataset(
            train, batch_size or self.default_batch_size, shuffle=shuffle, seed=seed
        )

    def call(self, model, inputs, training=False):
        users = inputs["user"]
        context = model.context(users)
        user_vectors = model.user_embedding(users)
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

    def losses(self, model, x, y, y_pred):
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
