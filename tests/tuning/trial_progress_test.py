"""What drives the progress bar: the planned trial count and a callback
per finished trial (searches stubbed, nothing trains)."""

import pytest

from rnr_keras.tuning import make_tuner
from rnr_keras.tuning import planned_trials
from rnr_keras.tuning import search as search_module
from tests.test_case import TestCase
from tests.tuning.stubs import fake_score
from tests.tuning.stubs import stub_hypermodel


class TestPlannedTrials(TestCase):
    @pytest.mark.parametrize(
        "name, cells",
        [("rnr-bpr-svd", 6), ("bpr", 2), ("popularity", 1), ("cdae", 2)],
    )
    def test_grid_runs_what_was_planned(self, name, cells, tiny_split, tmp_path):
        assert planned_trials(name, tiny_split) == cells
        hypermodel = stub_hypermodel(name, tiny_split)
        assert hypermodel.grid_size() == cells
        make_tuner(hypermodel, "grid", directory=tmp_path).search()
        assert len(hypermodel.runs) == cells

    def test_wide_space_counts_the_learning_rate(self, tiny_split):
        paper = planned_trials("bpr", tiny_split, space="paper")
        wide = stub_hypermodel("bpr", tiny_split, space="wide")
        assert wide.grid_size() > paper
        assert wide.grid_size() % 5 == 0  # five learning rates

    def test_max_trials_and_sampled_searches(self, tiny_split):
        assert planned_trials("rnr-bpr-svd", tiny_split, max_trials=4) == 4
        assert planned_trials("rnr-bpr-svd", tiny_split, max_trials=40) == 6
        assert planned_trials("rnr-bpr-svd", tiny_split, "random") == 6
        assert (
            planned_trials("rnr-bpr-svd", tiny_split, "random", space="wide")
            == search_module.DEFAULT_MAX_TRIALS
        )
        assert planned_trials("bpr", tiny_split, "hyperband") is None


class TestOnTrial(TestCase):
    def test_called_once_per_trial_with_its_score(self, tiny_split, tmp_path):
        hypermodel = stub_hypermodel("rnr-bpr-svd", tiny_split)
        tuner = make_tuner(hypermodel, "grid", directory=tmp_path)
        seen = []
        search_module._listen(tuner, seen.append)
        tuner.search()
        assert len(seen) == 6
        assert [r["trial_id"] for r in seen] == sorted(tuner.oracle.trials)
        for record in seen:
            assert record["status"] == "COMPLETED" and not record["resumed"]
            assert record["val_recall_at_10"] == pytest.approx(
                fake_score(record["hyperparameters"])
            )

    def test_a_resumed_search_reports_its_earlier_trials_first(
        self, tiny_split, tmp_path
    ):
        first = stub_hypermodel("rnr-bpr-svd", tiny_split, interrupt_at=3)
        with pytest.raises(KeyboardInterrupt):
            make_tuner(first, "grid", directory=tmp_path).search()
        second = stub_hypermodel("rnr-bpr-svd", tiny_split)
        tuner = make_tuner(second, "grid", directory=tmp_path)
        seen = []
        search_module._listen(tuner, seen.append)
        tuner.search()
        resumed = [record["resumed"] for record in seen]
        assert resumed == [True, True, False, False, False, False]
        assert len({record["trial_id"] for record in seen}) == 6
