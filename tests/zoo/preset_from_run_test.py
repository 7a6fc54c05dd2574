import numpy as np
import pytest

from rnr_keras import protocol
from rnr_keras import registry
from rnr_keras import runs
from rnr_keras import training
from rnr_keras import zoo
from rnr_keras.datasets import load
from rnr_keras.zoo import preset_from_run
from tests.test_case import TestCase
from tests.zoo.conftest import ML_USERS

pytestmark = pytest.mark.usefixtures("private_dirs")

NUM_USERS = ML_USERS


def _save(name, ml_dir, path):
    data = load("ml-100k", data_dir=ml_dir)
    split = protocol.all_but_last_one(data, n_users=data.num_users, seed=0)
    kwargs = {} if name == "popularity" else {"embedding_dim": 4}
    model = registry.build_model(name, split.num_users, split.num_items, **kwargs)
    model.adapt(split.train)
    metrics = training.evaluate_model(model, split)
    record = {
        "model": name,
        "label": registry.label(name),
        "dataset": "ml-100k",
        "seed": 0,
        "protocol": split.params,
        "hyperparameters": {"embedding_dim": 4},
        "val": metrics["val"],
        "test": metrics["test"],
        "epochs": 0,
    }
    preset_from_run.save_preset_from_run(model, record, split, path)
    return model, split


class TestSavePresetFromRun(TestCase):
    def test_metadata_has_what_the_zoo_promises(self, ml_dir, tmp_path):
        model, split = _save("svd", ml_dir, tmp_path / "svd_ml-100k")
        metadata = zoo.metadata(tmp_path / "svd_ml-100k")
        for key in (
            "name", "model", "label", "dataset", "protocol", "hyperparameters",
            "metrics", "versions", "date", "parameter_count", "data_fingerprint",
        ):
            assert key in metadata, key
        assert metadata["name"] == "svd_ml-100k"
        assert metadata["protocol"] == {
            "name": "all_but_last_one",
            "n_users": NUM_USERS,
            "seed": 0,
            "val_fraction": 0.5,
        }
        assert set(metadata["metrics"]["test"]) >= {"recall@10", "mrr@10", "ndcg@10"}
        assert metadata["data_fingerprint"] == zoo.data_fingerprint(split)
        assert metadata["training"] == {"seed": 0, "epochs": 0}
        user_ids, item_ids = zoo.id_maps(tmp_path / "svd_ml-100k")
        assert user_ids.tolist() == list(range(101, 101 + NUM_USERS))
        assert item_ids.dtype == np.int64

    def test_incomplete_record_is_refused(self, split, tmp_path):
        model = registry.build_model("popularity", split.num_users, split.num_items)
        with pytest.raises(ValueError, match="lacks dataset, protocol"):
            preset_from_run.save_preset_from_run(
                model.adapt(split.train),
                {"model": "popularity", "label": "Popularity", "hyperparameters": {},
                 "val": {}, "test": {}},
                split,
                tmp_path / "p",
            )


class TestCheckPresetTarget:
    def test_refuses_only_a_taken_folder(self, tmp_path):
        preset_from_run.check_preset_target(tmp_path / "new")  # missing: fine
        preset_from_run.check_preset_target(tmp_path)  # empty: fine
        (tmp_path / "config.json").write_text("{}")
        with pytest.raises(FileExistsError, match="--overwrite"):
            preset_from_run.check_preset_target(tmp_path)
        preset_from_run.check_preset_target(tmp_path, overwrite=True)
        with pytest.raises(FileExistsError, match="not a folder"):
            preset_from_run.check_preset_target(tmp_path / "config.json", overwrite=True)


class TestFromRunRecord(TestCase):
    def test_a_run_record_becomes_the_metadata(self, split, tmp_path):
        model = registry.build_model(
            "bpr", split.num_users, split.num_items, embedding_dim=4
        )
        fit = training.fit_model(model, split, epochs=1, verbose=0)
        record = runs.run_record(
            "bpr", model, split, {**fit, **training.evaluate_model(model, split)},
            dataset="synthetic", dataset_args={"num_users": 40}, seed=0, epochs=1,
        )
        path = preset_from_run.save_preset_from_run(
            model, record, split, tmp_path / "bpr_synthetic"
        )
        metadata = zoo.metadata(path)
        assert metadata["versions"] == record["versions"]
        assert metadata["hyperparameters"] == record["hyperparameters"]
        assert metadata["training"] == {
            **record["training"],
            "seed": 0,
            "epochs": record["epochs"],
            "best_epoch": record["best_epoch"],
            "train_seconds": record["train_seconds"],
        }
        assert metadata["training"]["learning_rate"] == pytest.approx(0.002)
        # The preset scores as the run did once its data is back.
        loaded = zoo.load(path, data=split)
        users = np.arange(split.num_users)
        np.testing.assert_allclose(loaded.score(users), model.score(users), rtol=1e-6)


def test_zoo_exports_them():
    assert zoo.save_preset_from_run is preset_from_run.save_preset_from_run
    assert zoo.check_preset_target is preset_from_run.check_preset_target
