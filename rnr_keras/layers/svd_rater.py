"""Biased matrix factorisation (SVD) as a rating head."""

from keras import ops

from rnr_keras.api_export import rnr_export
from rnr_keras.layers.rater import Rater


@rnr_export
class SVDRater(Rater):
    """SVD rater: r_hat = mu + b_u + b_i + p_u . q_i.

    `mu` is the training set's mean rating (a non-trainable weight set by
    `adapt`, so AdaGrad with a small learning rate does not spend epochs
    learning an offset); the biases are zero-initialised and regularised
    with the factors, b_u^2 + b_i^2 per rating, as in Koren et al. (2009):
    without it an item with one 5-star rating outranks everything when
    items are ranked by predicted rating.

    Example:

    >>> rater = SVDRater()
    >>> rater.build_for(num_users=2, num_items=3, embedding_dim=2)
    >>> rater(ops.ones((1, 2)), ops.ones((1, 2)), ops.array([0]),
    ...       ops.array([1])).shape
    TensorShape([1])

    References:
        Paterek, Improving regularized singular value decomposition for
        collaborative filtering, KDD Cup 2007; Koren, Bell, Volinsky,
        Matrix factorization techniques for recommender systems, 2009.
    """

    def build_for(self, num_users, num_items, embedding_dim):
        self.user_bias = self.add_weight(
            shape=(num_users,), initializer="zeros", name="user_bias"
        )
        self.item_bias = self.add_weight(
            shape=(num_items,), initializer="zeros", name="item_bias"
        )
        self.global_mean = self.add_weight(
            shape=(), initializer="zeros", trainable=False, name="global_mean"
        )
        self.built = True

    def adapt(self, interactions):
        self.global_mean.assign(float(interactions.ratings.mean()))

    def call(self, user_vectors, item_vectors, users, items):
        return (
            self.global_mean
            + ops.take(self.user_bias, users)
            + ops.take(self.item_bias, items)
            + ops.sum(user_vectors * item_vectors, axis=-1)
        )

    def example_penalty(self, users, items):
        return ops.square(ops.take(self.user_bias, users)) + ops.square(
            ops.take(self.item_bias, items)
        )

    def penalty(self, users, user_weights, item_weights):
        return ops.sum(
            user_weights * ops.square(ops.take(self.user_bias, users))
        ) + ops.sum(item_weights * ops.square(self.item_bias))

    def rate_all(self, user_vectors, item_matrix, users):
        return (
            self.global_mean
            + ops.expand_dims(ops.take(self.user_bias, users), 1)
            + self.item_bias
            + ops.matmul(user_vectors, ops.transpose(item_matrix))
        )
