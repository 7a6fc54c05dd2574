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

    >>> from rnr_keras.layers import HeadContext
    >>> rater = SVDRater()
    >>> rater.build((2, 3, 2))
    >>> context = HeadContext(ops.array([0]))
    >>> tuple(rater.rate(context, ops.ones((1, 2)), ops.ones((1, 2)),
    ...                  ops.array([1])).shape)
    (1,)

    References:
        Paterek, Improving regularized singular value decomposition for
        collaborative filtering, KDD Cup 2007; Koren, Bell, Volinsky,
        Matrix factorization techniques for recommender systems, 2009.
    """

    def build(self, shape):
        num_users, num_items, _ = shape
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

    def biases(self, context, items):
        """`mu + b_u + b_i` of the pairs (`context.users[b]`, `items[b]`)."""
        return (
            self.global_mean
            + ops.take(self.user_bias, context.users)
            + ops.take(self.item_bias, items)
        )

    def rate(self, context, user_vectors, item_vectors, items):
        return self.biases(context, items) + ops.sum(
            user_vectors * item_vectors, axis=-1
        )

    def rate_all(self, context, user_vectors, item_matrix):
        return (
            self.global_mean
            + ops.expand_dims(ops.take(self.user_bias, context.users), 1)
            + self.item_bias
            + ops.matmul(user_vectors, ops.transpose(item_matrix))
        )

    def penalty(self, context, user_weights, items, item_weights):
        return ops.sum(
            user_weights * ops.square(ops.take(self.user_bias, context.users))
        ) + ops.sum(item_weights * ops.square(ops.take(self.item_bias, items)))
