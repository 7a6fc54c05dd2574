import json
import os

import h5py
import keras
import numpy as np
import pytest

from rnr_keras import inputs
from rnr_keras import training
from rnr_keras import zoo
from rnr_keras.datasets import Interactions
from rnr_keras.models import BPR
from rnr_keras.models import MultiTaskModel
from rnr_keras.models import Popularity
from rnr_keras.models import Recommender
from rnr_keras.models import RnRModel
from rnr_keras.zoo import preset_utils
from tests.test_case import TestCase

pytestmark = pytest.mark.usefixtures("private_dirs")

METADATA = {
    "model": "tiny",
    "dataset": "synthetic",
    "metrics": {"test": {"recall@10": np.float64(0.25)}},
    "counts": np.array([1, 2]),
}


def _tiny_model(name, split, embedding_dim=4):
    """A zoo model adapted to `split.train` with random, non-initial weights."""
    kwargs = {} if name == "popularity" else {"embedding_dim": embedding_dim}
    model = training.build_model(name, split.num_users, split.num_items, **kwargs)
    model.adapt(split.train)
    rng = np.random.default_rng(7)
    # Values no fresh instance could start from: loading must restore them.
    for variable in model.trainable_weights:
        variable.assign(rng.normal(size=variable.shape).astype("float32"))
    return model


def _raw_ids(split):
    users = [f"u{i}" for i in range(split.num_users)]  # strings stay strings
    items = [1000 + 3 * i for i in range(split.num_items)]
    return users, items


def _weights_in(path):
    found = {}
    with h5py.File(path, "r") as file:
        file.visititems(
            lambda key, value: found.__setitem__(key, value.dtype)
            if isinstance(value, h5py.Dataset)
            else None
        )
    return found


class TestRoundTrip(TestCase):
    @pytest.mark.parametrize("name", list(training.MODELS))
    def test_every_model_round_trips(self, name, split, tmp_path):
        model = _tiny_model(name, split)
        users, items = _raw_ids(split)
        path = model.save_to_preset(
            tmp_path / "preset", metadata=METADATA, user_ids=users, item_ids=items
        )

        assert sorted(os.listdir(path)) == sorted(preset_utils.PRESET_FILES)
        for loaded in (
            Recommender.from_preset(path),
            type(model).from_preset(path),
            zoo.load(path),
        ):
            assert type(loaded) is type(model)
            assert loaded.get_config() == model.get_config()
            everyone = np.arange(split.num_users)
            np.testing.assert_array_equal(loaded.score(everyone), model.score(everyone))
            np.testing.assert_array_equal(
                loaded.recommend(everyone, k=5)[0], model.recommend(everyone, k=5)[0]
            )
        user_ids, item_ids = zoo.id_maps(path)
        assert user_ids.tolist() == users and item_ids.tolist() == items
        assert user_ids.dtype.kind == "U" and item_ids.dtype == np.int64

    def test_metadata_is_kept_and_completed(self, split, tmp_path):
        model = _tiny_model("popularity", split)
        path = model.save_to_preset(tmp_path / "pop", metadata=METADATA)
        metadata = zoo.metadata(path)
        assert metadata["model"] == "tiny"
        assert metadata["metrics"] == {"test": {"recall@10": 0.25}}
        assert metadata["counts"] == [1, 2]
        assert metadata["name"] == "pop"
        assert metadata["class_name"] == "rnr_keras>Popularity"
        # Popularity's one weight is its item counts; the history is data.
        assert metadata["parameter_count"] == split.num_items
        assert metadata["versions"] == {
            "rnr_keras": "0.1.0",
            "keras": keras.__version__,
            "tensorflow": __import__("tensorflow").__version__,
        }
        assert metadata["date"].endswith("+00:00")
        # Without maps, raw ids are the indices.
        user_ids, item_ids = zoo.id_maps(path)
        np.testing.assert_array_equal(user_ids, np.arange(split.num_users))
        np.testing.assert_array_equal(item_ids, np.arange(split.num_items))

    def test_trained_model_saves_no_optimizer_state(self, split, tmp_path):
        model = training.build_model(
            "rnr-bpr-svd", split.num_users, split.num_items, embedding_dim=4
        )
        model.adapt(split.train)
        # Eager, one epoch: XLA compilation would cost seconds here.
        model.compile(jit_compile=False)
        model.fit(
            inputs.dataset_for(model, split.train), epochs=1, shuffle=False, verbose=0
        )
        assert model.optimizer.variables  # there is state to leave out
        path = model.save_to_preset(tmp_path / "rnr")

        weights = _weights_in(os.path.join(path, "model.weights.h5"))
        assert not [key for key in weights if "optimizer" in key]
        assert set(weights.values()) <= {np.dtype("float32"), np.dtype("int32")}
        config = json.loads(open(os.path.join(path, "config.json")).read())
        assert "compile_config" not in config
        expected = keras.saving.serialize_keras_object(model)
        expected.pop("compile_config")
        assert config == json.loads(json.dumps(expected))
        loaded = RnRModel.from_preset(path)
        users = np.arange(split.num_users)
        np.testing.assert_array_equal(loaded.score(users), model.score(users))
        items = split.test.items
        np.testing.assert_array_equal(
            loaded.predict_rating(split.test.users, items),
            model.predict_rating(split.test.users, items),
        )

    def test_base_class_of_the_preset_class_loads_it(self, split, tmp_path):
        path = _tiny_model("bpr", split).save_to_preset(tmp_path / "bpr")
        assert type(MultiTaskModel.from_preset(path)) is BPR

    def test_loads_a_shipped_name_from_the_presets_folder(
        self, split, private_dirs
    ):
        model = _tiny_model("svd", split)
        model.save_to_preset(private_dirs / "svd_tiny")
        assert zoo.list() == ["svd_tiny"]
        loaded = zoo.load("svd_tiny")
        np.testing.assert_array_equal(loaded.score([0, 1]), model.score([0, 1]))


