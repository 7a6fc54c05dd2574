"""Session fixtures shared by the model tests.

`trained`: zoo models fitted once per session on the planted block data;
training is the slow part of the model tests, so each recipe is fitted at
most once and shared by the tests of what it learned, how it saves and what
it recommends. `fresh_interpreter`: one new Python process for the checks
that need one (loading after `import rnr_keras` alone, MirroredStrategy).
"""

import json
import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

from rnr_keras import inputs
from rnr_keras.datasets import Interactions
from rnr_keras.models import BPR
from rnr_keras.models import CDAE
from rnr_keras.models import SVD
from rnr_keras.models import WRMF
from rnr_keras.models import RnRModel
from rnr_keras.models import SVDpp
from rnr_keras.models import VanillaModel
from tests import planted

SEED = 0
DIM = 8
L2 = 1e-4
LEARNING_RATE = 0.05
PAIRS_BATCH, PAIRS_EPOCHS = 64, 8
ROWS_BATCH, ROWS_EPOCHS = 16, 30

#: name -> model factory `(num_users, num_items) -> model`.
RECIPES = {
    "bpr": lambda nu, ni: BPR(nu, ni, embedding_dim=DIM, l2=L2),
    "svd": lambda nu, ni: SVD(nu, ni, embedding_dim=DIM, l2=L2),
    "svdpp": lambda nu, ni: SVDpp(nu, ni, embedding_dim=DIM, l2=L2),
    "wrmf": lambda nu, ni: WRMF(nu, ni, embedding_dim=DIM, l2=L2),
    "cdae": lambda nu, ni: CDAE(nu, ni, embedding_dim=DIM, l2=L2),
    "vanilla-bpr": lambda nu, ni: VanillaModel(
        nu, ni, ranker="bpr", embedding_dim=DIM, l2=L2
    ),
    "rnr-bpr": lambda nu, ni: RnRModel(
        nu, ni, ranker="bpr", embedding_dim=DIM, l2=L2
    ),
    "rnr-cdae": lambda nu, ni: RnRModel(
        nu, ni, ranker="cdae", embedding_dim=DIM, l2=L2
    ),
}


class Trained:
    """`trained(name)` -> `(model, history dict)`, fitted on first use."""

    def __init__(self, seed=SEED):
        self.seed = seed
        self.split = planted.block_split(seed)
        self._cache = {}

    @property
    def heldout(self):
        """Validation and test rows together (one per user)."""
        val, test = self.split.val, self.split.test
        return Interactions(
            np.concatenate([val.users, test.users]),
            np.concatenate([val.items, test.items]),
            np.concatenate([val.ratings, test.ratings]),
            num_users=self.split.num_users,
            num_items=self.split.num_items,
        )

    def __call__(self, name):
        if name not in self._cache:
            keras.utils.set_random_seed(self.seed)
            split = self.split
            model = RECIPES[name](split.num_users, split.num_items)
            model.adapt(split.train)
            # BPR trains under XLA, as the default compile does on large
            # data, so that train step is covered too; the others skip
            # XLA's compile time, which tiny data never pays back.
            model.compile(
                optimizer=keras.optimizers.Adam(LEARNING_RATE),
                jit_compile=name == "bpr",
            )
            rows = model.input_mode == "rows"
            history = model.fit(
                inputs.dataset_for(
                    model,
                    split.train,
                    batch_size=ROWS_BATCH if rows else PAIRS_BATCH,
                    seed=self.seed,
                ),
                epochs=ROWS_EPOCHS if rows else PAIRS_EPOCHS,
                verbose=0,
            )
            self._cache[name] = (model, history.history)
        return self._cache[name]


@pytest.fixture(scope="session")
def trained():
    return Trained()


