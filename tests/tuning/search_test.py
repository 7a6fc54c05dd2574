import itertools
import json
import os

import keras_tuner
import pytest

from rnr_keras.models import RnRModel
from rnr_keras.tuning import hypermodel_for
from rnr_keras.tuning import make_tuner
from rnr_keras.tuning import trial_records
from rnr_keras.tuning import tune
from tests.test_case import TestCase
from tests.tuning.stubs import fake_score
from tests.tuning.stubs import stub_hypermodel

PAPER_MULTI_TASK = {
    "embedding_dim": [50],
    "l2": [0.01, 0.001],
    "alpha": [0.9, 0.95, 1.0],
}
GRIDS = {
    "rnr-cdae-svd": PAPER_MULTI_TASK,
    "vanilla-bpr-svd": PAPER_MULTI_TASK,
    "rnr-bpr-svd": PAPER_MULTI_TASK,
    "bpr": {"embedding_dim": [50], "l2": [0.01, 0.001]},
    "popularity": {},
}


def _combinations(grid):
    keys = sorted(grid)
    return {
        tuple(zip(keys, values))
        for values in itertools.product(*(grid[k] for k in keys))
    }


def _key(values):
    return tuple(sorted(values.items()))


class TestGridSearch(TestCase):
    @pytest.mark.parametrize(
        "name", ["rnr-cdae-svd", "vanilla-bpr-svd", "bpr", "popularity"]
    )
    def test_visits_every_combination_once_and_picks_the_max(
        self, name, tiny_split, tmp_path
    ):
        hypermodel = stub_hypermodel(name, tiny_split)
        tuner = make_tuner(hypermodel, "grid", directory=tmp_path)
        tuner.search()
        runs = [_key(values) for values in hypermodel.runs]
        assert len(runs) == len(set(runs)) == len(_combinations(GRIDS[name]))
        assert set(runs) == _combinations(GRIDS[name])

        best = tuner.get_best_hyperparameters(1)[0].values
        assert best == max(hypermodel.runs, key=fake_score)
        records = trial_records(tuner)
        assert len(records) == len(runs)
        for record in records:
            assert record["status"] == "COMPLETED"
            assert record["val_recall_at_10"] == pytest.approx(
                fake_score(record["hyperparameters"])
            )

    def test_max_trials_stops_early(self, tiny_split, tmp_path):
        hypermodel = stub_hypermodel("rnr-bpr-svd", tiny_split)
        make_tuner(hypermodel, "grid", max_trials=4, directory=tmp_path).search()
        assert len(hypermodel.runs) == 4

    def test_objective_is_val_recall_at_10_max(self, tiny_split, tmp_path):
        tuner = make_tuner(stub_hypermodel("bpr", tiny_split), directory=tmp_path)
        assert tuner.oracle.objective.name == "val_recall_at_10"
        assert tuner.oracle.objective.direction == "max"


class TestResume(TestCase):
    @pytest.mark.parametrize("interrupt_at", [1, 2, 4, 6])
    def test_grid_resumes_where_it_stopped(
        self, interrupt_at, tiny_split, tmp_path
    ):
        first = stub_hypermodel(
            "rnr-bpr-svd", tiny_split, interrupt_at=interrupt_at
        )
        with pytest.raises(KeyboardInterrupt):
            make_tuner(first, "grid", directory=tmp_path).search()
        assert len(first.runs) == interrupt_at - 1

        second = stub_hypermodel("rnr-bpr-svd", tiny_split)
        tuner = make_tuner(second, "grid", directory=tmp_path)
        tuner.search()
        done = {_key(values) for values in first.runs}
        rerun = {_key(values) for values in second.runs}
        assert not done & rerun  # finished trials are not run again
        assert len(second.runs) == 6 - len(first.runs)
        assert done | rerun == _combinations(GRIDS["rnr-bpr-svd"])
        records = trial_records(tuner)
        assert len(records) == 6
        assert all(record["status"] == "COMPLETED" for record in records)
        best = tuner.get_best_hyperparameters(1)[0].values
        assert best == max(first.runs + second.runs, key=fake_score)

        # A finished search resumed runs nothing.
        third = stub_hypermodel("rnr-bpr-svd", tiny_split)
        make_tuner(third, "grid", directory=tmp_path).search()
        assert third.runs == []

    def test_grid_resumes_a_search_stopped_between_trials(
        self, tiny_split, tmp_path
    ):
        first = stub_hypermodel("rnr-bpr-svd", tiny_split)
        make_tuner(first, "grid", max_trials=2, directory=tmp_path).search()
        second = stub_hypermodel("rnr-bpr-svd", tiny_split)
        make_tuner(second, "grid", directory=tmp_path).search()
        assert len(second.runs) == 4
        runs = {_key(values) for values in first.runs + second.runs}
        assert runs == _combinations(GRIDS["rnr-bpr-svd"])

    @pytest.mark.parametrize("kind", ["random", "bayesian"])
    def test_sampled_search_resumes(self, kind, tiny_split, tmp_path):
        first = stub_hypermodel(
            "rnr-cdae-svd", tiny_split, space="wide", interrupt_at=3
        )
        with pytest.raises(KeyboardInterrupt):
            make_tuner(first, kind, max_trials=5, directory=tmp_path).search()
        second = stub_hypermodel("rnr-cdae-svd", tiny_split, space="wide")
        tuner = make_tuner(second, kind, max_trials=5, directory=tmp_path)
        tuner.search()
        assert len(first.runs) == 2 and len(second.runs) == 3
        runs = {_key(values) for values in first.runs + second.runs}
        assert len(runs) == 5
        assert len(trial_records(tuner)) == 5

    def test_other_settings_are_refused(self, tiny_split, tmp_path):
        make_tuner(stub_hypermodel("bpr", tiny_split), directory=tmp_path).search()
        project = tmp_path / "bpr-grid-paper"
        settings = json.loads((project / "rnr_settings.json").read_text())
        assert settings["epochs"] == 100
        assert settings["split"]["train"] == len(tiny_split.train)

        changed = stub_hypermodel("bpr", tiny_split, epochs=5)
        with pytest.raises(ValueError, match=r"epochs=100 \(now 5\)"):
            make_tuner(changed, directory=tmp_path)
        make_tuner(changed, directory=tmp_path, overwrite=True).search()
        assert len(changed.runs) == 2


