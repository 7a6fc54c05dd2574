"""CONTRIBUTING.md's "how to add a model" example works as written."""

import json
import os
import re

import keras
import numpy as np
import pytest

from rnr_keras import registry

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TINY = ["--dataset-arg", "num_users=60", "--dataset-arg", "num_items=40"]


def _example_code():
    with open(os.path.join(ROOT, "CONTRIBUTING.md"), encoding="utf-8") as file:
        text = file.read()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert len(blocks) == 1, "CONTRIBUTING.md should hold one Python example"
    return blocks[0]


@pytest.fixture(scope="module")
def toy():
    namespace = {"__name__": "contributing_example"}
    exec(compile(_example_code(), "CONTRIBUTING.md", "exec"), namespace)
    yield namespace
    registry.unregister("toy")


def test_the_toy_ranker_is_registered_and_composes(toy):
    assert "toy" in registry.names("ranker")
    for name in ("toy", "vanilla-toy-svd", "rnr-toy-svd", "rnr-toy-svdpp"):
        assert registry.is_model_name(name)
    assert registry.label("rnr-toy-svd") == "RnR(Toy,SVD)"
    model = registry.build_model("rnr-toy-svd", 3, 4, embedding_dim=2)
    assert type(model.ranker) is toy["ToyRanker"]


@pytest.mark.parametrize("name", ["toy", "rnr-toy-svd"])
def test_the_toy_trains_through_the_command_line(toy, name, tmp_path):
    from rnr_keras.cli import main

    out = tmp_path / name
    status = main(
        ["train", name, *TINY, "--epochs", "2", "--quiet", "--out", str(out)]
    )
    assert status == 0
    record = json.loads((out / "metrics.json").read_text())
    assert record["model"] == name
    assert 0.0 <= record["test"]["recall@10"] <= 1.0
    loaded = keras.saving.load_model(str(out / "model.keras"))
    assert type(loaded).__name__ == ("Toy" if name == "toy" else "RnRModel")
    assert np.isfinite(loaded.score([0, 1])).all()
