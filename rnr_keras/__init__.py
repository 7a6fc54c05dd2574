"""rnr_keras: Rank and Rate recommenders as Keras 3 models.

`import rnr_keras` registers every zoo class with Keras, so a saved
`.keras` model loads with `keras.saving.load_model(path)` afterwards. The
heavier sub-packages (`training`, `tuning`, `zoo`) load on first use.
The `rnr-keras` command line is the exception: its commands import what
they need, so that `rnr-keras --help` and `data info` start without
TensorFlow.
"""

import importlib
import os
import sys

# TensorFlow is the default backend; another can be chosen with KERAS_BACKEND.
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
# TensorFlow's C++ start-up chatter (oneDNN, CPU features) drowns progress
# output; set TF_CPP_MIN_LOG_LEVEL yourself to see it.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

__version__ = "0.1.0"

from rnr_keras import datasets  # noqa: E402, F401
from rnr_keras import protocol  # noqa: E402, F401


def _is_command_line():
    """Whether this process runs the `rnr-keras` command line: the console
    script, `python -m rnr_keras` or `python -m rnr_keras.cli`."""
    argv = sys.argv or [""]
    if os.path.basename(argv[0]) in ("rnr-keras", "rnr-keras.exe"):
        return True
    # Under `python -m`, sys.argv[0] is "-m" while the package is imported.
    if argv[0] == "-m":
        orig = getattr(sys, "orig_argv", [])
        if "-m" in orig[:-1]:
            return orig[orig.index("-m") + 1] in ("rnr_keras", "rnr_keras.cli")
    return False


# These import Keras (and TensorFlow) and register the zoo classes. The
# command line skips them; its commands import what they use.
if not _is_command_line():
    if os.environ["KERAS_BACKEND"] == "tensorflow":
        # TensorFlow's start-up lines (oneDNN, CUDA drivers) go around
        # TF_CPP_MIN_LOG_LEVEL; see `rnr_keras.tensorflow_logs`.
        from rnr_keras.tensorflow_logs import import_tensorflow_quietly

        import_tensorflow_quietly()
    from rnr_keras import evaluation  # noqa: E402, F401
    from rnr_keras import inputs  # noqa: E402, F401
    from rnr_keras import layers  # noqa: E402, F401
    from rnr_keras import models  # noqa: E402, F401

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
