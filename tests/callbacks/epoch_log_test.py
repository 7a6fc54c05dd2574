import logging

from rnr_keras import training
from rnr_keras.callbacks import EpochLog
from rnr_keras.datasets import synthetic
from rnr_keras.protocol import all_but_last_one
from tests.test_case import TestCase


class TestEpochLog(TestCase):
    def test_line(self):
        line = EpochLog("SVD").line(
            0, 3, 0.5, {"loss": 1.23456, "val_recall_at_10": 0.25, "note": "x"}
        )
        assert line == "SVD epoch 1/3 (0.5 s): loss 1.2346, val_recall_at_10 0.2500"

    def test_fit_model_logs_one_line_per_epoch(self, caplog):
        data = synthetic(num_users=60, num_items=30, seed=0)
        split = all_but_last_one(data, n_users=60, seed=0)
        model = training.build_model("bpr", 60, 30, embedding_dim=4)
        with caplog.at_level(logging.INFO, logger="rnr_keras.training"):
            fit = training.fit_model(model, split, epochs=3, patience=5, verbose=0)
        lines = [r.getMessage() for r in caplog.records
                 if r.name == "rnr_keras.training"]
        assert len(lines) == fit["epochs"] == 3
        assert lines[2].startswith("BPR epoch 3/3 (")
        assert "val_recall_at_10" in lines[2]

    def test_silent_logger_formats_nothing(self):
        logger = logging.getLogger("rnr_keras.test.silent")
        logger.setLevel(logging.WARNING)
        callback = EpochLog(logger=logger)
        callback.line = None  # would fail if called
        callback.on_epoch_begin(0)
        callback.on_epoch_end(0, {"loss": 1.0})

    def test_config_round_trip(self):
        revived = self.run_serialization_test(EpochLog("BPR"))
        assert revived.label == "BPR"
