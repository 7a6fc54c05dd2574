"""CDAE as a stand-alone zoo model."""

from rnr_keras import registry
from rnr_keras.api_export import rnr_export
from rnr_keras.layers.cdae_ranker import CDAERanker
from rnr_keras.models.single_task_model import SingleTaskModel


@rnr_export
class CDAE(SingleTaskModel):
    """Collaborative Denoising Auto-Encoder (single-task ranker).

    One training example is one user: the user's training row (rebuilt per
    batch from the data given to `adapt`, never a dense user x item
    matrix of the whole dataset) is corrupted by dropout, encoded together
    with the user's own node V_u and decoded into logits over every item.
    See `CDAERanker`. A new user (`recommend_for_items`) is encoded from
    their given items as the row, with the user node 0.

    Args:
        num_users: int. Number of user indices.
        num_items: int. Number of item indices.
        embedding_dim: int. Hidden width. Defaults to 50 (paper).
        l2: float. Regularisation weight. Defaults to 0.001.
        corruption: float in [0, 1). Input dropout. Defaults to 0.2.
        hidden_activation: str. Defaults to "relu" (see `CDAERanker`).

    Example:

    >>> from rnr_keras.datasets import Interactions
    >>> train = Interactions(users=[0, 0, 1], items=[1, 2, 0])
    >>> model = CDAE(num_users=2, num_items=3, embedding_dim=2).adapt(train)
    >>> model.score([0, 1]).shape
    (2, 3)

    References:
        Wu, DuBois, Zheng, Ester. Collaborative Denoising Auto-Encoders for
        Top-N Recommender Systems. WSDM 2016.
    """

    head_class = CDAERanker


registry.register(
    registry.Algorithm(
        name="cdae",
        label="CDAE",
        kind="ranker",
        model=CDAE,
        head=CDAERanker,
        space={
            "wide": {
                "corruption": registry.Choice(
                    (0.0, 0.1, 0.2, 0.3, 0.4, 0.5), default=0.2
                ),
                "hidden_activation": registry.Choice(
                    ("sigmoid", "tanh", "relu", "identity"), default="relu"
                ),
            }
        },
        description="denoising auto-encoder over the user's row, sigmoid "
        "cross-entropy",
        reference="Wu, DuBois, Zheng, Ester, WSDM 2016",
    )
)
