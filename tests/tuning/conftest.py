"""Tiny data and a fast `gc.collect` for the tuning tests."""

import pytest

from rnr_keras import datasets
from rnr_keras import protocol


@pytest.fixture(scope="session")
def tiny_split():
    data = datasets.synthetic(num_users=120, num_items=60, seed=0)
    return protocol.all_but_last_one(data, n_users=120, seed=0)


@pytest.fixture(autouse=True)
def fast_gc(monkeypatch):
    """Makes `gc.collect` a no-op in the tuning tests.

    `keras.utils.clear_session()` (in `TestCase.setup_method`, and in
    keras-tuner before every trial) collects garbage, and with TensorFlow
    loaded each `gc.collect()` takes ~0.5 s: more than a stubbed trial.
    The tiny models of these tests need no collection.
    """
    import gc

    monkeypatch.setattr(gc, "collect", lambda generation=2: 0)
