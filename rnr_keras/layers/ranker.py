"""The interface every ranking algorithm R implements."""

import abc

import keras

from rnr_keras.api_export import rnr_export


@rnr_export
class Ranker(keras.layers.Layer, abc.ABC):
    """Base class of ranking heads that plug into `MultiTaskModel`.

    A ranker never owns the user and item embedding matrices U and I: the
    model owns them and hands their vectors in, so that a rater can share
    them (the point of multi-task learning). A ranker owns only its private
    parameters (an item bias, an encoder, ...), created in
    `build((num_users, num_items, embedding_dim))`.

    Every hook gets a `HeadContext`: the batch's users and, through it, their
    training history (`context.rows()`, `context.entries()`,
    `context.counts()`), which the model takes from the data given to
    `adapt`; a ranker that reads it sets `uses_history = True`.

    Hooks:
    - `score(context, user_vectors, item_vectors, items)`: `(B,)` scores of
      given (user, item) pairs.
    - `score_all(context, user_vectors, item_matrix, training=False)`:
      `(B, num_items)` scores, for full ranking (and row batches).
    - `loss(context, outputs)`: the scalar ranking loss, a per-interaction
      mean, from the model's outputs (`outputs["rank"]`, and
      `outputs["rank_negative"]` for sampled negatives).
    - `penalty(context, user_weights, items, item_weights)`: weighted
      squared norms of the ranker's own rows that the batch reads (default
      none).

    Class attributes a ranker sets:
    - `batch_kind`: the name of the `BatchKind` it trains on, `"pairs"`
      (one training interaction per example) or `"rows"` (one user per
      example, the whole training row).
    - `needs_negatives`: whether pair batches carry a sampled negative.
    - `default_learning_rate`, `default_patience`: what `compile()` and
      `training.fit_model` use when not told otherwise, chosen on
      validation.
    """

    batch_kind = "pairs"
    needs_negatives = True
    uses_history = False
    default_learning_rate = 0.005
    default_patience = 10

    def build(self, shape):
        """Creates the ranker's own weights; `shape` is `(num_users,
        num_items, embedding_dim)`."""
        self.built = True

    @abc.abstractmethod
    def score(self, context, user_vectors, item_vectors, items):
        """`(B,)` scores of the pairs (`context.users[b]`, `items[b]`)."""

    @abc.abstractmethod
    def score_all(self, context, user_vectors, item_matrix, training=False):
        """`(B, num_items)` ranking scores."""

    @abc.abstractmethod
    def loss(self, context, outputs):
        """Scalar ranking loss, a per-interaction mean."""

    def penalty(self, context, user_weights, items, item_weights):
        """Weighted squared norm of own rows the batch reads.

        Args:
            context: `HeadContext`.
            user_weights: float `(B,)`: weight of each of `context.users`.
            items: int `(N,)`: the item rows the batch reads.
            item_weights: float `(N,)`: their weights.
        """
        return 0.0
