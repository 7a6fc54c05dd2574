"""The interface of rankers that encode a user's time-ordered history."""

import abc

from keras import ops

from rnr_keras.api_export import rnr_export
from rnr_keras.layers.ranker import Ranker
from rnr_keras.validation import check_positive_int

#: The ranking losses a sequence ranker trains with.
OBJECTIVES = ("softmax", "bce")


@rnr_export
class SequenceRanker(Ranker):
    """Base class of sequence rankers (SASRec, ...), trained on windows.

    A sequence ranker reads each user's training items in time order (by
    timestamp, ties in input order: the protocol's rule for "last"), not a
    user id: its user vector is an *encoding* of the user's latest
    `max_length` items, `encode(context, item_matrix)[:, -1]`. The model's
    user matrix U is therefore not used (it is frozen); the item matrix I
    is shared, with the rater in multi-task models. The rater of a
    multi-task model reads the same encodings as p_u: the state after
    items `s_0 .. s_t` rates item `s_{t+1}` (see `SequenceBatches`).

    Training is on `"sequences"` batches (`SequenceBatches`): windows of
    `max_length + 1` items, the encoder predicting the next item at every
    position. The ranking loss, `objective`, is one of:
    - `"softmax"`: cross-entropy of the next item over the whole catalogue
      (Kang and McAuley's SASRec used one sampled negative with a binary
      loss; full cross-entropy is much stronger, Klenitskiy and Vasilev,
      RecSys 2023);
    - `"bce"`: the original binary loss, the next item against one item
      drawn uniformly from the catalogue per position.

    Subclasses implement `encode`; scores are dot products of encodings
    and item vectors.

    Args:
        max_length: int. L, the latest items a user is encoded from.
        objective: str. The ranking loss, "softmax" or "bce". Defaults
            to "softmax".
    """

    batch_kind = "sequences"
    uses_history = True

    def __init__(self, max_length: int = 50, objective: str = "softmax", **kwargs):
        super().__init__(**kwargs)
        self.max_length = check_positive_int("max_length", max_length)
        if objective not in OBJECTIVES:
            raise ValueError(
                f"`objective` must be one of {OBJECTIVES}. Received: "
                f"objective={objective!r}"
            )
        self.objective = objective

    @property
    def needs_negatives(self):
        """Whether windows carry a sampled negative per position."""
        return self.objective == "bce"

    @abc.abstractmethod
    def encode(self, context, item_matrix, training=False):
        """`(B, L, d)` states: position t encodes the items up to t of
        `context.recent(self.max_length)`."""

    def score(self, context, user_vectors, item_vectors, items):
        return ops.sum(user_vectors * item_vectors, axis=-1)

    def score_all(self, context, user_vectors, item_matrix, training=False):
        return ops.matmul(user_vectors, ops.transpose(item_matrix))

    def sequence_outputs(self, states, item_matrix, targets, negatives=None):
        """The ranking outputs of flat positions for `loss`.

        Args:
            states: `(N, d)` encodings of window positions.
            item_matrix: `(M, d)` item matrix.
            targets: int `(N,)`: the next item at each position.
            negatives: int `(N,)` or `None`: sampled items ("bce").

        Returns:
            dict: `"rank"` (`(N, M)` logits for "softmax", `(N,)` target
            scores for "bce") and, for "bce", `"rank_negative"`.
        """
        if self.objective == "softmax":
            return {"rank": self.score_all(None, states, item_matrix)}
        take = lambda items: ops.take(item_matrix, items, axis=0)  # noqa: E731
        return {
            "rank": self.score(None, states, take(targets), targets),
            "rank_negative": self.score(None, states, take(negatives), negatives),
        }

    def loss(self, context, outputs):
        """Mean over the positions with a target: `outputs["target"]` (the
        next items) weighted by `outputs["weight"]` (0 at pads; all 1 when
        absent)."""
        if self.objective == "softmax":
            per_position = ops.sparse_categorical_crossentropy(
                outputs["target"], outputs["rank"], from_logits=True
            )
        else:
            per_position = ops.softplus(-outputs["rank"]) + ops.softplus(
                outputs["rank_negative"]
            )
        weights = outputs.get("weight")
        if weights is None:
            return ops.mean(per_position)
        return ops.sum(weights * per_position) / ops.maximum(ops.sum(weights), 1.0)

    def get_config(self):
        config = super().get_config()
        config.update({"max_length": self.max_length, "objective": self.objective})
        return config
