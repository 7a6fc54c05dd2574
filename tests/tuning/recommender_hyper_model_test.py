import math

import keras
import keras_tuner
import pytest
from keras_tuner.src.engine import tuner_utils

from rnr_keras import optimizers
from rnr_keras import registry
from rnr_keras import training
from rnr_keras.tuning import RecommenderHyperModel
from rnr_keras.tuning import hypermodel_for
from rnr_keras.tuning import model_hyperparameters
from rnr_keras.tuning.search import objective
from tests.test_case import TestCase

MULTI_TASK = ["vanilla-bpr-svd", "vanilla-cdae-svd", "rnr-bpr-svd", "rnr-cdae-svd"]
SINGLE_TASK = ["svd", "bpr", "cdae"]
CDAE_RANKED = ["cdae", "vanilla-cdae-svd", "rnr-cdae-svd"]

L2_WIDE = [0.0001, 0.0003, 0.001, 0.003, 0.01]
ALPHA_WIDE = [0.5, 0.75, 0.8, 0.9, 0.95, 1.0]


def _space(hypermodel):
    """`{name: [values]}` of the hyperparameters `build` declares."""
    hp = keras_tuner.HyperParameters()
    hypermodel.build(hp)
    return {p.name: list(p.values) for p in hp.space}


def _config_value(config, key):
    """`key` from a model config, or from its nested CDAE ranker's."""
    if key in config:
        return config[key]
    return config["ranker"]["config"][key]


def _without_names(config):
    """A config without layer names (they differ between two builds)."""
    if isinstance(config, dict):
        return {k: _without_names(v) for k, v in config.items() if k != "name"}
    return config


class TestPaperSpace(TestCase):
    @pytest.mark.parametrize("name", MULTI_TASK)
    def test_multi_task_is_alpha_by_l2(self, name, tiny_split):
        space = _space(hypermodel_for(name, tiny_split))
        assert space == {
            "embedding_dim": [50],
            "l2": [0.01, 0.001],
            "alpha": [0.9, 0.95, 1.0],
        }
        assert math.prod(len(v) for v in space.values()) == 6

    @pytest.mark.parametrize("name", SINGLE_TASK)
    def test_single_task_is_l2(self, name, tiny_split):
        space = _space(hypermodel_for(name, tiny_split))
        assert space == {"embedding_dim": [50], "l2": [0.01, 0.001]}

    def test_popularity_is_empty(self, tiny_split):
        assert _space(hypermodel_for("popularity", tiny_split)) == {}

    @pytest.mark.parametrize("name", registry.model_names())
    def test_defaults_are_the_models_defaults(self, name, tiny_split):
        hypermodel = hypermodel_for(name, tiny_split)
        hp = keras_tuner.HyperParameters()
        tuned = hypermodel.build(hp).get_config()
        keras.utils.clear_session()
        plain = registry.build_model(
            name, tiny_split.num_users, tiny_split.num_items
        ).get_config()
        for key in hp.values:
            assert _config_value(tuned, key) == _config_value(plain, key)


class TestWideSpace(TestCase):
    def test_rnr_cdae_has_every_option(self, tiny_split):
        space = _space(hypermodel_for("rnr-cdae-svd", tiny_split, space="wide"))
        assert space == {
            "embedding_dim": [32, 50, 64, 128],
            "l2": L2_WIDE,
            "alpha": ALPHA_WIDE,
            "activation": ["tanh", "relu", "sigmoid"],
            "corruption": [0.0, 0.1, 0.2, 0.3, 0.4, 0.5],
            "hidden_activation": ["sigmoid", "tanh", "relu", "identity"],
            "learning_rate": [0.0005, 0.001, 0.002, 0.005, 0.01],
        }

    @pytest.mark.parametrize(
        "name, extra",
        [
            ("svd", []),
            ("bpr", []),
            ("cdae", ["corruption", "hidden_activation"]),
            ("vanilla-bpr-svd", ["alpha"]),
            ("vanilla-cdae-svd", ["alpha", "corruption", "hidden_activation"]),
            ("rnr-bpr-svd", ["alpha", "activation"]),
        ],
    )
    def test_names(self, name, extra, tiny_split):
        space = _space(hypermodel_for(name, tiny_split, space="wide"))
        assert sorted(space) == sorted(
            ["embedding_dim", "l2", "learning_rate", *extra]
        )

    def test_popularity_stays_empty(self, tiny_split):
        assert _space(hypermodel_for("popularity", tiny_split, space="wide")) == {}


