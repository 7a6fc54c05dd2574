"""Evaluation protocols: how a dataset is split into train / val / test."""

from rnr_keras.protocol.all_but_last_one import PAPER_N_USERS
from rnr_keras.protocol.all_but_last_one import all_but_last_one
from rnr_keras.protocol.all_but_last_one import default_n_users
from rnr_keras.protocol.split import Split

__all__ = ["PAPER_N_USERS", "Split", "all_but_last_one", "default_n_users"]
