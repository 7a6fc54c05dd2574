"""The interface every ranking algorithm R implements."""

import abc

import keras
import numpy as np

from rnr_keras.api_export import rnr_export


def weighted_gramians(weights, vectors):
    """`(B, d, d)`: sum_m weights[b, m] x_m x_m^T, for the fold-in solves.

    Args:
        weights: `(B, M)` array.
        vectors: `(M, d)` array of the x_m.

    Example:

    >>> weighted_gramians(np.array([[1.0, 2.0]]), np.eye(2)).tolist()
    [[[1.0, 0.0], [0.0, 2.0]]]
    """
    weights = np.asarray(weights)
    batch, (count, dim) = len(weights), vectors.shape
    scaled = np.swapaxes(weights[:, :, None] * vectors, 1, 2).reshape(-1, count)
    # One 2-D product: NumPy's stacked matmul is many times slower here.
    return (scaled @ vectors).reshape(batch, dim, dim)


def solve_systems(systems, targets):
    """`(B, d)`: x_b with systems[b] x_b = targets[b], for the fold-ins.

    The systems are symmetric positive semi-definite (normal equations,
    Hessians): solved by LU, or, where one is singular (`l2` = 0 and too
    few items), the minimum-norm solution of them all.

    Example:

    >>> solve_systems(np.array([[[2.0, 0.0], [0.0, 4.0]]]),
    ...               np.array([[2.0, 2.0]])).tolist()
    [[1.0, 0.5]]
    """
    try:
        return np.linalg.solve(systems, targets[..., None])[..., 0]
    except np.linalg.LinAlgError:
        return np.einsum("bde,be->bd", np.linalg.pinv(systems, hermitian=True), targets)


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
    - `fold_in(context, item_matrix, l2)`: optional; `(B, d)` user vectors
      for users who are not in the training data, from their items alone
      (`Recommender.recommend_for_items`). A ranker that has it sets
      `folds_in = True`.

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
    folds_in = False
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

    def fold_in(self, context, item_matrix, l2):
        """User vectors of new users, every item parameter fixed.

        A factor ranker solves for the vector that minimises the new
        user's part of its training objective (`l2` times |p_u|^2 per
        interaction included), with I and its own weights fixed: the
        "fold-in" of a user into a trained model (BPR, WRMF). A ranker
        that reads the user's items itself needs no solve (CDAE: 0).

        Args:
            context: `HeadContext` whose `users` are the new users and
                whose history holds their given items (`context.rows()`).
            item_matrix: `(M, d)` tensor. The model's item matrix I.
            l2: float. The weight of |p_u|^2 per interaction in the
                objective the vectors minimise.

        Returns:
            float32 `(B, d)` array: the users' vectors p_u, for `score_all`.
        """
        raise NotImplementedError(
            f"{type(self).__name__} has no `fold_in`: it cannot score a user "
            "who is not in the training data"
        )
