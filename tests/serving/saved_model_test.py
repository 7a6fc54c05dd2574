import json
import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

from rnr_keras import inputs
from rnr_keras import io_utils
from rnr_keras import registry
from rnr_keras import serving
from rnr_keras.datasets import Interactions
from rnr_keras.models import BPR
from rnr_keras.models import CDAE
from rnr_keras.models import EASE
from rnr_keras.models import Popularity
from rnr_keras.models import RnRModel
from rnr_keras.models import SASRec
from rnr_keras.protocol import all_but_last_one
from tests import planted
from tests.test_case import TestCase

K = 5
UNKNOWN = "nobody"

# Loads every exported folder in a process that cannot import rnr_keras or
# Keras (a finder refuses them), so the SavedModel is TensorFlow alone.
LOADER = textwrap.dedent("""
    import importlib.abc, importlib.machinery, json, sys

    class Refuse(importlib.abc.MetaPathFinder, importlib.abc.Loader):
        # Found without an origin (TensorFlow only looks keras up), but
        # importing it fails.
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("rnr_keras", "keras"):
                return importlib.machinery.ModuleSpec(name, self)
            return None

        def create_module(self, spec):
            raise ImportError(f"{spec.name} may not be imported here")

        def exec_module(self, module):
            raise ImportError(f"{module.__name__} may not be imported here")

    sys.meta_path.insert(0, Refuse())
    import tensorflow as tf

    out = {}
    for name, job in json.load(open(sys.argv[1])).items():
        loaded = tf.saved_model.load(job["dir"])
        result = out[name] = {"signatures": sorted(loaded.signatures)}
        served = loaded.signatures["serving_default"](
            user_ids=tf.constant(job["users"], dtype=tf.string))
        result["item_ids"] = served["item_ids"].numpy().astype(str).tolist()
        result["scores"] = served["scores"].numpy().tolist()
        if "pairs" in job:
            users, items = job["pairs"]
            result["ratings"] = loaded.signatures["rate"](
                user_ids=tf.constant(users, dtype=tf.string),
                item_ids=tf.constant(items, dtype=tf.string),
            )["ratings"].numpy().tolist()
    leaked = sorted(m for m in sys.modules if m.split(".")[0] in ("rnr_keras", "keras"))
    assert not leaked, leaked
    print("RESULT" + json.dumps(out))
    """)


def _named(data):
    """`data` with string raw ids ("u<index>", "i<index>")."""
    return Interactions(
        data.users,
        data.items,
        data.ratings,
        timestamps=data.timestamps,
        num_users=data.num_users,
        num_items=data.num_items,
        user_ids=[f"u{u}" for u in range(data.num_users)],
        item_ids=[f"i{i}" for i in range(data.num_items)],
    )


def _trained(model, train, epochs=1):
    model.adapt(train)
    model.compile(optimizer=keras.optimizers.Adam(0.05), jit_compile=False)
    model.fit(
        inputs.dataset_for(model, train, batch_size=64, seed=0),
        epochs=epochs,
        verbose=0,
    )
    return model


