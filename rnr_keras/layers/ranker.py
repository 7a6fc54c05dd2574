"""The interface every ranking algorithm R implements."""

import keras

from rnr_keras.api_export import rnr_export


@rnr_export
class Ranker(keras.layers.Layer):
    """Base class of ranking heads that plug into `MultiTaskModel`.

    A ranker never owns the user and item embedding matrices U and I: the
    model owns them and hands their vectors in, so that a rater can share
    them (the point of multi-task learning). A ranker owns only its private
    parameters (an item bias, an encoder, ...), created in `build_for`.

    Two kinds of batch exist, named by the class attribute `input_mode`:
    - `"pairs"`: one training interaction per example, with a sampled
      negative item (BPR). `call(user_vectors, item_vectors, items)` gives
      the score of each (user, item) pair.
    - `"rows"`: one user per example, with the user's whole training row
      (CDAE). `call(user_vectors, item_matrix, rows, training)` gives
      `(B, num_items)` logits.

    Subclasses implement `build_for`, `call`, `score_all` and `loss`; they
    may override `penalty` to regularise their own item matrices.
    """

    input_mode = "pairs"

    def build_for(self, num_users, num_items, embedding_dim):
        """Creates the ranker's own weights for the given sizes."""
        self.built = True

    def score_all(self, user_vectors, item_matrix, rows=None):
        """`(B, num_items)` ranking scores for full-ranking evaluation."""
        raise NotImplementedError

    def loss(self, rank_output, rows=None):
        """Scalar ranking loss, a per-example mean, from `call`'s output."""
        raise NotImplementedError

    def penalty(self, item_weights):
        """Squared norm of own item-indexed weights, weighted per item."""
        return 0.0
