import os

import numpy as np
import pytest

from rnr_keras import registry
from rnr_keras import training
from rnr_keras import zoo
from rnr_keras.zoo import build_presets
from tests.test_case import TestCase

pytestmark = pytest.mark.usefixtures("private_dirs")

TRIALS = [
    {"trial_id": "0000", "status": "COMPLETED",
     "hyperparameters": {"embedding_dim": 4, "l2": 0.01},
     "val_recall_at_10": 0.1, "best_epoch": 1},
    {"trial_id": "0001", "status": "COMPLETED",
     "hyperparameters": {"embedding_dim": 4, "l2": 0.001},
     "val_recall_at_10": 0.3, "best_epoch": 2},
]


def _stub_tune(calls, test_offset=0.0):
    """A `tuning.tune` stand-in: no search, no training. The "winner" is a
    BPR that ranks by training popularity."""

    def tune(name, split, **kwargs):
        calls.append((name, kwargs))
        model = training.build_model(
            name, split.num_users, split.num_items, embedding_dim=4, l2=0.001
        )
        model.adapt(split.train)
        for variable in (model.user_embedding.embeddings, model.item_embedding.embeddings):
            variable.assign(np.zeros(variable.shape, "float32"))
        model.ranker.item_bias.assign(split.train.item_counts().astype("float32"))
        metrics = training.evaluate_model(model, split)
        metrics["test"]["mrr@10"] += test_offset
        results = {
            "model": name,
            "label": registry.label(name),
            "objective": {"name": "val_recall_at_10", "direction": "max"},
            "best_hyperparameters": {"embedding_dim": 4, "l2": 0.001},
            "best_trial": "0001",
            "trials": TRIALS,
            "val": metrics["val"],
            "test": metrics["test"],
            "train_seconds": 0.5,
            "epochs": 3,
            "best_epoch": 2,
            "search_seconds": 1.0,
        }
        return results, model

    return tune


class TestBuildPreset(TestCase):
    def test_saves_the_tuned_model_with_its_search(self, split, tmp_path, monkeypatch):
        calls = []
        monkeypatch.setattr("rnr_keras.tuning.search.tune", _stub_tune(calls))
        path = build_presets.build_preset(
            "bpr", split, str(tmp_path), dataset="synthetic",
            dataset_args={"num_users": 40}, epochs=7, seed=3, log=lambda line: None,
        )
        assert calls == [(
            "bpr",
            {"tuner": "grid", "space": "paper", "epochs": 7, "patience": None,
             "batch_size": None, "optimizer": "default", "seed": 3,
             "verbose": 0, "return_model": True},
        )]
        assert os.path.basename(path) == "bpr_synthetic"
        metadata = zoo.metadata(path)
        assert metadata["selection"]["chosen"] == {"embedding_dim": 4, "l2": 0.001}
        assert metadata["selection"]["trials"] == TRIALS
        assert metadata["hyperparameters"] == {"embedding_dim": 4, "l2": 0.001}
        assert metadata["dataset_args"] == {"num_users": 40}
        assert metadata["training"]["epochs"] == 3
        assert metadata["training"]["best_epoch"] == 2
        assert metadata["data_fingerprint"] == zoo.data_fingerprint(split)

    def test_a_preset_that_does_not_reproduce_is_removed(
        self, split, tmp_path, monkeypatch
    ):
        monkeypatch.setattr("rnr_keras.tuning.search.tune", _stub_tune([], test_offset=1e-3))
        with pytest.raises(RuntimeError, match="does not reproduce its mrr@10"):
            build_presets.build_preset(
                "bpr", split, str(tmp_path), dataset="synthetic", log=lambda line: None
            )
        assert os.listdir(tmp_path) == []

    def test_refuses_an_existing_preset_before_the_search(
        self, split, tmp_path, monkeypatch
    ):
        (tmp_path / "bpr_synthetic").mkdir()
        (tmp_path / "bpr_synthetic" / "config.json").write_text("{}")
        calls = []
        monkeypatch.setattr("rnr_keras.tuning.search.tune", _stub_tune(calls))
        with pytest.raises(FileExistsError, match="--overwrite"):
            build_presets.build_preset("bpr", split, str(tmp_path), dataset="synthetic")
        assert calls == []

    def test_command_line_builds_popularity(self, tmp_path, capsys, monkeypatch):
        # The real search: Popularity has one trial and trains nothing.
        status = build_presets.main(
            ["--dataset", "synthetic", "--models", "popularity",
             "--n-users", "100", "--out", str(tmp_path)]
        )
        assert status == 0
        assert "Saved" in capsys.readouterr().out
        monkeypatch.setenv("RNR_PRESETS_DIR", str(tmp_path))
        assert zoo.list() == ["popularity_synthetic"]
        metadata = zoo.metadata("popularity_synthetic")
        assert metadata["protocol"]["n_users"] == 100
        assert metadata["selection"]["chosen"] == {}
        assert [t["status"] for t in metadata["selection"]["trials"]] == ["COMPLETED"]