def _models():
    """name -> (model, users to ask for by index), each adapted."""
    keras.utils.set_random_seed(0)
    train = all_but_last_one(_named(planted.chain_data()), n_users=64, seed=0).train
    tiny = _named(planted.tiny_train())
    users = [0, 1, 17, 63]
    return {
        "bpr": (BPR(64, 40, embedding_dim=8).adapt(train), users),
        "rnr-bpr-svd": (
            _trained(RnRModel(64, 40, ranker="bpr", rater="svd", embedding_dim=8), train),
            users,
        ),
        "cdae": (CDAE(64, 40, embedding_dim=8).adapt(train), users),
        "popularity": (Popularity(64, 40).adapt(train), users),
        "sasrec": (SASRec(64, 40, embedding_dim=8).adapt(train), users),
        # k = all 5 items: user 2 has 3 training items, so 3 slots stay empty.
        "ease": (EASE(3, 5, l2=1.0).adapt(tiny), [0, 1, 2]),
    }


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """name -> (model, users, what the keras-free process served)."""
    folder = tmp_path_factory.mktemp("exported")
    models, jobs = _models(), {}
    for name, (model, users) in models.items():
        path = str(folder / name)
        if name == "bpr":  # through keras.Model.export's override
            model.export(path, k=K, verbose=False)
        else:
            serving.export_saved_model(model, path, k=K)
        train = model.training_interactions
        job = jobs[name] = {
            "dir": path,
            "users": [str(train.user_ids[u]) for u in users] + [UNKNOWN],
        }
        if getattr(model, "rater", None) is not None:
            items = [0, 3, 7, 39]
            job["pairs"] = [
                [str(train.user_ids[u]) for u in users] + [UNKNOWN, "u0"],
                [str(train.item_ids[i]) for i in items] + ["i1", "no-item"],
            ]
    jobs_file = folder / "jobs.json"
    jobs_file.write_text(json.dumps(jobs))
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    env.pop("PYTHONPATH", None)
    done = subprocess.run(
        [sys.executable, "-c", LOADER, str(jobs_file)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=str(folder),
    )
    assert done.returncode == 0, done.stderr[-3000:]
    line = [x for x in done.stdout.splitlines() if x.startswith("RESULT")][-1]
    served = json.loads(line[len("RESULT"):])
    return {name: (*models[name], served[name]) for name in models}


def _assert_same_top_k(model, users, item_ids, scores):
    """`item_ids` / `scores` (raw ids, as served) are `model.recommend`'s.

    Scores match slot by slot; each served item scores what the model
    gives it and is not a training item of the user; items match exactly
    wherever no other candidate item ties the score (tied items may come
    in another order).
    """
    expected_items, expected_scores = model.recommend(users, k=K)
    scores = np.array(scores, dtype=np.float32)
    np.testing.assert_allclose(scores, expected_scores, rtol=1e-5, atol=1e-6)
    raw = model.training_interactions.item_ids.astype(str)
    full = model.score(users)
    for row, user in enumerate(users):
        seen = set(model.interaction_history.user_items(user).tolist())
        candidates = np.delete(full[row], sorted(seen))
        for slot, item in enumerate(item_ids[row]):
            score = scores[row, slot]
            if expected_items[row, slot] == -1:
                assert item == serving.EMPTY_ITEM and np.isneginf(score)
                continue
            index = int(np.flatnonzero(raw == item)[0])
            np.testing.assert_allclose(full[row, index], score, rtol=1e-5, atol=1e-6)
            if np.isclose(candidates, score, rtol=1e-5, atol=1e-6).sum() == 1:
                assert index == expected_items[row, slot]
        served = {int(np.flatnonzero(raw == i)[0]) for i in item_ids[row] if i}
        assert not served & seen


@pytest.mark.parametrize(
    "name", ["bpr", "rnr-bpr-svd", "cdae", "popularity", "sasrec", "ease"]
)
def test_keras_free_process_serves_recommend(exported, name):
    model, users, served = exported[name]
    expected = ["recommend", "serving_default"]
    if getattr(model, "rater", None) is not None:
        expected = ["rate", *expected]
    assert served["signatures"] == expected
    k = min(K, model.num_items)
    assert np.shape(served["item_ids"]) == (len(users) + 1, k)
    _assert_same_top_k(model, users, served["item_ids"][:-1], served["scores"][:-1])

    # The unknown user gets the most interacted-with items, by their count.
    counts = model.training_interactions.item_counts().astype(np.float32)
    raw = model.training_interactions.item_ids.astype(str)
    unknown_items, unknown_scores = served["item_ids"][-1], served["scores"][-1]
    np.testing.assert_array_equal(unknown_scores, np.sort(counts)[::-1][:k])
    for item, score in zip(unknown_items, unknown_scores):
        assert counts[int(np.flatnonzero(raw == item)[0])] == score
    assert len(set(unknown_items)) == k


def test_training_items_are_excluded_and_short_rows_padded(exported):
    model, users, served = exported["ease"]
    # User 2 trained on items 0, 3, 4: only i1 and i2 are left to serve.
    assert sorted(served["item_ids"][2][:2]) == ["i1", "i2"]
    assert served["item_ids"][2][2:] == ["", "", ""]
    assert np.isneginf(served["scores"][2][2:]).all()


def test_keras_free_process_serves_rate(exported):
    model, users, served = exported["rnr-bpr-svd"]
    items = [0, 3, 7, 39]
    ratings = np.array(served["ratings"], dtype=np.float32)
    np.testing.assert_allclose(
        ratings[: len(users)], model.predict_rating(users, items), rtol=1e-5
    )
    # An unknown user or item: the training data's mean rating.
    mean = np.float32(np.mean(model.training_interactions.ratings))
    np.testing.assert_allclose(ratings[len(users):], [mean, mean], rtol=1e-6)


def _tiny_model():
    return Popularity(3, 5).adapt(planted.tiny_train())


class TestExportSavedModel(TestCase):
    def test_leaves_the_model_as_it_was(self, tmp_path):
        model = EASE(3, 5, l2=1.0).adapt(planted.tiny_train())
        history = model.interaction_history
        before = model.recommend([0, 1, 2], k=2)
        path = serving.export_saved_model(model, tmp_path / "ease", k=2)
        assert path == str(tmp_path / "ease")
        assert model.interaction_history is history
        for got, want in zip(model.recommend([0, 1, 2], k=2), before):
            np.testing.assert_array_equal(got, want)

    def test_refuses_a_non_empty_folder_unless_overwrite(self, tmp_path):
        target = tmp_path / "out"
        target.mkdir()
        (target / "keep.txt").write_text("mine")
        with pytest.raises(FileExistsError, match="exists and is not empty"):
            serving.export_saved_model(_tiny_model(), target)
        assert os.listdir(target) == ["keep.txt"]
        serving.export_saved_model(_tiny_model(), target, overwrite=True)
        assert "saved_model.pb" in os.listdir(target)
        assert "keep.txt" not in os.listdir(target)
        # Nothing left beside it: no temporary or old folder.
        assert os.listdir(tmp_path) == ["out"]

    def test_an_empty_folder_is_fine(self, tmp_path):
        (tmp_path / "out").mkdir()
        serving.export_saved_model(_tiny_model(), tmp_path / "out")
        assert "saved_model.pb" in os.listdir(tmp_path / "out")

    def test_a_failed_export_leaves_nothing(self, tmp_path, monkeypatch):
        def fail(*args, **kwargs):
            raise RuntimeError("disk full")

        monkeypatch.setattr(io_utils, "install_folder", fail)
        with pytest.raises(RuntimeError, match="disk full"):
            serving.export_saved_model(_tiny_model(), tmp_path / "out")
        assert os.listdir(tmp_path) == []

    @pytest.mark.parametrize("k", [0, -1, 2.5, "5", True])
    def test_bad_k(self, tmp_path, k):
        with pytest.raises(ValueError, match="`k` must be a positive integer"):
            _tiny_model().export(tmp_path / "out", k=k)
        assert not (tmp_path / "out").exists()

    def test_bad_format(self, tmp_path):
        with pytest.raises(ValueError, match="format='onnx'"):
            _tiny_model().export(tmp_path / "out", format="onnx")

    def test_needs_the_training_data(self, tmp_path):
        with pytest.raises(ValueError, match=r"model\.adapt\(train\)"):
            Popularity(3, 5).export(tmp_path / "out")

    def test_raw_ids_must_be_unique_as_strings(self, tmp_path):
        with pytest.raises(ValueError, match="more than once"):
            _tiny_model().export(tmp_path / "out", user_ids=[1, "1", 2])
        with pytest.raises(ValueError, match="one raw id per index"):
            _tiny_model().export(tmp_path / "out", item_ids=["a", "b"])

    def test_verbose_says_where(self, tmp_path, capsys):
        path = _tiny_model().export(tmp_path / "out", k=2)
        assert f"at {path}: signatures serving_default" in capsys.readouterr().out


@pytest.mark.large
@pytest.mark.parametrize("name", registry.model_names())
def test_every_registered_model_exports(tmp_path, name):
    import tensorflow as tf

    keras.utils.set_random_seed(0)
    train = all_but_last_one(_named(planted.chain_data()), n_users=64, seed=0).train
    kwargs = registry.spec(name).constructor_arguments()
    model = registry.build_model(
        name, 64, 40, **({"embedding_dim": 4} if "embedding_dim" in kwargs else {})
    ).adapt(train)
    loaded = tf.saved_model.load(model.export(tmp_path / name, k=K, verbose=False))
    users = [0, 9, 63]
    served = loaded.signatures["serving_default"](
        user_ids=tf.constant([f"u{u}" for u in users])
    )
    _assert_same_top_k(
        model,
        users,
        served["item_ids"].numpy().astype(str).tolist(),
        served["scores"].numpy(),
    )
    if getattr(model, "rater", None) is not None:
        ratings = loaded.signatures["rate"](
            user_ids=tf.constant([f"u{u}" for u in users]),
            item_ids=tf.constant(["i1", "i2", "i3"]),
        )["ratings"].numpy()
        np.testing.assert_allclose(
            ratings, model.predict_rating(users, [1, 2, 3]), rtol=1e-5
        )
