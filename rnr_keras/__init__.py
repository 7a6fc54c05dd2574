"""rnr_keras: Rank and Rate recommenders as Keras 3 models.

`import rnr_keras` registers every zoo class with Keras, so a saved
`.keras` model loads with `keras.saving.load_model(path)` afterwards. The
heavier sub-packages (`training`, `tuning`, `zoo`) load on first use.
"""

import importlib
import os

# TensorFlow is the default backend; another can be chosen with KERAS_BACKEND.
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
# TensorFlow's C++ start-up chatter (oneDNN, CPU features) drowns progress
# output; set TF_CPP_MIN_LOG_LEVEL yourself to see it.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

__version__ = "0.1.0"

from rnr_keras import datasets  # noqa: E402
from rnr_keras import evaluation  # noqa: E402
from rnr_keras import inputs  # noqa: E402
from rnr_keras import layers  # noqa: E402
from rnr_keras import models  # noqa: E402
from rnr_keras import protocol  # noqa: E402

_SUBMODULES = (
    "datasets",
    "evaluation",
    "inputs",
    "layers",
    "models",
    "protocol",
    "training",
    "tuning",
    "zoo",
)


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f"rnr_keras.{name}")
    raise AttributeError(f"module 'rnr_keras' has no attribute {name!r}")
