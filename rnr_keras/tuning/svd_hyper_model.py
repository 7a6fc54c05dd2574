"""The hypermodel of SVD (single-task rater)."""

from rnr_keras.tuning.recommender_hyper_model import RecommenderHyperModel


class SVDHyperModel(RecommenderHyperModel):
    """SVD: `l2` (paper: {0.01, 0.001}); wide space adds `embedding_dim`
    and `learning_rate`.

    Args:
        split: `Split`.
        **kwargs: see `RecommenderHyperModel`.

    Example:

    ```python
    tuner = make_tuner(SVDHyperModel(split), directory="runs/tune")
    tuner.search()  # 2 trials
    ```

    References:
        Paterek. Improving regularized singular value decomposition for
        collaborative filtering. KDD Cup 2007. Koren, Bell, Volinsky.
        Matrix factorization techniques for recommender systems. 2009.
    """

    def __init__(self, split, **kwargs):
        super().__init__("svd", split, **kwargs)
