import os
import shutil

import keras
import numpy as np
import pytest

from rnr_keras import cli
from rnr_keras import protocol
from rnr_keras import registry
from rnr_keras import zoo
from rnr_keras.datasets import load
from tests.test_case import TestCase

pytestmark = pytest.mark.usefixtures("private_dirs")


def _split(ml_dir):
    data = load("ml-100k", data_dir=ml_dir)
    return protocol.all_but_last_one(data, n_users=data.num_users, seed=0)


def _save_preset(name, ml_dir, path):
    split = _split(ml_dir)
    kwargs = {"embedding_dim": 4} if name != "popularity" else {}
    model = registry.build_model(
        name, split.num_users, split.num_items, **kwargs
    ).adapt(split.train)
    record = {
        "model": name,
        "label": registry.label(name),
        "dataset": "ml-100k",
        "protocol": split.params,
        "hyperparameters": {"embedding_dim": 4},
        "val": {},
        "test": {},
    }
    zoo.save_preset_from_run(model, record, split, path)
    return model, split


def _export(capsys, *argv):
    status = cli.main(["export", *map(str, argv)])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def _serve(path, users):
    import tensorflow as tf

    served = tf.saved_model.load(str(path)).signatures["serving_default"](
        user_ids=tf.constant(users)
    )
    return served["item_ids"].numpy().astype(str), served["scores"].numpy()


class TestExport(TestCase):
    def test_preset_serves_its_recommendations_by_raw_id(
        self, capsys, ml_dir, tmp_path
    ):
        import tensorflow as tf

        model, split = _save_preset("svd", ml_dir, tmp_path / "svd")
        out = tmp_path / "serving" / "svd"
        status, printed, _ = _export(
            capsys, "--preset", tmp_path / "svd", out, "-k", "3",
            "--data-dir", ml_dir,
        )
        assert status == 0
        assert f"to {out} (SavedModel; top 3 items per user;" in printed
        assert "rate (user_ids, item_ids -> ratings)" in printed

        user = split.train.user_index(105)
        items, scores = model.recommend([user], k=3)
        served_items, served_scores = _serve(out, ["105", "no-such-user"])
        assert served_items[0].tolist() == [
            str(i) for i in split.train.item_ids[items[0]]
        ]
        np.testing.assert_allclose(served_scores[0], scores[0], rtol=1e-5)
        # An unknown user: the most interacted-with training items.
        counts = split.train.item_counts()
        np.testing.assert_array_equal(
            served_scores[1], np.sort(counts)[::-1][:3].astype(np.float32)
        )
        ratings = tf.saved_model.load(str(out)).signatures["rate"](
            user_ids=tf.constant(["105"]), item_ids=tf.constant(["3"])
        )["ratings"].numpy()
        np.testing.assert_allclose(
            ratings,
            model.predict_rating([user], [split.train.item_index(3)]),
            rtol=1e-5,
        )

    def test_model_file_of_a_train_run(self, capsys, ml_dir, tmp_path):
        run = tmp_path / "run"
        assert cli.main([
            "train", "bpr", "--dataset", "ml-100k", "--data-dir", str(ml_dir),
            "--epochs", "1", "--embedding-dim", "4", "--out", str(run),
            "--quiet",
        ]) == 0
        capsys.readouterr()
        out = tmp_path / "bpr"
        status, printed, _ = _export(
            capsys, "--model", run / "model.keras", out, "-k", "4",
            "--data-dir", ml_dir,
        )
        assert status == 0 and f"to {out} " in printed

        split = _split(ml_dir)
        model = keras.saving.load_model(run / "model.keras").adapt(split.train)
        users = split.train.user_ids[:3]
        items, scores = model.recommend(split.train.user_index(users), k=4)
        served_items, served_scores = _serve(out, [str(u) for u in users])
        np.testing.assert_allclose(served_scores, scores, rtol=1e-5)
        assert served_items.tolist() == split.train.item_ids[items].astype(str).tolist()

        # The run folder itself works too.
        status, _, _ = _export(capsys, "--model", run, tmp_path / "again",
                               "--data-dir", ml_dir)
        assert status == 0 and (tmp_path / "again" / "saved_model.pb").exists()

    def test_model_file_needs_its_run_record(self, capsys, ml_dir, tmp_path):
        run = tmp_path / "run"
        cli.main([
            "train", "popularity", "--dataset", "ml-100k", "--data-dir",
            str(ml_dir), "--out", str(run), "--quiet",
        ])
        (tmp_path / "alone").mkdir()
        shutil.copy(run / "model.keras", tmp_path / "alone" / "model.keras")
        capsys.readouterr()
        status, _, err = _export(
            capsys, "--model", tmp_path / "alone" / "model.keras", tmp_path / "out"
        )
        assert status == 2 and "metrics.json" in err
        assert not (tmp_path / "out").exists()

    def test_refuses_a_non_empty_folder_unless_overwrite(
        self, capsys, ml_dir, tmp_path
    ):
        _save_preset("popularity", ml_dir, tmp_path / "pop")
        out = tmp_path / "out"
        out.mkdir()
        (out / "keep.txt").write_text("mine")
        args = ("--preset", tmp_path / "pop", out, "--data-dir", ml_dir)
        status, _, err = _export(capsys, *args)
        assert status == 2 and "exists and is not empty" in err
        assert os.listdir(out) == ["keep.txt"]
        status, _, _ = _export(capsys, *args, "--overwrite")
        assert status == 0 and "saved_model.pb" in os.listdir(out)

    def test_preset_without_its_data(self, capsys, ml_dir, tmp_path):
        _save_preset("bpr", ml_dir, tmp_path / "bpr")
        status, _, err = _export(capsys, "--preset", tmp_path / "bpr", tmp_path / "out")
        assert status == 2
        assert "cannot be exported without its training data" in err
        assert not (tmp_path / "out").exists()

    def test_bad_k(self, capsys, tmp_path):
        status, _, err = _export(capsys, "--preset", "x", tmp_path / "out", "-k", "0")
        assert status == 2 and "`k` must be at least 1" in err

    @pytest.mark.parametrize(
        "argv, message",
        [
            ([], "one of the arguments --preset --model is required"),
            (["--preset", "p", "--model", "m"], "not allowed with argument"),
        ],
    )
    def test_needs_one_of_preset_and_model(self, capsys, tmp_path, argv, message):
        with pytest.raises(SystemExit):
            cli.main(["export", *argv, str(tmp_path / "out")])
        assert message in capsys.readouterr().err
