import json
import os

import h5py
import keras
import numpy as np
import pytest

from rnr_keras import inputs
from rnr_keras import models
from rnr_keras import protocol
from rnr_keras import registry
from rnr_keras import zoo
from rnr_keras.datasets import Interactions
from rnr_keras.datasets import load
from rnr_keras.models import BPR
from rnr_keras.models import MultiTaskModel
from rnr_keras.models import Popularity
from rnr_keras.models import Recommender
from rnr_keras.models import RnRModel
from rnr_keras.zoo import build_presets
from rnr_keras.zoo import preset_utils
from tests.test_case import TestCase
from tests.zoo.conftest import TINY

pytestmark = pytest.mark.usefixtures("private_dirs")

METADATA = {
    "model": "tiny",
    "dataset": "synthetic",
    "metrics": {"test": {"recall@10": np.float64(0.25)}},
    "counts": np.array([1, 2]),
}


PRESET_NAMES = list(build_presets.PRESET_MODELS) + [
    name for name in ("wrmf", "svdpp", "ease", "rnr-bpr-svdpp", "transition")
    if registry.is_model_name(name)
]


def _tiny_model(name, split, embedding_dim=4):
    """A zoo model adapted to `split.train` with random, non-initial weights."""
    accepted = registry.spec(name).constructor_arguments()
    kwargs = {"embedding_dim": embedding_dim} if "embedding_dim" in accepted else {}
    model = registry.build_model(name, split.num_users, split.num_items, **kwargs)
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
    @pytest.mark.parametrize("name", PRESET_NAMES)
    def test_every_model_round_trips(self, name, split, tmp_path):
        model = _tiny_model(name, split)
        users, items = _raw_ids(split)
        path = model.save_to_preset(
            tmp_path / "preset", metadata=METADATA, user_ids=users, item_ids=items
        )

        assert sorted(os.listdir(path)) == sorted(preset_utils.PRESET_FILES)
        for loaded in (
            Recommender.from_preset(path, data=split.train),
            type(model).from_preset(path, data=split.train),
            zoo.load(path, data=split.train),
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
        model = registry.build_model(
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


def _save_recorded(model, split, path, dataset_args=TINY):
    """Saves `model` with the record `rnr-keras train` writes (the tiny
    synthetic dataset and its split, so `data="auto"` can re-create it)."""
    record = {
        "model": "tiny",
        "label": type(model).__name__,
        "dataset": "synthetic",
        "dataset_args": dataset_args,
        "protocol": split.params,
        "hyperparameters": {},
        "val": {},
        "test": {},
    }
    return zoo.save_preset_from_run(model, record, split, path)


def _values(model):
    return {v.path: keras.ops.convert_to_numpy(v) for v in model.weights}




class TestHistoryIsNotShipped(TestCase):
    """The training data is not model state: presets leave it out, loading
    gives it back from the user's copy."""

    @pytest.mark.parametrize("name", PRESET_NAMES)
    def test_files_hold_no_history(self, name, split, tmp_path):
        model = _tiny_model(name, split)
        path = _save_recorded(model, split, tmp_path / "p")
        weights = _weights_in(os.path.join(path, "model.weights.h5"))
        assert weights and not [k for k in weights if "history" in k]
        config = json.loads(open(os.path.join(path, "config.json")).read())
        assert "history_size" not in config["config"]
        history = zoo.metadata(path)["interaction_history"]
        assert history == {
            "shipped": False,
            "note": preset_utils.HISTORY_NOTE,
            "interactions": len(split.train),
            "ratings": True,
            "fingerprint": zoo.history_fingerprint(split.train, with_ratings=True),
        }
        # Nothing the size of the training data is stored.
        assert sum(int(np.prod(v.shape)) for v in model.weights) == (
            zoo.metadata(path)["parameter_count"]
        )

    @pytest.mark.parametrize("name", PRESET_NAMES)
    def test_auto_rebuilds_it_from_the_recorded_split(self, name, split, tmp_path):
        model = _tiny_model(name, split)
        path = _save_recorded(model, split, tmp_path / "p")
        loaded = zoo.load(path)  # data="auto": re-creates the synthetic split
        assert loaded.missing_history_reason is None
        # Every weight equal, bit for bit: `adapt` on a loaded model
        # changes none (Popularity's counts, SVD's mean rating).
        assert _values(loaded).keys() == _values(model).keys()
        for key, value in _values(model).items():
            np.testing.assert_array_equal(_values(loaded)[key], value, err_msg=key)
        users = np.arange(split.num_users)
        np.testing.assert_array_equal(loaded.score(users), model.score(users))
        np.testing.assert_array_equal(
            loaded.recommend(users, k=5)[0], model.recommend(users, k=5)[0]
        )

    def test_other_ratings_are_refused_and_change_nothing(self, split, tmp_path):
        model = _tiny_model("rnr-bpr-svd", split)
        path = _save_recorded(model, split, tmp_path / "p")
        train = split.train
        # Same (user, item) rows, other ratings: another training set.
        shifted = Interactions(
            train.users, train.items, train.ratings + 1.0, train.timestamps,
            user_ids=train.user_ids, item_ids=train.item_ids,
        )
        with pytest.raises(ValueError, match="fingerprint differs"):
            zoo.load(path, data=shifted)
        # Given to a loaded model directly, data never changes its weights.
        loaded = zoo.load(path, data=None)
        loaded.adapt(shifted)
        np.testing.assert_array_equal(
            loaded.rater.global_mean.numpy(), model.rater.global_mean.numpy()
        )

    def test_without_the_data_it_loads_without_history(self, split, tmp_path, monkeypatch):
        saved = {}
        for name in ("bpr", "cdae"):
            saved[name] = _tiny_model(name, split)
            _save_recorded(saved[name], split, tmp_path / name)

        def unavailable(*args, **kwargs):
            raise FileNotFoundError("no u.data (simulated)")

        monkeypatch.setattr("rnr_keras.datasets.load", unavailable)
        bpr = zoo.load(tmp_path / "bpr")
        assert bpr.interaction_history is None
        users = np.arange(split.num_users)
        np.testing.assert_array_equal(bpr.score(users), saved["bpr"].score(users))
        np.testing.assert_array_equal(
            bpr.recommend(users, exclude_seen=False)[0],
            saved["bpr"].recommend(users, exclude_seen=False)[0],
        )
        with pytest.raises(ValueError) as info:
            bpr.recommend(users)
        message = str(info.value)
        assert message.startswith(
            "BPR needs its training data for `recommend(exclude='train')`: "
            "the preset 'bpr' ships no training data (the data's licence "
            "may forbid redistributing it) and it could not be rebuilt: "
            "synthetic was not found: no u.data"
        )
        assert "Set RNR_DATA_DIR" in message and "data=" in message
        cdae = zoo.load(tmp_path / "cdae")
        with pytest.raises(ValueError, match="CDAE needs its training data for "
                           "scoring: the preset 'cdae' ships no training data"):
            cdae.score(users)

    def test_scores_without_history_equal_the_models(self, split, tmp_path):
        model = _tiny_model("vanilla-bpr-svd", split)
        path = _save_recorded(model, split, tmp_path / "p")
        loaded = zoo.load(path, data=None)
        assert loaded.interaction_history is None
        users = np.arange(split.num_users)
        np.testing.assert_array_equal(loaded.score(users), model.score(users))
        with pytest.raises(ValueError, match="loaded with data=None"):
            loaded.recommend(users)

    def test_other_data_is_refused(self, split, tmp_path):
        model = _tiny_model("cdae", split)
        path = _save_recorded(model, split, tmp_path / "p")
        # Same data and index space, fewer held-out users: more training rows.
        other = protocol.all_but_last_one(load("synthetic", **TINY), n_users=20)
        with pytest.raises(ValueError, match="is not the training data of "
                           "the preset 'p': .* fingerprint differs"):
            zoo.load(path, data=other.train)
        with pytest.raises(ValueError, match="is not the split the preset 'p'"):
            zoo.load(path, data=other)
        loaded = zoo.load(path, data=split)
        np.testing.assert_array_equal(loaded.score([0, 1]), model.score([0, 1]))
        small = Interactions(users=[0, 1], items=[1, 0])
        with pytest.raises(ValueError, match="`data` does not match the model"):
            zoo.load(path, data=small)
        for data in ("yes", [0, 1]):
            with pytest.raises(ValueError, match="`data` must be 'auto', None"):
                zoo.load(path, data=data)

    def test_auto_refuses_local_data_that_differs(self, split, tmp_path):
        model = _tiny_model("bpr", split)
        # The record names data the preset was not trained on.
        path = _save_recorded(
            model, split, tmp_path / "p", dataset_args={**TINY, "seed": 5}
        )
        with pytest.raises(ValueError, match="The synthetic data found "
                           "differs from the data preset 'p' was trained on"):
            zoo.load(path)
        assert zoo.load(path, data=None).interaction_history is None

    def test_auto_without_a_recorded_dataset(self, split, tmp_path):
        model = _tiny_model("bpr", split)
        path = model.save_to_preset(tmp_path / "p")  # no metadata
        loaded = zoo.load(path)
        assert loaded.interaction_history is None
        assert "records no dataset and protocol" in loaded.missing_history_reason
        loaded = zoo.load(path, data=split.train)
        np.testing.assert_array_equal(
            loaded.recommend([0, 1])[0], model.recommend([0, 1])[0]
        )

    def test_data_dir_is_where_auto_looks(self, ml_dir, tmp_path):
        data = load("ml-100k", data_dir=ml_dir)
        split = protocol.all_but_last_one(data, n_users=data.num_users)
        model = _tiny_model("cdae", split)
        record = {
            "model": "cdae", "label": "CDAE", "dataset": "ml-100k",
            "protocol": split.params, "hyperparameters": {}, "val": {}, "test": {},
        }
        path = zoo.save_preset_from_run(model, record, split, tmp_path / "p")
        assert zoo.load(path).interaction_history is None
        loaded = models.CDAE.from_preset(path, data_dir=ml_dir)
        np.testing.assert_array_equal(loaded.score([0, 3]), model.score([0, 3]))
        assert zoo.recorded_split(path, data_dir=ml_dir).params == split.params
        with pytest.raises(OSError, match="ml-100k ratings file u.data not found"):
            zoo.recorded_split(path)


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
        for loader in (zoo.load, Recommender.from_preset, zoo.metadata, zoo.id_maps):
            with pytest.raises(ValueError) as info:
                loader("svd_tiny")
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
