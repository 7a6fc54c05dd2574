import logging

import pytest

from rnr_keras import datasets
from rnr_keras import job_estimate
from rnr_keras import protocol
from rnr_keras import tuning


@pytest.fixture(scope="module")
def split():
    data = datasets.synthetic(num_users=60, num_items=40, seed=0)
    return protocol.all_but_last_one(data, seed=0)


def test_total_is_trials_times_epochs_times_measured_costs(split):
    estimate = job_estimate.estimate_job(
        ("popularity", "bpr"), split, seeds=3, epochs=100, patience=4
    )
    bpr = estimate["models"]["bpr"]
    assert bpr["trials"] == tuning.planned_trials("bpr", split)
    # patience 4, best epoch after about another 4: 8 epochs a trial.
    assert bpr["epochs"] == 8
    assert bpr["epoch_seconds"] > 0 and bpr["validation_seconds"] > 0
    assert bpr["seconds"] == pytest.approx(
        3 * bpr["trials"] * 8 * (bpr["epoch_seconds"] + bpr["validation_seconds"])
    )
    # Popularity is not trained by `fit`: one pass a trial.
    assert estimate["models"]["popularity"]["epochs"] == 1
    assert estimate["seconds"] == pytest.approx(
        sum(m["seconds"] for m in estimate["models"].values())
    )
    text = job_estimate.describe(estimate)
    assert "bpr:" in text and "Estimated total" in text


def test_epochs_are_capped_by_the_jobs_epochs(split):
    estimate = job_estimate.estimate_job(("bpr",), split, epochs=3)
    # BPR's default patience (30) would mean ~60 epochs; the job stops at 3.
    assert estimate["models"]["bpr"]["epochs"] == 3


def test_epoch_from_fits_separates_the_fixed_cost():
    # 1 s of set-up per fit and 0.1 s a batch: fits of 2 and 7 batches
    # take 1.2 s and 1.7 s; an epoch of 110 batches takes 1 + 11 s, not
    # 110 / 7 * 1.7 s (one fit scaled, its set-up 16 times over).
    epoch = job_estimate.epoch_from_fits(1.2, 1.7, 2, 7, 110)
    assert epoch == pytest.approx(12.0)
    # Noise that makes the longer fit faster gives no negative cost.
    assert job_estimate.epoch_from_fits(1.2, 1.1, 2, 7, 110) == pytest.approx(1.2)


def test_calibration_drops_only_retracing_warnings(split, monkeypatch, caplog):
    # The short calibration fits retrace on purpose; TensorFlow's warning
    # about it is dropped while the estimate runs, other warnings are not,
    # and the filter is gone afterwards.
    tensorflow_logger = logging.getLogger("tensorflow")
    retracing = "5 out of the last 13 calls to f triggered tf.function retracing."
    timed = job_estimate._time_epoch

    def time_epoch(model, train):
        tensorflow_logger.warning(retracing)
        tensorflow_logger.warning("something else")
        return timed(model, train)

    monkeypatch.setattr(job_estimate, "_time_epoch", time_epoch)
    with caplog.at_level(logging.WARNING, logger="tensorflow"):
        job_estimate.estimate_job(("bpr",), split, epochs=2)
        messages = [record.getMessage() for record in caplog.records]
        assert "something else" in messages and retracing not in messages
        tensorflow_logger.warning(retracing)
        assert caplog.records[-1].getMessage() == retracing
