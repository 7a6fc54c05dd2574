import pytest

from rnr_keras import registry
from rnr_keras.tuning import RecommenderHyperModel
from rnr_keras.tuning import hypermodel_for


@pytest.mark.parametrize("name", registry.model_names())
def test_every_model_name_has_the_one_hypermodel(name, tiny_split):
    hypermodel = hypermodel_for(name, tiny_split, epochs=7, seed=2)
    assert type(hypermodel) is RecommenderHyperModel
    assert hypermodel.name == name
    assert hypermodel.model_class is registry.spec(name).model_class
    assert (hypermodel.epochs, hypermodel.seed) == (7, 2)
    assert hypermodel.trainable == registry.spec(name).trainable


def test_space_comes_from_the_registration(tiny_split):
    wide = hypermodel_for("rnr-cdae-svd", tiny_split, space="wide").search_space()
    cdae = registry.algorithm("cdae").space["wide"]
    assert wide["corruption"] == cdae["corruption"]
    # Generic entries apply only where the model takes the argument.
    assert "alpha" not in hypermodel_for("bpr", tiny_split).search_space()
    assert "activation" not in hypermodel_for(
        "vanilla-bpr-svd", tiny_split, space="wide"
    ).search_space()


def test_unknown_name(tiny_split):
    with pytest.raises(ValueError, match="Unknown model 'nope'"):
        hypermodel_for("nope", tiny_split)
