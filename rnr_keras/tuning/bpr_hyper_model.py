"""The hypermodel of BPR (single-task ranker)."""

from rnr_keras.tuning.recommender_hyper_model import RecommenderHyperModel


class BPRHyperModel(RecommenderHyperModel):
    """BPR: `l2` (paper: {0.01, 0.001}); wide space adds `embedding_dim`
    and `learning_rate`.

    Args:
        split: `Split`.
        **kwargs: see `RecommenderHyperModel`.

    Example:

    ```python
    tuner = make_tuner(BPRHyperModel(split), directory="runs/tune")
    tuner.search()  # 2 trials
    ```

    References:
        Rendle, Freudenthaler, Gantner, Schmidt-Thieme. BPR: Bayesian
        Personalized Ranking from Implicit Feedback. UAI 2009.
    """

    def __init__(self, split, **kwargs):
        super().__init__("bpr", split, **kwargs)
