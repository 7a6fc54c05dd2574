"""Vanilla(R, P): multi-task learning on shared embeddings."""

from rnr_keras import registry
from rnr_keras.api_export import rnr_export
from rnr_keras.models.multi_task_model import MultiTaskModel


@rnr_export
class VanillaModel(MultiTaskModel):
    """Vanilla multi-task: R and P both use the shared U and I directly.

    Loss: alpha * L_R + (1 - alpha) * L_P + l2 * (|U|^2 + |I|^2), the
    paper's eq. 2 (see `MultiTaskModel` for the batching and penalty
    details). This is RnR without the item deviations and the tied FC.

    A new user (`recommend_for_items`) is folded into R alone (see
    `MultiTaskModel`).

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

    Example:

    >>> model = VanillaModel(num_users=3, num_items=4, embedding_dim=2)
    >>> model.score([0]).shape
    (1, 4)

    References:
        Shi, Larson, Hanjalic. Unifying rating-oriented and ranking-oriented
        collaborative filtering for improved recommendation. Inf. Sci. 2013.
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
        **kwargs,
    ):
        kwargs.pop("post_consumption", None)
        kwargs.pop("activation", None)
        if ranker is None or rater is None:
            raise ValueError(
                "VanillaModel needs both a ranker and a rater. Received: "
                f"ranker={ranker!r}, rater={rater!r}"
            )
        super().__init__(
            num_users, num_items, ranker=ranker, rater=rater,
            embedding_dim=embedding_dim, alpha=alpha, l2=l2,
            post_consumption=False, **kwargs,
        )

    def get_config(self):
        config = super().get_config()
        del config["post_consumption"], config["activation"]
        return config


registry.register_composition("vanilla", VanillaModel, "Vanilla({ranker},{rater})")
