"""Bayesian Personalised Ranking as a ranking head."""

from keras import ops

from rnr_keras.api_export import rnr_export
from rnr_keras.layers.ranker import Ranker


@rnr_export
class BPRRanker(Ranker):
    """BPR: s_ui = p_u . q_i + b_i, trained on (user, positive, negative).

    The loss is `softplus(-(s_ui - s_uj))`, the numerically stable form of
    `-log sigmoid(s_ui - s_uj)`, averaged over the batch. The item bias is
    zero-initialised (the paper initialises all biases to zero).

    Pair-wise training climbs slowly and noisily on validation Recall@10, so
    BPR trains with Adam at 0.002 and early-stopping patience 30 by default
    (chosen on ML-100K and synthetic validation; at 0.005 it peaks lower
    and earlier).

    Example:

    >>> from rnr_keras.layers import HeadContext
    >>> ranker = BPRRanker()
    >>> ranker.build((3, 4, 2))
    >>> context = HeadContext(ops.array([0]))
    >>> tuple(ranker.score_all(context, ops.ones((1, 2)), ops.ones((4, 2))).shape)
    (1, 4)

    References:
        Rendle et al., BPR: Bayesian Personalized Ranking from Implicit
        Feedback, UAI 2009.
    """

    batch_kind = "pairs"
    needs_negatives = True
    default_learning_rate = 0.002
    default_patience = 30

    def build(self, shape):
        _, num_items, _ = shape
        self.item_bias = self.add_weight(
            shape=(num_items,), initializer="zeros", name="item_bias"
        )
        self.built = True

    def score(self, context, user_vectors, item_vectors, items):
        return ops.sum(user_vectors * item_vectors, axis=-1) + ops.take(
            self.item_bias, items
        )

    def score_all(self, context, user_vectors, item_matrix, training=False):
        return ops.matmul(user_vectors, ops.transpose(item_matrix)) + self.item_bias

    def loss(self, context, outputs):
        return ops.mean(ops.softplus(outputs["rank_negative"] - outputs["rank"]))
