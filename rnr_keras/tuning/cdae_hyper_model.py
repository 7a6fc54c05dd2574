"""The hypermodel of CDAE (single-task ranker)."""

from rnr_keras.tuning.recommender_hyper_model import RecommenderHyperModel


class CDAEHyperModel(RecommenderHyperModel):
    """CDAE: `l2` (paper: {0.01, 0.001}); wide space adds `embedding_dim`,
    `learning_rate`, `corruption` and `hidden_activation`.

    Args:
        split: `Split`.
        **kwargs: see `RecommenderHyperModel`.

    Example:

    ```python
    tuner = make_tuner(CDAEHyperModel(split, space="wide"), "random",
                       max_trials=20, directory="runs/tune")
    tuner.search()
    ```

    References:
        Wu, DuBois, Zheng, Ester. Collaborative Denoising Auto-Encoders for
        Top-N Recommender Systems. WSDM 2016.
    """

    def __init__(self, split, **kwargs):
        super().__init__("cdae", split, **kwargs)

    def declare(self, hp):
        return {**super().declare(hp), **self.declare_cdae_options(hp)}
