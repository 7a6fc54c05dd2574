"""Stubbed trials: tuning tests run searches without training."""

import json

from rnr_keras import training
from rnr_keras.tuning import RecommenderHyperModel


def fake_score(values):
    """A deterministic objective in (0, 1), distinct across our grids."""
    text = json.dumps(values, sort_keys=True)
    return (sum((i + 1) * ord(c) for i, c in enumerate(text)) % 9973 + 1) / 9974


class _StubFit:
    """Replaces training with `fake_score`; records and can interrupt.

    `interrupt_at=k` raises KeyboardInterrupt (not an Exception, so
    keras-tuner does not catch it) on the k-th trial (1-based).
    """

    def __init__(self, *args, interrupt_at=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.interrupt_at = interrupt_at
        self.runs = []

    def fit(self, hp, model, *args, callbacks=(), **kwargs):
        if self.interrupt_at == len(self.runs) + 1:
            raise KeyboardInterrupt
        values = dict(hp.values)
        self.runs.append(values)
        return {training.MONITOR: fake_score(values)}


def stub_hypermodel(name, split, **kwargs):
    """`hypermodel_for(name, split, ...)` whose trials do not train."""
    stub = type("StubRecommenderHyperModel", (_StubFit, RecommenderHyperModel), {})
    return stub(name, split, **kwargs)