class TestAtomicWrite(TestCase):
    def _fail_on(self, monkeypatch, filename):
        real = preset_utils._write_json

        def write_json(path, *args, **kwargs):
            if os.path.basename(path) == filename:
                raise OSError("disk full (simulated)")
            return real(path, *args, **kwargs)

        monkeypatch.setattr(preset_utils, "_write_json", write_json)

    def test_failure_mid_write_leaves_no_folder(self, split, tmp_path, monkeypatch):
        model = _tiny_model("bpr", split)
        # metadata.json is written last, after config and weights.
        self._fail_on(monkeypatch, "metadata.json")
        with pytest.raises(OSError, match="simulated"):
            model.save_to_preset(tmp_path / "out" / "bpr")
        assert os.listdir(tmp_path / "out") == []

    def test_interrupt_mid_write_leaves_no_folder(self, split, tmp_path, monkeypatch):
        model = _tiny_model("popularity", split)

        def interrupted(*args, **kwargs):
            raise KeyboardInterrupt

        monkeypatch.setattr(preset_utils, "_save_weights", interrupted)
        with pytest.raises(KeyboardInterrupt):
            model.save_to_preset(tmp_path / "pop")
        assert os.listdir(tmp_path) == []

    def test_refuses_a_non_empty_folder_without_overwrite(self, split, tmp_path):
        target = tmp_path / "preset"
        target.mkdir()
        (target / "notes.txt").write_text("mine")
        model = _tiny_model("popularity", split)
        with pytest.raises(FileExistsError, match="overwrite=True"):
            model.save_to_preset(target)
        assert os.listdir(target) == ["notes.txt"]

    def test_fills_an_empty_folder(self, split, tmp_path):
        target = tmp_path / "preset"
        target.mkdir()
        _tiny_model("popularity", split).save_to_preset(target)
        assert sorted(os.listdir(target)) == sorted(preset_utils.PRESET_FILES)

    def test_overwrite_replaces_the_whole_folder(self, split, tmp_path):
        target = tmp_path / "preset"
        _tiny_model("popularity", split).save_to_preset(target)
        (target / "stale.txt").write_text("old")
        model = _tiny_model("bpr", split)
        model.save_to_preset(target, overwrite=True)
        assert sorted(os.listdir(target)) == sorted(preset_utils.PRESET_FILES)
        assert os.listdir(tmp_path) == ["preset"]  # no temporary leftovers
        assert type(zoo.load(target)) is BPR

    def test_failed_overwrite_keeps_the_old_preset(
        self, split, tmp_path, monkeypatch
    ):
        target = tmp_path / "preset"
        old = _tiny_model("popularity", split)
        old.save_to_preset(target)
        self._fail_on(monkeypatch, "item_ids.json")
        with pytest.raises(OSError, match="simulated"):
            _tiny_model("bpr", split).save_to_preset(target, overwrite=True)
        assert os.listdir(tmp_path) == ["preset"]
        assert type(zoo.load(target)) is Popularity

    @pytest.mark.parametrize(
        "user_ids, message",
        [([0, 1], "one raw id per index"), ([3] * 40, "more than once")],
    )
    def test_bad_id_maps_are_refused_before_writing(
        self, split, tmp_path, user_ids, message
    ):
        model = _tiny_model("popularity", split)
        with pytest.raises(ValueError, match=message):
            model.save_to_preset(tmp_path / "p", user_ids=user_ids)
        assert os.listdir(tmp_path) == []


