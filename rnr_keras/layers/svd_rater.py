"""Biased matrix factorisation (SVD) as a rating head."""

import numpy as np
from keras import ops

from rnr_keras.api_export import rnr_export
from rnr_keras.layers.ranker import solve_systems
from rnr_keras.layers.ranker import weighted_gramians
from rnr_keras.layers.rater import Rater
from rnr_keras.layers.row_reads import take_rows


@rnr_export
class SVDRater(Rater):
    """SVD rater: r_hat = mu + b_u + b_i + p_u . q_i.

    `mu` is the training set's mean rating (a non-trainable weight set by
    `adapt`, so AdaGrad with a small learning rate does not spend epochs
    learning an offset); the biases are zero-initialised and regularised
    with the factors, b_u^2 + b_i^2 per rating, as in Koren et al. (2009):
    without it an item with one 5-star rating outranks everything when
    items are ranked by predicted rating.

    A new user folds in (`fold_in`) by a ridge fit of their given ratings
    under a prior with the spread of the learnt users; given no ratings,
    the new user is the prior's mean user (p_u = 0, b_u = 0).

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

    folds_in = True
    #: `fold_in`'s variance of a rating around the prediction, in squared
    #: rating units (0.25: half a star's standard deviation).
    rating_noise = 0.25

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
            + take_rows(self.user_bias, context.users)
            + take_rows(self.item_bias, items)
        )

    def rate(self, context, user_vectors, item_vectors, items):
        return self.biases(context, items) + ops.sum(
            user_vectors * item_vectors, axis=-1
        )

    def rate_all(self, context, user_vectors, item_matrix, user_bias=None):
        if user_bias is None:
            user_bias = take_rows(self.user_bias, context.users)
        return (
            self.global_mean
            + ops.expand_dims(ops.cast(user_bias, "float32"), 1)
            + self.item_bias
            + ops.matmul(user_vectors, ops.transpose(item_matrix))
        )

    def implicit_feedback(self, context):
        """The part of the users' vectors their items give: none in SVD
        (`None`); SVD++'s |N(u)|^-1/2 sum y_j."""
        return None

    def fold_in(self, context, user_matrix, item_matrix, rated):
        """Posterior mean of [p_u, b_u] given the ratings, q and b_i fixed.

        The ratings r_ui = mu + b_i + b_u + q_i . (p_u + z_u) + noise
        (z_u: SVD++'s implicit term, 0 in SVD), noise of variance sigma^2
        = `rating_noise`, and a Gaussian prior N(0, s^2 Id) on [p_u, b_u]
        whose variance s^2 is the mean square of the learnt users' entries
        (`user_matrix` and b_u): a ridge regression on the features [q_i,
        1] with lambda = sigma^2 / s^2, in closed form.

        Not the training objective's own ridge, l2 n_u: training stops
        early (on validation) far short of that optimum, whose fit of a
        user's ratings is much looser than what training reached. On the
        svd_ml-100k preset (200 training users' own items and ratings) it
        fits |p_u| = 9.2 against a learnt 0.54 and gives back 0.17 of the
        learnt top 10; this prior fits |p_u| = 0.22 and gives back 0.78
        (0.72 with sigma^2 = 1; on the planted test data 0.78, 0.68).

        Without ratings the posterior is the prior: p_u = 0, b_u = 0, the
        items ranked by mu + b_i, plus q_i . z_u in SVD++, which so still
        reads the given items. Reading them as implicit feedback instead
        (WRMF's user step on SVD's q) gave back no more of the learnt top
        10 (svd_ml-100k 0.40 against 0.69; planted data 0.50 either way):
        SVD's factors are tastes in ratings, not in what is watched.

        Args:
            context: `HeadContext` of the new users and their given items.
            user_matrix: `(num_users, d)` tensor. The learnt users' vectors
                as the rater receives them (raw U, or FC(U) in RnR).
            item_matrix: `(M, d)` tensor. The item vectors the rater
                receives.
            rated: bool. Whether the context's ratings were given.

        Returns:
            `(user_vectors, user_bias)`: float32 `(B, d)` and `(B,)`.
        """
        rows = np.asarray(ops.convert_to_numpy(context.rows()), dtype=np.float64)
        dim = ops.shape(item_matrix)[1]
        if not rated:
            return (
                np.zeros((len(rows), dim), dtype=np.float32),
                np.zeros(len(rows), dtype=np.float32),
            )
        q = np.asarray(ops.convert_to_numpy(item_matrix), dtype=np.float64)
        baseline = float(ops.convert_to_numpy(self.global_mean)) + np.asarray(
            ops.convert_to_numpy(self.item_bias), dtype=np.float64
        )
        implicit = self.implicit_feedback(context)
        if implicit is not None:
            baseline = baseline + np.asarray(ops.convert_to_numpy(implicit)) @ q.T
        ratings = np.asarray(ops.convert_to_numpy(context.rating_rows()), dtype=np.float64)
        features = np.concatenate([q, np.ones((len(q), 1))], axis=1)
        learnt = np.concatenate(
            [
                np.asarray(ops.convert_to_numpy(user_matrix), dtype=np.float64),
                np.asarray(ops.convert_to_numpy(self.user_bias), dtype=np.float64)[:, None],
            ],
            axis=1,
        )
        ridge = self.rating_noise / max(float(np.mean(np.square(learnt))), 1e-12)
        system = weighted_gramians(rows, features) + ridge * np.eye(dim + 1)
        solution = solve_systems(system, (ratings - rows * baseline) @ features)
        return (
            solution[:, :-1].astype(np.float32),
            solution[:, -1].astype(np.float32),
        )

    def penalty(self, context, user_weights, items, item_weights):
        return ops.sum(
            user_weights * ops.square(take_rows(self.user_bias, context.users))
        ) + ops.sum(item_weights * ops.square(take_rows(self.item_bias, items)))