class TestBuild(TestCase):
    @pytest.mark.parametrize("name", registry.model_names())
    def test_names_are_constructor_arguments(self, name, tiny_split):
        # `build_model` hands a composed model's head options to its heads.
        accepted = set(registry.spec(name).constructor_arguments())
        if name in CDAE_RANKED:
            assert {"corruption", "hidden_activation"} <= accepted
        space = _space(hypermodel_for(name, tiny_split, space="wide"))
        assert set(space) - {"learning_rate"} <= accepted

    @pytest.mark.parametrize("name", registry.model_names())
    def test_model_has_the_values_and_rebuilds(self, name, tiny_split):
        hypermodel = hypermodel_for(name, tiny_split, space="wide")
        hp = keras_tuner.HyperParameters()
        hypermodel.build(hp)
        # The last value of each: none is a constructor default.
        for p in hp.space:
            hp.values[p.name] = list(p.values)[-1]
        model = hypermodel.build(hp)
        config = model.get_config()
        values = model_hyperparameters(hp.values)
        for key, value in values.items():
            assert _config_value(config, key) == value, key
        # Built adapted (compile picks XLA by the data's size), but the
        # data is not in the config.
        assert len(model.interaction_history) == len(tiny_split.train)

        rebuilt = registry.build_model(
            name, tiny_split.num_users, tiny_split.num_items, **values
        )
        assert _without_names(rebuilt.get_config()) == _without_names(config)

        if not registry.spec(name).trainable:
            assert getattr(model, "optimizer", None) is None
        else:
            assert type(model.optimizer) is type(optimizers.get("default"))
            assert float(model.optimizer.learning_rate) == pytest.approx(0.01)

    @pytest.mark.parametrize("name", ["bpr", "cdae", "svd"])
    def test_paper_space_compiles_the_models_default(self, tiny_split, name):
        model = hypermodel_for(name, tiny_split).build(
            keras_tuner.HyperParameters()
        )
        assert type(model.optimizer) is type(optimizers.get("default"))
        # Each model's own default rate: 0.002 BPR, 0.005 CDAE and SVD.
        assert float(model.optimizer.learning_rate) == pytest.approx(
            model.default_learning_rate
        )
        assert model.default_learning_rate == (0.002 if name == "bpr" else 0.005)

    def test_paper_optimizer_preset_takes_the_learning_rate(self, tiny_split):
        hypermodel = hypermodel_for(
            "svd", tiny_split, space="wide", optimizer="paper"
        )
        hp = keras_tuner.HyperParameters()
        hp.values["learning_rate"] = 0.005
        model = hypermodel.build(hp)
        assert isinstance(model.optimizer, keras.optimizers.Adagrad)
        assert float(model.optimizer.learning_rate) == pytest.approx(0.005)

    def test_same_hyperparameters_same_initial_weights(self, tiny_split):
        hypermodel = hypermodel_for("rnr-bpr-svd", tiny_split, seed=3)
        first = hypermodel.build(keras_tuner.HyperParameters()).get_weights()
        keras.utils.clear_session()
        second = hypermodel.build(keras_tuner.HyperParameters()).get_weights()
        for a, b in zip(first, second):
            assert (a == b).all()


class TestFit(TestCase):
    def test_objective_is_the_best_epoch_and_callbacks_see_it(self, tiny_split):
        class Recorder(keras.callbacks.Callback):
            seen = []

            def on_epoch_end(self, epoch, logs=None):
                self.seen.append(logs.get(training.MONITOR))

        hypermodel = hypermodel_for(
            "bpr", tiny_split, epochs=3, patience=5, batch_size=4096
        )
        hp = keras_tuner.HyperParameters()
        model = hypermodel.build(hp)
        history = hypermodel.fit(hp, model, callbacks=[Recorder()])
        values = history.history[training.MONITOR]
        assert len(values) == 3
        assert Recorder.seen == values  # the tuner's callbacks see it
        metrics = tuner_utils.convert_to_metrics_dict(history, objective())
        assert metrics[training.MONITOR] == max(values)

    def test_popularity_returns_validation_metrics(self, tiny_split):
        hypermodel = hypermodel_for("popularity", tiny_split)
        hp = keras_tuner.HyperParameters()
        results = hypermodel.fit(hp, hypermodel.build(hp))
        assert set(results) == {
            "val_recall_at_10", "val_mrr_at_10", "val_ndcg_at_10"
        }
        assert 0.0 < results["val_recall_at_10"] <= 1.0

    def test_search_takes_no_data(self, tiny_split):
        hypermodel = hypermodel_for("bpr", tiny_split)
        hp = keras_tuner.HyperParameters()
        with pytest.raises(ValueError, match="takes no data"):
            hypermodel.fit(hp, hypermodel.build(hp), tiny_split.train)


class TestArguments:
    @pytest.mark.parametrize(
        "kwargs, match",
        [
            ({"space": "huge"}, "space"),
            ({"epochs": 0}, "epochs"),
            ({"patience": -1}, "patience"),
            ({"batch_size": 0}, "batch_size"),
            ({"optimizer": "sgd"}, "optimizer"),
        ],
    )
    def test_bad_arguments(self, kwargs, match, tiny_split):
        with pytest.raises(ValueError, match=match):
            hypermodel_for("bpr", tiny_split, **kwargs)

    def test_unknown_model(self, tiny_split):
        with pytest.raises(ValueError, match="Unknown model"):
            RecommenderHyperModel("nope", tiny_split)
