"""SVD (biased matrix factorisation) as a stand-alone zoo model."""

from rnr_keras import registry
from rnr_keras.api_export import rnr_export
from rnr_keras.layers.svd_rater import SVDRater
from rnr_keras.models.single_task_model import SingleTaskModel


@rnr_export
class SVD(SingleTaskModel):
    """Biased MF rater: r_hat = mu + b_u + b_i + p_u . q_i.

    Trained with squared error on observed ratings (`l2` times |p_u|^2 +
    |q_i|^2 per rating); ranks items by predicted rating, as the paper's SVD
    row does. `adapt(train)` sets mu to the training mean rating.

    A new user (`recommend_for_items`) given ratings gets [p_u, b_u] from
    a ridge fit of them under a prior with the learnt users' spread;
    given items alone, p_u = b_u = 0 (`SVDRater.fold_in`).

    Args:
        num_users: int. Number of user indices.
        num_items: int. Number of item indices.
        embedding_dim: int. Defaults to 50 (paper).
        l2: float. Regularisation weight. Defaults to 0.001.

    Example:

    >>> model = SVD(num_users=3, num_items=4, embedding_dim=2)
    >>> model.predict_rating([0], [1]).shape
    (1,)

    References:
        Paterek, Improving regularized singular value decomposition for
        collaborative filtering, KDD Cup 2007; Koren, Bell, Volinsky,
        Matrix factorization techniques for recommender systems, 2009.
    """

    head_class = SVDRater


registry.register(
    registry.Algorithm(
        name="svd",
        label="SVD",
        kind="rater",
        model=SVD,
        head=SVDRater,
        description="biased matrix factorisation, squared error on ratings",
        reference="Paterek 2007; Koren, Bell, Volinsky 2009",
    )
)
