"""RnR(R, P): Rank and Rate."""

from rnr_keras import registry
from rnr_keras.api_export import rnr_export
from rnr_keras.models.multi_task_model import MultiTaskModel


@rnr_export
class RnRModel(MultiTaskModel):
    """Rank and Rate: R on raw embeddings, P on post-consumption vectors.

    R scores (and ranks) with the raw user and item matrices U and I. P sees
    q_post = q + q_dev (item deviation matrix Id, zero-initialised) and one
    tied fully connected layer FC_theta with a nonlinearity applied to both
    p_u and q_post. Loss: alpha * L_R + (1 - alpha) * L_P + l2 * (|U|^2 +
    |I|^2 + |Id|^2 + |theta|^2), in the stochastic per-interaction form
    described in `MultiTaskModel`. `call` returns `{"rank": ..., "rating":
    ...}` and the history records `rank_loss` and `rating_loss`.

    A new user (`recommend_for_items`) is folded into R alone, on the raw
    U and I that R scores with (see `MultiTaskModel`).

    Args:
        num_users: int. Number of user indices.
        num_items: int. Number of item indices.
        ranker: `Ranker` or a registered ranker name ("bpr", "cdae",
            "wrmf", ...). Defaults to "bpr".
        rater: `Rater` or a registered rater name ("svd", "svdpp", ...).
            Defaults to "svd".
        embedding_dim: int. Defaults to 50 (paper).
        alpha: float in [0, 1]. Ranking-loss weight. Defaults to 0.95.
        l2: float. The paper's lambda. Defaults to 0.001.
        activation: str. Tied FC nonlinearity. Defaults to "tanh".

    Example:

    >>> import numpy as np
    >>> model = RnRModel(num_users=3, num_items=4, embedding_dim=2)
    >>> sorted(model({"user": np.array([0]), "item": np.array([1])}))
    ['rank', 'rating']

    References:
        Hadash, Sar Shalom, Osadchy. Rank and Rate: Multi-task Learning for
        Recommender Systems. RecSys 2018.
    """

    def __init__(
        self,
        num_users: int,
        num_items: int,
        ranker="bpr",
        rater="svd",
        embedding_dim: int = 50,
        alpha: float = 0.95,
        l2: float = 0.001,
        activation: str = "tanh",
        **kwargs,
    ):
        kwargs.pop("post_consumption", None)
        if ranker is None or rater is None:
            raise ValueError(
                "RnRModel needs both a ranker and a rater. Received: "
                f"ranker={ranker!r}, rater={rater!r}"
            )
        super().__init__(
            num_users, num_items, ranker=ranker, rater=rater,
            embedding_dim=embedding_dim, alpha=alpha, l2=l2,
            post_consumption=True, activation=activation,
            **kwargs,
        )

    def get_config(self):
        config = super().get_config()
        del config["post_consumption"]
        return config


registry.register_composition("rnr", RnRModel, "RnR({ranker},{rater})")
