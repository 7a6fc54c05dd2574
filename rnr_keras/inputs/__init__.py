"""Model-ready batches: interaction pairs with negatives, or user rows."""

from rnr_keras.inputs.pipelines import dataset_for
from rnr_keras.inputs.pipelines import pair_dataset
from rnr_keras.inputs.pipelines import sample_negatives
from rnr_keras.inputs.pipelines import user_dataset

__all__ = ["dataset_for", "pair_dataset", "sample_negatives", "user_dataset"]
