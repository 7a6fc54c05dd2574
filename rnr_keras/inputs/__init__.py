"""Model-ready data: training batches and the history models read."""

from rnr_keras.inputs.interaction_history import InteractionHistory
from rnr_keras.inputs.pipelines import dataset_for
from rnr_keras.inputs.pipelines import pair_dataset
from rnr_keras.inputs.pipelines import sample_negatives
from rnr_keras.inputs.pipelines import sequence_dataset
from rnr_keras.inputs.pipelines import sequence_windows
from rnr_keras.inputs.pipelines import user_dataset

__all__ = [
    "InteractionHistory",
    "dataset_for",
    "pair_dataset",
    "sample_negatives",
    "sequence_dataset",
    "sequence_windows",
    "user_dataset",
]
