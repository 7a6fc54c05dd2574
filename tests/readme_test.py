"""README.md says what the code does: its model table is the registry's."""

import os
import re

from rnr_keras import registry

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _readme():
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as file:
        return file.read()


def test_model_table_is_the_registry_table():
    found = re.search(
        r"<!-- registry table: start -->\n(.*?)\n<!-- registry table: end -->",
        _readme(),
        flags=re.S,
    )
    assert found, "README.md lost its registry table markers"
    assert found.group(1).strip() == registry.markdown_table().strip(), (
        "Update README.md's table from rnr_keras.registry.markdown_table()"
    )


def test_readme_test_command_is_what_ci_runs():
    with open(os.path.join(ROOT, ".ci", "run"), encoding="utf-8") as file:
        ci = file.read()
    command = ci.strip().splitlines()[-1].strip()
    assert command in _readme()