class TestOtherTuners(TestCase):
    @pytest.mark.parametrize("kind", ["random", "bayesian"])
    def test_max_trials(self, kind, tiny_split, tmp_path):
        hypermodel = stub_hypermodel("rnr-cdae-svd", tiny_split, space="wide")
        tuner = make_tuner(hypermodel, kind, max_trials=3, directory=tmp_path)
        assert isinstance(tuner.oracle.objective, keras_tuner.Objective)
        tuner.search()
        runs = [_key(values) for values in hypermodel.runs]
        assert len(runs) == len(set(runs)) == 3
        assert os.path.isdir(tmp_path / f"rnr-cdae-svd-{kind}-wide")

    def test_hyperband_sets_its_own_trials(self, tiny_split, tmp_path):
        hypermodel = stub_hypermodel("bpr", tiny_split)
        with pytest.raises(ValueError, match="max_trials"):
            make_tuner(hypermodel, "hyperband", max_trials=3, directory=tmp_path)
        tuner = make_tuner(hypermodel, "hyperband", directory=tmp_path)
        assert tuner.oracle.max_epochs == hypermodel.epochs

    def test_unknown_tuner(self, tiny_split, tmp_path):
        with pytest.raises(ValueError, match="tuner"):
            make_tuner(stub_hypermodel("bpr", tiny_split), "sgd", directory=tmp_path)


class TestTune(TestCase):
    def test_tiny_real_search(self, tiny_split, tmp_path):
        # The first 3 cells of the paper grid (alpha at l2 = 0.001); one
        # batch per epoch, so each trial compiles its step once (the
        # compilation is most of a tiny trial's time).
        settings = {"epochs": 2, "batch_size": 4096}
        results, model = tune(
            "rnr-bpr-svd",
            tiny_split,
            max_trials=3,
            directory=tmp_path,
            return_model=True,
            **settings,
        )
        json.dumps(results)  # results.json material
        assert results["model"] == "rnr-bpr-svd"
        assert results["label"] == "RnR(BPR,SVD)"
        trials = results["trials"]
        assert [trial["hyperparameters"] for trial in trials] == [
            {"embedding_dim": 50, "l2": 0.001, "alpha": alpha}
            for alpha in (0.95, 0.9, 1.0)
        ]
        best = max(trials, key=lambda trial: trial["val_recall_at_10"])
        assert results["best_hyperparameters"] == best["hyperparameters"]
        assert results["best_trial"] == best["trial_id"]
        for trial in trials:
            assert trial["status"] == "COMPLETED"
            assert 1 <= trial["best_epoch"] <= 2

        # The retrained winner: same hyperparameters, same seed, tested.
        assert isinstance(model, RnRModel)
        assert model.alpha == results["best_hyperparameters"]["alpha"]
        assert model.l2 == results["best_hyperparameters"]["l2"]
        expected = {"recall@10", "mrr@10", "ndcg@10"}
        if model.trains_rater:  # alpha = 1 leaves the rater untrained
            expected.add("rmse")
        assert set(results["val"]) >= expected
        assert set(results["test"]) >= expected
        assert results["epochs"] == 2 and results["train_seconds"] > 0
        assert results["val"]["recall@10"] == pytest.approx(
            best["val_recall_at_10"], abs=2 / len(tiny_split.val)
        )

        # The best trial's checkpoint loads into a freshly built model.
        hypermodel = hypermodel_for("rnr-bpr-svd", tiny_split, **settings)
        reloaded = make_tuner(hypermodel, directory=tmp_path)
        saved = reloaded.get_best_models(1)[0]
        assert hypermodel.validation_metrics(saved)[
            "val_recall_at_10"
        ] == pytest.approx(best["val_recall_at_10"])