class TestLookup(TestCase):
    def test_list_is_sorted_and_holds_only_presets(self, split, private_dirs):
        assert zoo.list() == []  # the folder does not even exist
        model = _tiny_model("popularity", split)
        for name in ("zeta", "alpha"):
            model.save_to_preset(private_dirs / name)
        (private_dirs / "not_a_preset").mkdir()
        (private_dirs / "__init__.py").write_text("")
        assert zoo.list() == ["alpha", "zeta"]

    def test_unknown_name_lists_the_known_ones(self, split, private_dirs):
        model = _tiny_model("popularity", split)
        for name in ("bpr_tiny", "popularity_tiny"):
            model.save_to_preset(private_dirs / name)
        for load in (zoo.load, Recommender.from_preset, zoo.metadata, zoo.id_maps):
            with pytest.raises(ValueError) as info:
                load("svd_tiny")
            message = str(info.value)
            assert "Unknown preset 'svd_tiny'" in message
            assert "bpr_tiny, popularity_tiny" in message

    def test_unknown_name_with_no_presets_says_so(self):
        with pytest.raises(ValueError, match=r"Known presets: \(none\)"):
            zoo.load("bpr_ml-100k")

    def test_missing_folder(self, tmp_path):
        with pytest.raises(FileNotFoundError, match="No preset folder"):
            zoo.load(tmp_path / "nowhere")

    def test_folder_without_config(self, tmp_path):
        with pytest.raises(ValueError, match="has no config.json"):
            zoo.load(tmp_path)

    def test_class_mismatch_names_both_classes(self, split, tmp_path):
        path = _tiny_model("popularity", split).save_to_preset(tmp_path / "p")
        with pytest.raises(ValueError, match="holds a Popularity, which is not a BPR"):
            BPR.from_preset(path)
        with pytest.raises(ValueError, match="not a RnRModel"):
            RnRModel.from_preset(path)


class TestDataFingerprint:
    def test_equal_data_equal_fingerprint(self, split, tiny_split):
        assert zoo.data_fingerprint(split) == zoo.data_fingerprint(tiny_split())

    def test_any_change_changes_it(self, split, tiny_split):
        reference = zoo.data_fingerprint(split)
        assert zoo.data_fingerprint(tiny_split(seed=1)) != reference
        assert zoo.data_fingerprint(split.train) != reference
        data = split.train
        ratings = data.ratings.copy()
        ratings[0] += 1
        changed = Interactions(
            data.users,
            data.items,
            ratings,
            data.timestamps,
            user_ids=data.user_ids,
            item_ids=data.item_ids,
        )
        assert zoo.data_fingerprint(changed) != zoo.data_fingerprint(data)
        renamed = Interactions(
            data.users,
            data.items,
            data.ratings,
            data.timestamps,
            user_ids=data.user_ids + 1,
            item_ids=data.item_ids,
        )
        assert zoo.data_fingerprint(renamed) != zoo.data_fingerprint(data)

    def test_refuses_other_objects(self):
        with pytest.raises(ValueError, match="`Split` or an `Interactions`"):
            zoo.data_fingerprint([1, 2])
