"""Keras callbacks of the zoo's training loop."""

from rnr_keras.callbacks.epoch_log import EpochLog  # noqa: F401
from rnr_keras.callbacks.step_progbar import StepProgbar  # noqa: F401