# One fresh interpreter serves every check that needs one, since starting
# TensorFlow is the slow part. It first loads `.keras` files after
# `import rnr_keras` alone, then (two logical CPUs must be configured before
# TensorFlow initialises its devices) trains under a MirroredStrategy.
FRESH_SCRIPT = textwrap.dedent("""
    import contextlib, json, os, sys
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import keras
    import numpy as np
    import rnr_keras

    out = {"loaded": {}}
    folder = sys.argv[1]
    sys.path.insert(0, sys.argv[2])
    from tests import planted

    for file in sorted(os.listdir(folder)):
        model = keras.saving.load_model(os.path.join(folder, file))
        # The file carries no training data; the caller hands it back.
        model.adapt(planted.tiny_train())
        out["loaded"][file[: -len(".keras")]] = [
            type(model).__name__, model.score([0, 1, 2]).tolist()]

    from rnr_keras import inputs
    from rnr_keras.datasets import Interactions
    from rnr_keras.models import CDAE, RnRModel

    # 8 users with 3 items each, so both replicas see equal counts.
    users = np.repeat(np.arange(8), 3)
    items = (3 * users + np.tile(np.arange(3), 8)) % 12
    train = Interactions(users, items, ratings=items % 5 + 1,
                         num_users=8, num_items=12)
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    mirrored = out["mirrored"] = {"replicas": strategy.num_replicas_in_sync}

    def fit(make, distributed=True, weights=None, **compile_args):
        keras.utils.set_random_seed(0)
        scope = strategy.scope() if distributed else contextlib.nullcontext()
        with scope:
            model = make().adapt(train)
            if weights is not None:
                model.set_weights(weights)
            model.compile(**compile_args)
        before = model.get_weights()
        history = model.fit(
            inputs.dataset_for(model, train, batch_size=8, shuffle=False),
            epochs=1, verbose=0).history
        change = max(float(np.abs(a - b).max())
                     for a, b in zip(model.get_weights(), before))
        scores = model.score(np.arange(8))
        return model, before, {
            "loss": history["loss"], "rank_loss": history["rank_loss"],
            "change": change, "finite": bool(np.isfinite(scores).all())}

    def run(name, fn):
        try:
            mirrored[name] = fn()
        except Exception as error:
            lines = [l for l in str(error).splitlines() if "Trying to" in l]
            message = (lines or [str(error)])[0][:300]
            mirrored[name] = {"error": type(error).__name__ + ": " + message}

    rnr = lambda: RnRModel(8, 12, embedding_dim=4, l2=0.01)
    cdae = lambda: CDAE(8, 12, embedding_dim=4, l2=0.01, corruption=0.0)
    run("rnr_bpr", lambda: fit(rnr)[2])
    # As if the training set were large: the default compile then uses XLA.
    from rnr_keras.models import multi_task_model
    multi_task_model.JIT_MIN_INTERACTIONS = 1
    run("rnr_bpr_large", lambda: fit(rnr)[2])

    def cdae_step():
        sgd = lambda: keras.optimizers.SGD(0.5)
        reference, start, ref = fit(cdae, distributed=False, optimizer=sgd())
        model, _, result = fit(cdae, weights=start, optimizer=sgd())
        result["weight_diff"] = max(
            float(np.abs(a - b).max())
            for a, b in zip(reference.get_weights(), model.get_weights()))
        result["reference_change"] = ref["change"]
        result["reference_loss"] = ref["loss"]
        return result

    run("cdae", cdae_step)
    print("RESULT" + json.dumps(out))
    """)


ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def saved_models():
    """One adapted model of every zoo class (and head options) by name."""
    from rnr_keras.layers import CDAERanker
    from rnr_keras.models import MultiTaskModel
    from rnr_keras.models import Popularity

    return {
        "popularity": Popularity(num_users=3, num_items=5),
        "bpr": BPR(num_users=3, num_items=5, embedding_dim=2),
        "svd": SVD(num_users=3, num_items=5, embedding_dim=2),
        "cdae": CDAE(num_users=3, num_items=5, embedding_dim=2, corruption=0.3),
        "vanilla": VanillaModel(num_users=3, num_items=5, embedding_dim=2),
        "rnr": RnRModel(
            num_users=3,
            num_items=5,
            embedding_dim=2,
            ranker=CDAERanker(corruption=0.5, hidden_activation="tanh"),
        ),
        "multi": MultiTaskModel(
            num_users=3,
            num_items=5,
            ranker="bpr",
            rater="svd",
            embedding_dim=2,
            post_consumption=True,
            alpha=0.5,
        ),
    }


@pytest.fixture(scope="session")
def fresh_interpreter(tmp_path_factory):
    """`{"saved", "loaded", "mirrored"}` from one run of `FRESH_SCRIPT`.

    "saved": name -> (class name, scores of users 0-2) in this process;
    "loaded": the same read back from the `.keras` files in the fresh one.
    """
    folder = tmp_path_factory.mktemp("saved")
    saved = {}
    for name, model in saved_models().items():
        model.adapt(planted.tiny_train())
        model.save(os.path.join(str(folder), f"{name}.keras"))
        saved[name] = [type(model).__name__, model.score([0, 1, 2]).tolist()]
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", KERAS_BACKEND="tensorflow")
    proc = subprocess.run(
        [sys.executable, "-c", FRESH_SCRIPT, str(folder), ROOT],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=str(folder),
        env=env,
    )
    lines = [l for l in proc.stdout.splitlines() if l.startswith("RESULT")]
    assert proc.returncode == 0 and lines, proc.stderr[-3000:]
    result = json.loads(lines[-1][len("RESULT") :])
    result["saved"] = saved
    return result
