"""rnr_keras: Rank and Rate recommenders as Keras 3 models."""

import os

# TensorFlow is the default backend; another can be chosen with KERAS_BACKEND.
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

__version__ = "0.1.0"

from rnr_keras import datasets  # noqa: E402
from rnr_keras import protocol  # noqa: E402
