"""Shared fixtures of the zoo tests: tiny data and tiny presets."""

import numpy as np
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
    """Empty cache and presets folders and no `RNR_DATA_DIR`: no test sees
    the user's data or presets or the shipped ones. Returns the presets
    folder (not created)."""
    monkeypatch.setenv("RNR_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("RNR_PRESETS_DIR", str(tmp_path / "presets"))
    monkeypatch.delenv("RNR_DATA_DIR", raising=False)
    return tmp_path / "presets"


#: Size of the MovieLens-100K-shaped folder `ml_dir` writes.
ML_USERS, ML_ITEMS, ML_PER_USER = 12, 15, 7


@pytest.fixture
def ml_dir(tmp_path):
    """A MovieLens-100K-shaped folder: u.data (raw users 101..112, items
    1..15) and u.item with titles."""
    folder = tmp_path / "ml"
    folder.mkdir()
    rng = np.random.default_rng(0)
    lines = []
    for user in range(101, 101 + ML_USERS):
        items = rng.choice(
            np.arange(1, ML_ITEMS + 1), size=ML_PER_USER, replace=False
        )
        for t, item in enumerate(items):
            lines.append(
                f"{user}\t{item}\t{rng.integers(1, 6)}\t{1000 * user + t}"
            )
    (folder / "u.data").write_text("\n".join(lines) + "\n")
    (folder / "u.item").write_text(
        "".join(
            f"{i}|Movie {i} (1995)|01-Jan-1995||http://x|0|1\n"
            for i in range(1, ML_ITEMS + 1)
        ),
        encoding="latin-1",
    )
    return folder
