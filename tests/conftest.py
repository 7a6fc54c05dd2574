import gc
import os

import pytest

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


# keras.utils.clear_session() runs gc.collect(), which walks TensorFlow's
# large heap every time (0.4-0.7 s a test); moving what exists after the
# import into the permanent generation makes it take milliseconds.
gc.freeze()


def pytest_addoption(parser):
    parser.addoption(
        "--run-large",
        action="store_true",
        default=False,
        help="Also run tests marked `large` (slow: real-data training).",
    )


def pytest_collection_modifyitems(config, items):
    if config.getoption("--run-large"):
        return
    skip = pytest.mark.skip(reason="large test: pass --run-large to run it")
    for item in items:
        if "large" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def real_data_dir():
    """`$RNR_DATA_DIR`, or skip when it is unset (CI sets it)."""
    path = os.environ.get("RNR_DATA_DIR")
    if not path:
        pytest.skip("RNR_DATA_DIR is not set")
    return path
