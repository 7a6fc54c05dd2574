"""The interface every rating-prediction algorithm P implements."""

import keras

from rnr_keras.api_export import rnr_export


@rnr_export
class Rater(keras.layers.Layer):
    """Base class of rating heads that plug into `MultiTaskModel`.

    Like a `Ranker`, a rater receives user and item vectors from the model
    (raw U and I in a vanilla model, post-consumption vectors in RnR) and owns
    only its private parameters (biases, a global mean).

    Subclasses implement `build_for`, `call(user_vectors, item_vectors,
    users, items)` giving one predicted rating per pair, and
    `rate_all(user_vectors, item_matrix, users)` giving `(B, num_items)`
    predicted ratings. `adapt(interactions)` sets data statistics (the
    global mean) before training.
    """

    def build_for(self, num_users, num_items, embedding_dim):
        """Creates the rater's own weights for the given sizes."""
        self.built = True

    def adapt(self, interactions):
        """Sets statistics of the training data; default: nothing."""

    def rate_all(self, user_vectors, item_matrix, users):
        """`(B, num_items)` predicted ratings."""
        raise NotImplementedError

    def example_penalty(self, users, items):
        """Per-example squared norm of own parameters, `(B,)` (pair batches)."""
        return 0.0

    def penalty(self, users, user_weights, item_weights):
        """Weighted squared norm of the rater's own user/item parameters.

        Args:
            users: int tensor `(B,)`: the batch's users.
            user_weights: float tensor `(B,)`: how many penalised
                interactions each of those users has in the batch.
            item_weights: float tensor `(num_items,)`: the same per item.
        """
        return 0.0
