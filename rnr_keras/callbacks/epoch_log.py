"""One log line per epoch, for log files and `--verbose`."""

import logging
import time

import keras

from rnr_keras.api_export import rnr_export

#: The logger the zoo's training writes to (`rnr_keras.training`).
LOGGER = logging.getLogger("rnr_keras.training")


@rnr_export
class EpochLog(keras.callbacks.Callback):
    """Writes each epoch's logs as one line to a `logging` logger.

    What `training.fit_model` adds to every fit, so that the command
    line's log file (and `--verbose`) holds one line per epoch of every
    trial while the terminal shows only a progress bar. A line reads
    `BPR epoch 3/100 (1.2 s): loss 0.6547, val_recall_at_10 0.1160`.
    Nothing is formatted when the logger does not log INFO.

    Args:
        label: str. What the line starts with (e.g. the model's name).
            Defaults to `""`.
        logger: `logging.Logger` or `None`. Defaults to `LOGGER`.

    Example:

    >>> EpochLog("BPR").line(2, 100, 1.25, {"loss": 0.65})
    'BPR epoch 3/100 (1.2 s): loss 0.6500'
    """

    def __init__(self, label="", logger=None):
        super().__init__()
        self.label = label
        self.logger = LOGGER if logger is None else logger
        self._start = None

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        if not self.logger.isEnabledFor(logging.INFO):
            return
        seconds = time.perf_counter() - (self._start or time.perf_counter())
        self.logger.info(
            self.line(epoch, self.params.get("epochs"), seconds, logs or {})
        )

    def line(self, epoch, epochs, seconds, logs):
        """The text of the line for 0-based `epoch` of `epochs`."""
        values = ", ".join(
            f"{key} {float(value):.4f}"
            for key, value in logs.items()
            if _is_number(value)
        )
        prefix = f"{self.label} " if self.label else ""
        return f"{prefix}epoch {epoch + 1}/{epochs} ({seconds:.1f} s): {values}"

    def get_config(self):
        return {"label": self.label}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _is_number(value):
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True
