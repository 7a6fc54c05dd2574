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

    Example:

    >>> ranker = BPRRanker()
    >>> ranker.build_for(num_users=3, num_items=4, embedding_dim=2)
    >>> ranker.score_all(ops.ones((1, 2)), ops.ones((4, 2))).shape
    TensorShape([1, 4])

    References:
        Rendle et al., BPR: Bayesian Personalized Ranking from Implicit
        Feedback, UAI 2009.
    """

    input_mode = "pairs"

    def build_for(self, num_users, num_items, embedding_dim):
        self.item_bias = self.add_weight(
            shape=(num_items,), initializer="zeros", name="item_bias"
        )
        self.built = True

    def call(self, user_vectors, item_vectors, items):
        return ops.sum(user_vectors * item_vectors, axis=-1) + ops.take(
            self.item_bias, items
        )

    def score_all(self, user_vectors, item_matrix, rows=None):
        return ops.matmul(user_vectors, ops.transpose(item_matrix)) + self.item_bias

    def loss(self, rank_output, rows=None):
        # `rank_output` is s_ui - s_uj per example.
        return ops.mean(ops.softplus(-rank_output))
