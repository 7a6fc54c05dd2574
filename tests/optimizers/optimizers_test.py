import keras
import pytest

from rnr_keras import optimizers


class TestGet:
    def test_presets(self):
        paper = optimizers.get("paper")
        assert isinstance(paper, keras.optimizers.Adagrad)
        assert float(paper.learning_rate) == pytest.approx(0.001)
        assert isinstance(optimizers.get("default"), keras.optimizers.Adam)
        # A fresh optimizer each time: presets never share state.
        assert optimizers.get("default") is not optimizers.get("default")

    def test_keras_identifiers_and_instances(self):
        assert isinstance(optimizers.get("sgd"), keras.optimizers.SGD)
        lazy = optimizers.LazyAdam()
        assert optimizers.get(lazy) is lazy

    def test_unknown_name(self):
        with pytest.raises(ValueError, match="nonsense"):
            optimizers.get("nonsense")
