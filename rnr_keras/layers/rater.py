"""The interface every rating-prediction algorithm P implements."""

import abc

import keras
from keras import ops

from rnr_keras.api_export import rnr_export


@rnr_export
class Rater(keras.layers.Layer, abc.ABC):
    """Base class of rating heads that plug into `MultiTaskModel`.

    Like a `Ranker`, a rater receives user and item vectors from the model
    (raw U and I in a vanilla model, post-consumption vectors in RnR) and
    owns only its private parameters (biases, a global mean, SVD++'s
    implicit-feedback vectors), created in `build((num_users, num_items,
    embedding_dim))`. Hooks get a `HeadContext` with the batch's users and
    their training history (set `uses_history = True` to read it).

    Hooks:
    - `rate(context, user_vectors, item_vectors, items)`: `(B,)` predicted
      ratings of given pairs.
    - `rate_all(context, user_vectors, item_matrix, user_bias=None)`:
      `(B, num_items)`; `user_bias`, when given, replaces the learnt
      biases of `context.users` (a folded-in user's).
    - `loss(predicted, ratings, weights=None)`: the rating loss; default the
      (weighted) mean squared error.
    - `penalty(context, user_weights, items, item_weights)`: weighted
      squared norms of own rows the batch reads.
    - `adapt(interactions)`: data statistics (the mean rating) set once
      before training.
    - `fold_in(context, user_matrix, item_matrix, rated)`: optional; the user
      vectors and biases of users who are not in the training data
      (`Recommender.recommend_for_items`). A rater that has it sets
      `folds_in = True`.
    """

    uses_history = False
    folds_in = False

    def build(self, shape):
        """Creates the rater's own weights; `shape` is `(num_users,
        num_items, embedding_dim)`."""
        self.built = True

    def adapt(self, interactions):
        """Sets statistics of the training data; default: nothing."""

    @abc.abstractmethod
    def rate(self, context, user_vectors, item_vectors, items):
        """`(B,)` predicted ratings of (`context.users[b]`, `items[b]`)."""

    @abc.abstractmethod
    def rate_all(self, context, user_vectors, item_matrix, user_bias=None):
        """`(B, num_items)` predicted ratings; `user_bias` (`(B,)` or
        `None`) replaces the users' learnt biases."""

    def loss(self, predicted, ratings, weights=None):
        """Squared error: the mean, or `sum(w * e^2) / sum(w)` with weights."""
        error = ops.square(ops.cast(ratings, "float32") - predicted)
        if weights is None:
            return ops.mean(error)
        return ops.sum(weights * error) / ops.maximum(ops.sum(weights), 1.0)

    def penalty(self, context, user_weights, items, item_weights):
        """Weighted squared norm of own rows the batch reads (see
        `Ranker.penalty`)."""
        return 0.0

    def fold_in(self, context, user_matrix, item_matrix, rated):
        """User vectors and biases of new users, item parameters fixed.

        Args:
            context: `HeadContext` whose `users` are the new users and
                whose history holds their given items and ratings.
            user_matrix: `(num_users, d)` tensor. The learnt users' vectors
                as the rater receives them (raw U, or FC(U) in RnR), for a
                prior.
            item_matrix: `(M, d)` tensor. The item vectors the rater
                receives (post-consumption ones in RnR).
            rated: bool. Whether the history's ratings were given (else
                they are placeholders and must not be read).

        Returns:
            `(user_vectors, user_bias)`: float32 arrays `(B, d)` and
            `(B,)`, for `rate_all`.
        """
        raise NotImplementedError(
            f"{type(self).__name__} has no `fold_in`: it cannot score a user "
            "who is not in the training data"
        )
