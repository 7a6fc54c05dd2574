import warnings

import keras
import numpy as np
import pytest

from rnr_keras import inputs
from rnr_keras.callbacks import StepProgbar
from rnr_keras.datasets import synthetic
from rnr_keras.models import BPR
from tests.test_case import TestCase


def _bar(steps):
    bar = StepProgbar()
    bar.set_params({"verbose": 1, "epochs": 1, "steps": steps})
    return bar


def test_caps_at_the_epochs_last_batch():
    bar = _bar(15)
    assert bar.capped(15) == 14  # steps_per_execution=16 over 15 batches
    assert bar.capped(3) == 3
    assert _bar(None).capped(40) == 40  # length not known yet


class TestFit(TestCase):
    @pytest.fixture
    def model_and_data(self):
        data = synthetic(num_users=60, num_items=30, seed=0)
        model = BPR(60, 30, embedding_dim=4).adapt(data)
        model.compile()  # steps_per_execution 16
        return model, inputs.dataset_for(model, data, batch_size=128)

    def test_the_bar_never_counts_past_the_epoch(self, model_and_data, capsys):
        model, dataset = model_and_data
        steps = int(dataset.cardinality())
        assert steps % 16  # the last call runs fewer than 16 batches
        model.fit(dataset, epochs=1, verbose=1)
        shown = capsys.readouterr().out
        counts = [
            int(part.split("/")[0].split("m")[-1])
            for part in shown.replace("\r", "\n").split()
            if part.endswith(f"/{steps}") or f"/{steps}\x1b" in part
        ]
        assert counts and max(counts) == steps

    def test_fitting_a_dataset_warns_about_nothing(self, model_and_data):
        # What README's example does: `fit` on `inputs.dataset_for(...)`.
        model, dataset = model_and_data
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            model.fit(dataset, epochs=1, verbose=0)

    def test_shuffle_is_still_passed_for_arrays(self, model_and_data, monkeypatch):
        model, _ = model_and_data
        seen = {}

        def fake_fit(self, x=None, y=None, **kwargs):
            seen.update(kwargs)

        monkeypatch.setattr(keras.Model, "fit", fake_fit)
        model.fit(np.zeros((4, 2)), verbose=0)
        assert seen["shuffle"] is True and seen["callbacks"] == []
        model.fit(np.zeros((4, 2)), shuffle=False, verbose=1)
        assert seen["shuffle"] is False
        assert isinstance(seen["callbacks"][0], StepProgbar)

    def test_a_progbar_of_your_own_is_kept(self, model_and_data, monkeypatch):
        model, _ = model_and_data
        seen = {}
        monkeypatch.setattr(
            keras.Model, "fit", lambda self, x=None, y=None, **kw: seen.update(kw)
        )
        mine = keras.callbacks.ProgbarLogger()
        model.fit(np.zeros((4, 2)), callbacks=[mine])
        assert seen["callbacks"] == [mine]


class TestSerialization(TestCase):
    def test_config_round_trip(self):
        self.run_serialization_test(StepProgbar())
