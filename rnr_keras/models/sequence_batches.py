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
    like with like. The penalty adds, per target, the squared norms of the
    item rows it reads (q, q_dev in RnR, the rater's biases); the model's
    user matrix U is not used by sequence rankers and is frozen.
    """

    name = "sequences"
    default_batch_size = 128
    # The targets are gathered by a data-dependent mask.
    jit_compatible = False
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

    def user_vectors(self, model, context, training=False):
        """The encoding of each user's latest items (the last state)."""
        states = model.ranker.encode(
            context, model.item_embedding.embeddings, training=training
        )
        return states[:, -1, :]

    @staticmethod
    def _flat(x):
        """Indices of the positions with an input and a target."""
        valid = ops.logical_and(x["sequence"] >= 0, x["target"] >= 0)
        return ops.nonzero(ops.reshape(valid, (-1,)))[0]

    def call(self, model, inputs, training=False):
        users = inputs["user"]
        context = model.context(users)
        context.sequence = inputs["sequence"]
        item_matrix = model.item_embedding.embeddings
        states = model.ranker.encode(context, item_matrix, training=training)
        length = ops.shape(states)[1]
        flat = self._flat(inputs)
        states = ops.take(ops.reshape(states, (-1, ops.shape(states)[2])), flat, axis=0)
        targets = ops.take(ops.reshape(inputs["target"], (-1,)), flat)
        outputs = {"target": targets}
        if model.trains_ranker or not training:
            negatives = None
            if "negative" in inputs:
                negatives = ops.take(ops.reshape(inputs["negative"], (-1,)), flat)
            outputs.update(
                model.ranker.sequence_outputs(states, item_matrix, targets, negatives)
            )
        if model.rater is not None and (model.trains_rater or not training):
            rater_context = self.target_context(model, users, length, flat)
            p, q = model.rating_vectors(
                states, ops.take(item_matrix, targets, axis=0), targets
            )
            outputs["rating"] = model.rater.rate(rater_context, p, q, targets)
        return outputs

    @staticmethod
    def target_context(model, users, length, flat):
        """A `HeadContext` with one row per target: its user."""
        per_position = ops.reshape(
            ops.repeat(ops.expand_dims(users, 1), length, axis=1), (-1,)
        )
        return HeadContext(
            ops.take(per_position, flat),
            model.interaction_history,
            owner=type(model).__name__,
        )

    def losses(self, model, x, y, y_pred):
        users = x["user"]
        context = model.context(users)
        flat = self._flat(x)
        targets = y_pred["target"]
        rank_loss = rating_loss = ops.zeros(())
        if model.trains_ranker:
            rank_loss = model.ranker.loss(context, y_pred)
        if model.trains_rater:
            ratings = ops.take(ops.reshape(y, (-1,)), flat)
            rating_loss = model.rater.loss(y_pred["rating"], ratings)
        size = ops.maximum(ops.cast(ops.shape(targets)[0], "float32"), 1.0)
        weights = ops.ones(ops.shape(targets), dtype="float32") / size
        penalty = self.weighted_norms(model.item_embedding.embeddings, targets, weights)
        if model.trains_ranker:
            penalty += model.ranker.penalty(context, weights, targets, weights)
        if model.trains_rater:
            if model.post is not None:
                penalty += self.weighted_norms(model.post.deviation, targets, weights)
            rater_context = self.target_context(
                model, users, ops.shape(x["sequence"])[1], flat
            )
            penalty += model.rater.penalty(rater_context, weights, targets, weights)
        return rank_loss, rating_loss, penalty
