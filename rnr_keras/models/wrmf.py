"""WRMF as a stand-alone zoo model."""

from rnr_keras import registry
from rnr_keras.api_export import rnr_export
from rnr_keras.layers.wrmf_ranker import WRMFRanker
from rnr_keras.models.single_task_model import SingleTaskModel


@rnr_export
class WRMF(SingleTaskModel):
    """Weighted regularised matrix factorisation (single-task ranker).

    s_ui = p_u . q_i; squared loss toward 1 on the training pairs, with
    confidence 1 + `confidence`, and toward 0 on every other pair, with
    weight `unobserved_weight`, plus `l2` times |p_u|^2 + |q_i|^2 per
    training pair. Trained by SGD on pair batches; with `zeros="all"` the
    zero entries of all items are summed exactly through the item Gramian
    (see `WRMFRanker`), which reads each user's history count from the
    data given to `adapt`.

    A new user (`recommend_for_items`) gets p_u from the ALS user step of
    this loss, its `confidence`, `unobserved_weight` and `l2` included
    (`WRMFRanker.fold_in`).

    Args:
        num_users: int. Number of user indices.
        num_items: int. Number of item indices.
        embedding_dim: int. Defaults to 50 (paper).
        l2: float. Regularisation weight. Defaults to 0.001.
        confidence: float >= 0. Observed confidence is 1 + `confidence`.
            Defaults to 1.0.
        unobserved_weight: float >= 0. Weight of each zero entry.
            Defaults to 1.0.
        zeros: str. "all" or "sampled". Defaults to "all".

    Example:

    >>> from rnr_keras.datasets import Interactions
    >>> train = Interactions(users=[0, 0, 1], items=[1, 2, 0])
    >>> model = WRMF(num_users=2, num_items=3, embedding_dim=2).adapt(train)
    >>> model.score([0, 1]).shape
    (2, 3)

    References:
        Hu, Koren, Volinsky. Collaborative Filtering for Implicit Feedback
        Datasets. ICDM 2008.
    """

    head_class = WRMFRanker


registry.register(
    registry.Algorithm(
        name="wrmf",
        label="WRMF",
        kind="ranker",
        model=WRMF,
        head=WRMFRanker,
        space={
            "wide": {
                "confidence": registry.Choice(
                    (0.3, 1.0, 3.0, 10.0), default=1.0
                ),
                "unobserved_weight": registry.Choice(
                    (0.3, 1.0, 3.0), default=1.0
                ),
            }
        },
        description="confidence-weighted squared loss, all zeros via the "
        "item Gramian",
        reference="Hu, Koren, Volinsky, ICDM 2008",
    )
)
