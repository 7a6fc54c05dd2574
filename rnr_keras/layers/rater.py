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
    - `rate_all(context, user_vectors, item_matrix)`: `(B, num_items)`.
    - `loss(predicted, ratings, weights=None)`: the rating loss; default the
      (weighted) mean squared error.
    - `penalty(context, user_weights, items, item_weights)`: weighted
      squared norms of own rows the batch reads.
    - `adapt(interactions)`: data statistics (the mean rating) set once
      before training.
    """

    uses_history = False

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
    def rate_all(self, context, user_vectors, item_matrix):
        """`(B, num_items)` predicted ratings."""

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
