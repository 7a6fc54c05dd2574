"""Popularity: the non-personalised baseline."""

from keras import ops

from rnr_keras import registry
from rnr_keras.api_export import rnr_export
from rnr_keras.models.recommender import Recommender


@rnr_export
class Popularity(Recommender):
    """Scores every item by how often it occurs in the training data.

    Nothing to train: `adapt(train)` counts, and the model then serves the
    same `score` / `recommend` API as every other zoo model and saves to
    `.keras` like them. Ties in counts get equal scores (the evaluation
    ranks ties pessimistically).

    Args:
        num_users: int. Number of user indices.
        num_items: int. Number of item indices.

    Example:

    >>> from rnr_keras.datasets import Interactions
    >>> train = Interactions(users=[0, 1, 1], items=[2, 2, 0])
    >>> Popularity(num_users=2, num_items=3).adapt(train).score([0]).tolist()
    [[1.0, 0.0, 2.0]]
    """

    trained_by_fit = False

    def __init__(self, num_users: int, num_items: int, **kwargs):
        super().__init__(num_users, num_items, **kwargs)
        self.counts = self.add_weight(
            shape=(self.num_items,),
            initializer="zeros",
            trainable=False,
            name="counts",
        )
        self.built = True

    def fit_statistics(self, train):
        self.counts.assign(train.item_counts().astype("float32"))

    def call(self, inputs, training=False):
        return self.score_batch(inputs["user"])

    @property
    def scores_from_items(self):
        return True

    def score_batch(self, users):
        return ops.broadcast_to(
            self.counts, (ops.shape(users)[0], self.num_items)
        )


registry.register(
    registry.Algorithm(
        name="popularity",
        label="Popularity",
        kind="model",
        model=Popularity,
        trainable=False,
        description="training item counts (non-personalised baseline)",
    )
)
