"""SVD++ as a stand-alone zoo model."""

from rnr_keras import registry
from rnr_keras.api_export import rnr_export
from rnr_keras.layers.svdpp_rater import SVDppRater
from rnr_keras.models.single_task_model import SingleTaskModel


@rnr_export
class SVDpp(SingleTaskModel):
    """SVD++ rater: r_hat = mu + b_u + b_i + q_i . (p_u + |N(u)|^-1/2 sum y_j).

    SVD with implicit feedback: N(u) are the items u has in the training
    data given to `adapt`, which the model reads at every call (a model
    loaded from a `.keras` file needs `adapt(train)` again before it
    scores). Trained with squared error on observed ratings plus `l2`
    times |p_u|^2 + |q_i|^2 + b_u^2 + b_i^2 + mean_{j in N(u)} |y_j|^2 per
    rating (see `SVDppRater`); ranks items by predicted rating, as SVD.

    A new user (`recommend_for_items`) is their items' implicit term, plus,
    given ratings, the ridge fit of [p_u, b_u] SVD makes.

    Args:
        num_users: int. Number of user indices.
        num_items: int. Number of item indices.
        embedding_dim: int. Defaults to 50 (paper).
        l2: float. Regularisation weight. Defaults to 0.001.

    Example:

    >>> from rnr_keras.datasets import Interactions
    >>> train = Interactions(users=[0, 0, 1], items=[1, 2, 0],
    ...                      ratings=[4, 5, 3])
    >>> model = SVDpp(num_users=2, num_items=3, embedding_dim=2).adapt(train)
    >>> model.predict_rating([0], [1]).shape
    (1,)

    References:
        Koren. Factorization Meets the Neighborhood: a Multifaceted
        Collaborative Filtering Model. KDD 2008.
    """

    head_class = SVDppRater


registry.register(
    registry.Algorithm(
        name="svdpp",
        label="SVD++",
        kind="rater",
        model=SVDpp,
        head=SVDppRater,
        description="SVD with implicit feedback from the user's rated items",
        reference="Koren, KDD 2008",
    )
)
