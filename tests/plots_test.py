import io

import numpy as np
import pytest
from matplotlib import image

from rnr_keras import plots
from rnr_keras.datasets import Interactions
from rnr_keras.datasets import synthetic

PNG = b"\x89PNG\r\n\x1a\n"


def _pixels(png):
    return image.imread(io.BytesIO(png), format="png")


def test_training_curves_png():
    history = {
        "loss": [1.0, 0.8, 0.7],
        "rank_loss": [0.9, 0.7, 0.6],
        "val_recall_at_10": [0.1, 0.2, 0.15],
        "val_mrr_at_10": [0.03, 0.06, 0.05],
    }
    png = plots.training_curves(history, best_epoch=2, title="BPR")
    assert png.startswith(PNG)
    height, width, _ = _pixels(png).shape
    assert width > height > 100
    # The chosen epoch's marker is drawn (in its own colour, #aa3377).
    unmarked = _pixels(plots.training_curves(history))
    marker = np.array([0xAA, 0x33, 0x77]) / 255
    def has_marker(pixels):
        return bool((np.abs(pixels[..., :3] - marker).max(axis=-1) < 0.05).any())
    assert has_marker(_pixels(png)) and not has_marker(unmarked)


def test_training_curves_need_epochs():
    with pytest.raises(ValueError, match="no epochs"):
        plots.training_curves({})
    with pytest.raises(ValueError, match="no epochs"):
        plots.training_curves({"loss": []})


def test_data_figure_png():
    png = plots.data_figure(synthetic(num_users=80, num_items=40, seed=0))
    assert png.startswith(PNG) and _pixels(png).shape[1] > 500


def test_data_figure_of_a_tiny_dataset():
    data = Interactions(users=[0, 0, 1], items=[0, 1, 1])
    assert plots.data_figure(data).startswith(PNG)
