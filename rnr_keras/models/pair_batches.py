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
    #: Batch size of a `medium` model (ML-1M-sized data; `MultiTaskModel.
    #: medium`): each XLA step there is mostly the dense Adam update of
    #: the whole tables, so 4x larger batches nearly halve an epoch (BPR
    #: on synthetic ML-1M, 2 cores: 1.53 -> 0.82 s).
    medium_batch_size = 4096
    #: ... with a 2x "default" rate (BPR's 0.002 becomes 0.004). Chosen on
    #: validation of `synthetic(shape="ml-1m")` (2,500 users, s.e. of
    #: Recall@10 ~0.008): BPR's Recall@10 after 4 epochs at 4,096 was
    #: 0.194 at 1x, 0.202 at 2x and 0.184 at 4x (1,024 at 1x: 0.202).
    #: Early-stopped with `fit_model`, seeds 0 / 1, batch 1,024 at 1x
    #: against 4,096 at 2x: BPR 0.210 / 0.212 against 0.213 / 0.211;
    #: RnR(BPR, SVD) 0.208 / 0.210 against 0.208 / 0.209; Vanilla(BPR,
    #: SVD) 0.192 / 0.193 against 0.195 / 0.191; WRMF 0.215 / 0.215
    #: against 0.216 / 0.216; SVD's validation RMSE 0.651 / 0.653 against
    #: 0.654 / 0.652. Each run's training (validation included) took 42-64%
    #: of its time at 1,024.
    medium_learning_rate_scale = 2.0

    def grows_medium(self, model):
        # Only steps XLA compiles, whose cost the dense update dominates:
        # heads that read the users' histories (SVD++) were not checked.
        return super().grows_medium(model) and not self.training_reads_history(model)

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
