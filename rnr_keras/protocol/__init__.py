"""Evaluation protocols: how a dataset is split into train / val / test."""

from rnr_keras.protocol.all_but_last_one import all_but_last_one
from rnr_keras.protocol.split import Split

__all__ = ["Split", "all_but_last_one"]
