"""The hypermodel of Rank and Rate models."""

from rnr_keras.tuning.recommender_hyper_model import ACTIVATION
from rnr_keras.tuning.recommender_hyper_model import RecommenderHyperModel


class RnRHyperModel(RecommenderHyperModel):
    """RnR(ranker, SVD): `alpha` x `l2`, the paper's 3 x 2 grid.

    The wide space adds `embedding_dim`, `learning_rate`, more `alpha` and
    `l2` values, the tied FC's `activation` and, with the CDAE ranker,
    `corruption` and `hidden_activation`.

    Args:
        split: `Split`.
        ranker: str. "bpr" or "cdae". Defaults to "bpr".
        **kwargs: see `RecommenderHyperModel`.

    Example:

    ```python
    tuner = make_tuner(RnRHyperModel(split, ranker="bpr"),
                       directory="runs/tune")
    tuner.search()  # 6 trials
    ```

    References:
        Hadash, Sar Shalom, Osadchy. Rank and Rate: Multi-task Learning for
        Recommender Systems. RecSys 2018.
    """

    def __init__(self, split, ranker: str = "bpr", **kwargs):
        self.ranker = self.check_ranker(ranker)
        super().__init__(f"rnr-{ranker}-svd", split, **kwargs)

    def declare(self, hp):
        values = self.declare_multi_task(hp, self.ranker)
        if self.space == "wide":
            values["activation"] = hp.Choice(
                "activation", ACTIVATION, default="tanh"
            )
        return values
