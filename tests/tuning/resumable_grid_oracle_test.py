import keras_tuner
import pytest

from rnr_keras.tuning import ResumableGridOracle
from rnr_keras.tuning.search import objective
from tests.test_case import TestCase
from tests.tuning.stubs import stub_hypermodel


def _tuner(hypermodel, oracle, directory):
    return keras_tuner.Tuner(
        hypermodel=hypermodel, oracle=oracle, directory=directory
    )


class TestResumableGridOracle(TestCase):
    def test_same_order_as_keras_tuner_grid_search(self, tiny_split, tmp_path):
        ours = stub_hypermodel("rnr-cdae-svd", tiny_split)
        _tuner(ours, ResumableGridOracle(objective()), tmp_path / "a").search()
        theirs = stub_hypermodel("rnr-cdae-svd", tiny_split)
        oracle = keras_tuner.oracles.GridSearchOracle(objective())
        _tuner(theirs, oracle, tmp_path / "b").search()
        assert ours.runs == theirs.runs
        assert len(ours.runs) == 6
        # The first trial takes the defaults: the models' own.
        assert ours.runs[0] == {"embedding_dim": 50, "l2": 0.001, "alpha": 0.95}

    def test_empty_space_is_one_trial(self, tiny_split, tmp_path):
        hypermodel = stub_hypermodel("popularity", tiny_split)
        _tuner(hypermodel, ResumableGridOracle(objective()), tmp_path).search()
        assert hypermodel.runs == [{}]

    def test_conditional_hyperparameters_are_refused(self):
        oracle = ResumableGridOracle(objective())
        hp = keras_tuner.HyperParameters()
        hp.Choice("head", ["bpr", "cdae"])
        with hp.conditional_scope("head", ["cdae"]):
            hp.Choice("corruption", [0.0, 0.2])
        oracle.update_space(hp)
        with pytest.raises(ValueError, match="conditional"):
            oracle.populate_space("0")
