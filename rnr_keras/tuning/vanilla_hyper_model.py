"""The hypermodel of vanilla multi-task models."""

from rnr_keras.tuning.recommender_hyper_model import RecommenderHyperModel


class VanillaHyperModel(RecommenderHyperModel):
    """Vanilla(ranker, SVD): `alpha` x `l2`, the paper's 3 x 2 grid.

    The wide space adds `embedding_dim`, `learning_rate`, more `alpha` and
    `l2` values and, with the CDAE ranker, `corruption` and
    `hidden_activation`.

    Args:
        split: `Split`.
        ranker: str. "bpr" or "cdae". Defaults to "bpr".
        **kwargs: see `RecommenderHyperModel`.

    Example:

    ```python
    tuner = make_tuner(VanillaHyperModel(split, ranker="cdae"),
                       directory="runs/tune")
    tuner.search()  # 6 trials
    ```

    References:
        Hadash, Sar Shalom, Osadchy. Rank and Rate: Multi-task Learning for
        Recommender Systems. RecSys 2018.
    """

    def __init__(self, split, ranker: str = "bpr", **kwargs):
        self.ranker = self.check_ranker(ranker)
        super().__init__(f"vanilla-{ranker}-svd", split, **kwargs)

    def declare(self, hp):
        return self.declare_multi_task(hp, self.ranker)
