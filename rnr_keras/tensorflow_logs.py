"""TensorFlow's start-up messages, kept off the terminal.

TensorFlow 2.21 writes its C++ start-up messages (oneDNN, missing CUDA
drivers, `failed call to cuInit`, CPU features) straight to file
descriptor 2 before its logging is initialised, so `TF_CPP_MIN_LOG_LEVEL`
does not hide them. `import_tensorflow_quietly` imports TensorFlow and
Keras with descriptor 2 pointed at a temporary file, then writes back
every captured line that is not one of those known messages (so a real
error still shows). The command line calls it before any command that
trains or scores, and `import rnr_keras` (with the TensorFlow backend)
before it imports Keras; set `TF_CPP_MIN_LOG_LEVEL=0` to see everything.
"""

import os
import re
import sys
import tempfile

#: Captured lines dropped: absl's INFO/WARNING lines (`I0000 ...`,
#: `W0000 ...`), its notice about logging before initialisation, the
#: CPU-instructions notice, and the cuInit error of a machine without a
#: GPU driver.
NOISE = re.compile(
    r"^(?:[IW]\d{4} \d\d:\d\d:\d\d"
    r"|WARNING: All log messages before absl::InitializeLog\(\)"
    r"|E\d{4} .*failed call to cuInit"
    r"|To enable the following instructions:"
    r"|\s*$)"
)

_done = False


def import_tensorflow_quietly():
    """Imports TensorFlow and Keras, dropping their start-up noise.

    Does only the import (returns nothing) when TensorFlow is already
    imported, when `TF_CPP_MIN_LOG_LEVEL` is "0", or when descriptor 2
    cannot be redirected (e.g. no real stderr). Lines not in `NOISE` are
    written to `sys.stderr` afterwards.
    """
    global _done
    if _done or "tensorflow" in sys.modules or os.environ.get(
        "TF_CPP_MIN_LOG_LEVEL"
    ) == "0":
        _import()
        return
    _done = True
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):
        _import()
        return
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            _import()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        captured.seek(0)
        text = captured.read().decode("utf-8", "replace")
    kept = keep(text)
    if kept:
        sys.stderr.write(kept)
        sys.stderr.flush()


def keep(text):
    """The lines of `text` that are not start-up noise.

    Example:

    >>> keep("I0000 00:00:17.1 1 port.cc:153] oneDNN custom operations\\n"
    ...      "real problem\\n")
    'real problem\\n'
    """
    return "".join(
        line for line in text.splitlines(keepends=True) if not NOISE.match(line)
    )


def _import():
    # Platform initialisation (where cuInit fails) runs on the first
    # device query, not at import; do it while the output is captured.
    import tensorflow as tf

    tf.config.list_physical_devices()
    import keras  # noqa: F401
