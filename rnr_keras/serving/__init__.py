"""Serving: a zoo model exported for TensorFlow Serving.

`export_saved_model(model, directory, k=10)` (or `model.export(directory,
k=10)`, or `rnr-keras export`) writes a TensorFlow SavedModel that loads
with `tf.saved_model.load` in a process without rnr_keras or Keras, and
serves top-k recommendations (`serving_default`) and, for models with a
rater, predicted ratings (`rate`) by raw user and item ids.
"""

from rnr_keras.serving.saved_model import EMPTY_ITEM
from rnr_keras.serving.saved_model import RATE_SIGNATURE
from rnr_keras.serving.saved_model import RECOMMEND_SIGNATURE
from rnr_keras.serving.saved_model import export_saved_model

__all__ = [
    "EMPTY_ITEM",
    "RATE_SIGNATURE",
    "RECOMMEND_SIGNATURE",
    "export_saved_model",
]
