"""Sequence batches: windows of a user's time-ordered training items."""

from keras import ops

from rnr_keras.layers.head_context import HeadContext
from rnr_keras.models.batch_kind import BatchKind


class SequenceBatches(BatchKind):
    """One window of a user's time-ordered training items per example.

    For sequence rankers (`SequenceRanker`: SASRec). A window holds the
    encoder's input, `sequence` (L items, left-padded with -1), and at
    each position the next item, `target` (see
    `rnr_keras.inputs.sequence_dataset`); only positions whose input and
    target are both items count. The ranker encodes the window once; the
    state h_t after items `s_0 .. s_t` is the user vector p_u at that time:
    - R predicts `s_{t+1}` from h_t (the ranker's loss: cross-entropy over
      the catalogue, or one sampled negative);
    - P rates `s_{t+1}` from the same h_t, i.e. the squared error of the
      window's ratings, each predicted from what the user had consumed
      before it (vanilla: `h_t . q + biases`; RnR: `FC(h_t) . FC(q +
      q_dev) + biases`).
    Both losses are means over the window's targets, so `alpha` weighs
    like with like. Every position of a window is computed and the pads
    weighted 0, so shapes are static and XLA can compile the step. The
    penalty adds, per target, the squared norms of the item rows it reads
    (q, q_dev in RnR, the rater's biases); the model's user matrix U is
    not used by sequence rankers and is frozen.
    """

    name = "sequences"
    default_batch_size = 128
    uses_user_embedding = False

    def dataset(self, model, train, batch_size=None, shuffle=True, seed=0):
        from rnr_keras.inputs.pipelines import sequence_dataset

        return sequence_dataset(
            train,
            model.ranker.max_length,
            batch_size or self.default_batch_size,
            negatives=model.trains_ranker and model.ranker.needs_negatives,
            shuffle=shuffle,
            seed=seed,
        )

    def training_reads_history(self, model):
        # The windows carry the ranker's input; only a rater that reads
        # the user's history (SVD++) needs it.
        return model.rater is not None and model.rater.uses_history

    def user_vectors(self, model, context, training=False):
        """The encoding of each user's latest items (the last state)."""
        states = model.ranker.encode(
            context, model.item_embedding.embeddings, training=training
        )
        return states[:, -1, :]

    @staticmethod
    def _positions(x):
        """Flat `(targets, weights)` of every window position: the next
        item (0 at pads) and 1 where the input and the target are both
        items, else 0. Static shapes, so XLA compiles the step."""
        sequence = ops.reshape(x["sequence"], (-1,))
        target = ops.reshape(x["target"], (-1,))
        valid = ops.logical_and(sequence >= 0, target >= 0)
        return ops.maximum(target, 0), ops.cast(valid, "float32")

    def call(self, model, inputs, training=False):
        users = inputs["user"]
        context = model.context(users)
        context.sequence = inputs["sequence"]
        item_matrix = model.item_embedding.embeddings
        states = model.ranker.encode(context, item_matrix, training=training)
        length = ops.shape(states)[1]
        states = ops.reshape(states, (-1, ops.shape(states)[2]))
        targets, weights = self._positions(inputs)
        outputs = {"target": targets, "weight": weights}
        if model.trains_ranker or not training:
            negatives = None
            if "negative" in inputs:
                negatives = ops.reshape(inputs["negative"], (-1,))
            outputs.update(
                model.ranker.sequence_outputs(states, item_matrix, targets, negatives)
            )
        if model.rater is not None and (model.trains_rater or not training):
            rater_context = self.target_context(model, users, length)
            p, q = model.rating_vectors(
                states, ops.take(item_matrix, targets, axis=0), targets
            )
            outputs["rating"] = model.rater.rate(rater_context, p, q, targets)
        return outputs

    @staticmethod
    def target_context(model, users, length):
        """A `HeadContext` with one row per window position: its user."""
        return HeadContext(
            ops.reshape(ops.repeat(ops.expand_dims(users, 1), length, axis=1), (-1,)),
            model.interaction_history,
            owner=type(model).__name__,
        )

    def losses(self, model, x, y, y_pred):
        users = x["user"]
        context = model.context(users)
        targets, weights = y_pred["target"], y_pred["weight"]
        rank_loss = rating_loss = ops.zeros(())
        if model.trains_ranker:
            rank_loss = model.ranker.loss(context, y_pred)
        if model.trains_rater:
            rating_loss = model.rater.loss(
                y_pred["rating"], ops.reshape(y, (-1,)), weights=weights
            )
        weights = weights / ops.maximum(ops.sum(weights), 1.0)
        penalty = self.weighted_norms(model.item_embedding.embeddings, targets, weights)
        if model.trains_ranker:
            penalty += model.ranker.penalty(context, weights, targets, weights)
        if model.trains_rater:
            if model.post is not None:
                penalty += self.weighted_norms(model.post.deviation, targets, weights)
            rater_context = self.target_context(
                model, users, ops.shape(x["sequence"])[1]
            )
            penalty += model.rater.penalty(rater_context, weights, targets, weights)
        return rank_loss, rating_loss, penalty
