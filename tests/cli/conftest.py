"""Shared fixtures of the command-line tests."""

import pytest

# The zoo's tiny data: a MovieLens-shaped folder, a tiny split, and private
# cache and presets folders.
from tests.zoo.conftest import ml_dir  # noqa: F401
from tests.zoo.conftest import private_dirs  # noqa: F401
from tests.zoo.conftest import split  # noqa: F401


@pytest.fixture(autouse=True)
def _private_cache(monkeypatch, tmp_path):
    """No command reads or fills the user's dataset cache."""
    monkeypatch.setenv("RNR_CACHE_DIR", str(tmp_path / "cache"))
