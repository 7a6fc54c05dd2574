"""Shared test helpers: a clean Keras session, serialization checks."""

import json
import os

import keras
import numpy as np


class TestCase:
    """Base class for tests: clears the Keras session around every test."""

    def setup_method(self, method):
        keras.utils.clear_session()
        keras.utils.set_random_seed(1337)

    def run_serialization_test(self, instance):
        """Config -> from_config -> config is the same JSON, same class."""
        config = instance.get_config()
        json.dumps(config)  # must be JSON-serializable
        revived = instance.__class__.from_config(config)
        assert type(revived) is type(instance)
        assert json.dumps(revived.get_config(), sort_keys=True) == json.dumps(
            config, sort_keys=True
        )
        serialized = keras.saving.serialize_keras_object(instance)
        rebuilt = keras.saving.deserialize_keras_object(serialized)
        assert type(rebuilt) is type(instance)
        return revived

    def run_model_saving_test(self, model, tmp_path, outputs_fn):
        """`.keras` save + load: same class, `outputs_fn` gives same values.

        The file carries no training data: the loaded model has none (and
        no `history_size` in its config) until it is given the model's
        data back with `adapt`, which must change no loaded weight.
        """
        path = os.path.join(str(tmp_path), "model.keras")
        model.save(path)
        loaded = keras.saving.load_model(path)
        assert type(loaded) is type(model)
        assert loaded.interaction_history is None
        assert "history_size" not in loaded.get_config()
        train = getattr(model, "training_interactions", None)
        if train is not None:
            before = [np.array(v) for v in loaded.weights]
            loaded.adapt(train)
            for variable, old in zip(loaded.weights, before):
                np.testing.assert_array_equal(np.array(variable), old)
        np.testing.assert_allclose(
            np.asarray(outputs_fn(loaded)),
            np.asarray(outputs_fn(model)),
            rtol=1e-6,
            atol=1e-6,
        )
        return loaded
