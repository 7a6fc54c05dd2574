import pytest

from rnr_keras import training
from rnr_keras.tuning import HYPERMODELS
from rnr_keras.tuning import RecommenderHyperModel
from rnr_keras.tuning import RnRHyperModel
from rnr_keras.tuning import VanillaHyperModel
from rnr_keras.tuning import hypermodel_for


def test_every_zoo_model_has_a_hypermodel():
    assert list(HYPERMODELS) == list(training.MODELS)


@pytest.mark.parametrize("name", list(training.MODELS))
def test_hypermodel_for(name, tiny_split):
    hypermodel = hypermodel_for(name, tiny_split, epochs=7, seed=2)
    assert isinstance(hypermodel, RecommenderHyperModel)
    assert hypermodel.name == name
    assert hypermodel.model_class is training.MODELS[name][0]
    assert (hypermodel.epochs, hypermodel.seed) == (7, 2)


def test_ranker_argument(tiny_split):
    assert VanillaHyperModel(tiny_split, ranker="cdae").name == "vanilla-cdae-svd"
    assert RnRHyperModel(tiny_split).name == "rnr-bpr-svd"
    with pytest.raises(ValueError, match="ranker"):
        RnRHyperModel(tiny_split, ranker="svd")


def test_unknown_name(tiny_split):
    with pytest.raises(ValueError, match="Unknown model 'nope'"):
        hypermodel_for("nope", tiny_split)
