"""Shared fixtures of the zoo tests: tiny data and tiny presets."""

import pytest

from rnr_keras import datasets
from rnr_keras import protocol

#: A tiny synthetic dataset: every test that trains or saves stays fast.
TINY = {"num_users": 40, "num_items": 30, "mean_interactions": 12}


def _tiny_split(seed=0):
    data = datasets.load("synthetic", **TINY)
    return protocol.all_but_last_one(data, n_users=data.num_users, seed=seed)


@pytest.fixture(scope="session")
def tiny_split():
    """Makes the tiny split: `tiny_split(seed=0)`."""
    return _tiny_split


@pytest.fixture(scope="session")
def split():
    """The tiny split, seed 0: every user holds out one row (shared: do not
    modify it)."""
    return _tiny_split()


@pytest.fixture
def private_dirs(monkeypatch, tmp_path):
    """Empty cache and presets folders: no test sees the user's or the
    shipped ones. Returns the presets folder (not created)."""
    monkeypatch.setenv("RNR_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("RNR_PRESETS_DIR", str(tmp_path / "presets"))
    return tmp_path / "presets"
