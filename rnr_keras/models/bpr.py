"""BPR as a stand-alone zoo model."""

from rnr_keras import registry
from rnr_keras.api_export import rnr_export
from rnr_keras.layers.bpr_ranker import BPRRanker
from rnr_keras.models.single_task_model import SingleTaskModel


@rnr_export
class BPR(SingleTaskModel):
    """Bayesian Personalised Ranking (single-task ranker).

    s_ui = p_u . q_i + b_i; for each training interaction (u, i) one
    negative j is drawn uniformly from the items u has not interacted with in
    training (see `rnr_keras.inputs`), and the loss is the batch mean of
    softplus(-(s_ui - s_uj)) plus `l2` times the squared norms of p_u, q_i
    and q_j.

    A new user (`recommend_for_items`) gets the p_u that minimises this
    loss on their items, the item weights fixed (`BPRRanker.fold_in`).

    Args:
        num_users: int. Number of user indices.
        num_items: int. Number of item indices.
        embedding_dim: int. Defaults to 50 (paper).
        l2: float. Regularisation weight. Defaults to 0.001.

    Example:

    >>> model = BPR(num_users=3, num_items=4, embedding_dim=2)
    >>> model.score([0, 2]).shape
    (2, 4)

    References:
        Rendle, Freudenthaler, Gantner, Schmidt-Thieme. BPR: Bayesian
        Personalized Ranking from Implicit Feedback. UAI 2009.
    """

    head_class = BPRRanker


registry.register(
    registry.Algorithm(
        name="bpr",
        label="BPR",
        kind="ranker",
        model=BPR,
        head=BPRRanker,
        description="pair-wise ranker, one sampled unseen negative per positive",
        reference="Rendle et al., UAI 2009",
    )
)
