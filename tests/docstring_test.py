"""Every docstring example in the package runs (keras-hub's doc tests)."""

import doctest
import importlib
import pkgutil

import keras
import numpy as np
import pytest

import rnr_keras

# Modules whose import has side effects a doctest must not trigger.
SKIP = {"rnr_keras.__main__", "rnr_keras.cli.__main__"}


def _modules():
    names = ["rnr_keras"]
    for info in pkgutil.walk_packages(rnr_keras.__path__, "rnr_keras."):
        if info.name not in SKIP and ".presets" not in info.name:
            names.append(info.name)
    return sorted(names)


def _tests(name):
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    return [
        test
        for test in finder.find(module, name, globs={"np": np, **vars(module)})
        # Objects re-exported from another module are tested there.
        if test.examples and _defined_in(test, module)
    ]


def _defined_in(test, module):
    if test.filename is None:
        return True
    return test.filename == getattr(module, "__file__", None)


CASES = [
    pytest.param(test, id=test.name)
    for name in _modules()
    for test in _tests(name)
]


def test_there_are_docstring_examples():
    assert len(CASES) >= 20


@pytest.mark.parametrize("test", CASES)
def test_docstring_example(test):
    keras.utils.clear_session()
    keras.utils.set_random_seed(0)
    runner = doctest.DocTestRunner(
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    )
    output = []
    runner.run(test, out=output.append)
    failed, attempted = runner.summarize(verbose=False)
    assert failed == 0, "".join(output)
