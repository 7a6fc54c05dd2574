"""The hypermodel of the Popularity baseline."""

from rnr_keras import training
from rnr_keras.tuning.recommender_hyper_model import RecommenderHyperModel


class PopularityHyperModel(RecommenderHyperModel):
    """Popularity has nothing to tune: an empty space and one trial.

    It is here so that every zoo model goes through the same search (and
    `reproduce` treats all eight alike). `fit` only adapts the model (item
    counts of `split.train`) and returns its validation metrics.

    Args:
        split: `Split`.
        **kwargs: see `RecommenderHyperModel`.

    Example:

    ```python
    tuner = make_tuner(PopularityHyperModel(split), directory="runs/tune")
    tuner.search()  # one trial
    ```
    """

    def __init__(self, split, **kwargs):
        super().__init__("popularity", split, **kwargs)

    @property
    def trainable(self):
        return False

    def declare(self, hp):
        return {}

    def fit(self, hp, model, *args, callbacks=(), **kwargs):
        """Adapts `model`; returns `{"val_recall_at_10": ..., ...}`."""
        if args:
            raise ValueError(
                f"{type(self).__name__} trains on its `split`; `search()` "
                f"takes no data. Received: args={args!r}"
            )
        training.fit_model(model, self.split)
        return self.validation_metrics(model)
