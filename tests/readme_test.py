"""README.md says what the code does: its model table is the registry's,
its test command is what CI runs, and its Python examples run (on the
embedded data, with warnings as errors)."""

import os
import re
import subprocess
import sys

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


def _python_block(after_heading):
    """The first ```python block after the line `after_heading`."""
    text = _readme()
    start = text.index(after_heading + "\n")
    found = re.search(r"```python\n(.*?)```", text[start:], flags=re.S)
    assert found, f"README.md has no Python example after {after_heading!r}"
    return found.group(1)


def _substitute(code, replacements):
    for old, new in replacements:
        assert code.count(old) == 1, (
            f"README's example changed: {old!r} is not in it exactly once; "
            "update tests/readme_test.py"
        )
        code = code.replace(old, new)
    return code


#: Run after the imports, before the example: any warning fails.
_STRICT = """\
import warnings
import keras, tensorflow, rnr_keras, rnr_keras.zoo  # their import-time warnings are theirs
warnings.simplefilter("error")
# Except what Python itself hides from users: DeprecationWarnings raised
# inside Keras and TensorFlow (Keras 3.15's Embedding saving under
# NumPy 2 raises one); they are theirs to fix.
warnings.filterwarnings(
    "ignore", category=DeprecationWarning, module=r"(keras|tensorflow)\\."
)
"""

#: What makes the Usage example run in seconds on the embedded data.
USAGE_ON_EMBEDDED_DATA = (
    ('datasets.load("ml-100k")', 'datasets.load("synthetic", num_users=150, num_items=80)'),
    ("n_users=943", "n_users=150"),
    ("epochs=100", "epochs=2"),
)


def _run(code, tmp_path):
    script = tmp_path / "example.py"
    script.write_text(_STRICT + code)
    env = {**os.environ, "PYTHONPATH": ROOT}
    return subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, env=env,
        capture_output=True, text=True, timeout=600,
    )


def test_usage_example_runs_without_warnings(tmp_path):
    code = _substitute(_python_block("## Usage"), USAGE_ON_EMBEDDED_DATA)
    code += "\nprint('EXAMPLE DONE', type(loaded).__name__, items.shape)\n"
    result = _run(code, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "EXAMPLE DONE RnRModel (2, 10)" in result.stdout
    assert "recall@10" in result.stdout
    assert (tmp_path / "rnr.keras").exists()


def test_presets_example_runs_without_warnings(tmp_path):
    code = _python_block("## Pretrained presets")
    code += "\nprint('EXAMPLE DONE', type(model).__name__)\n"
    result = _run(code, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "EXAMPLE DONE RnRModel" in result.stdout
