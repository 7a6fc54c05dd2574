"""`rnr_keras.cli.main`, the parser it builds, the ways to start it, and
what starting it imports."""

import ast
import json
import os
import pathlib
import re
import subprocess
import sys

import pytest

import rnr_keras
from rnr_keras import cli
from rnr_keras.cli import data
from rnr_keras.cli import export

PACKAGE = pathlib.Path(rnr_keras.__file__).parent

# Lines of `python -X importtime` naming TensorFlow or Keras themselves.
_HEAVY_IMPORT = re.compile(r"\|\s+(tensorflow|keras)\s*$", re.MULTILINE)


def _python(*argv, timeout=300):
    return subprocess.run(
        [sys.executable, *argv],
        env=dict(os.environ),
        timeout=timeout,
        capture_output=True,
        text=True,
    )


class TestParser:
    def test_commands_in_order(self):
        names = list(cli.build_parser()._subparsers._group_actions[0].choices)
        assert names == [
            "data", "train", "tune", "reproduce", "recommend", "export",
        ]
        assert cli.COMMANDS[-1] is export

    def test_version(self, capsys):
        with pytest.raises(SystemExit) as info:
            cli.main(["--version"])
        assert info.value.code == 0
        assert capsys.readouterr().out == f"rnr-keras {rnr_keras.__version__}\n"


class TestErrors:
    """Every command's expected failures: one line, status 2."""

    @pytest.mark.parametrize("error", [ValueError, OSError, FileNotFoundError])
    def test_one_line_and_status_2(self, error, monkeypatch, capsys):
        def fail(args):
            raise error("first line\n   second   line")

        monkeypatch.setattr(data, "run_info", fail)
        assert cli.main(["data", "info", "synthetic"]) == cli.ERROR_STATUS == 2
        assert capsys.readouterr().err == (
            "rnr-keras: error: first line second line\n"
        )

    def test_an_empty_message_names_the_error(self, monkeypatch, capsys):
        def fail(args):
            raise ValueError()

        monkeypatch.setattr(data, "run_info", fail)
        assert cli.main(["data", "info", "synthetic"]) == 2
        assert capsys.readouterr().err == "rnr-keras: error: ValueError\n"

    def test_interrupt_is_status_130(self, monkeypatch, capsys):
        def interrupted(args):
            raise KeyboardInterrupt

        monkeypatch.setattr(data, "run_info", interrupted)
        assert cli.main(["data", "info", "synthetic"]) == 130
        assert capsys.readouterr().err == "rnr-keras: interrupted\n"

    def test_other_errors_are_bugs_and_raise(self, monkeypatch):
        def broken(args):
            raise KeyError("bug")

        monkeypatch.setattr(data, "run_info", broken)
        with pytest.raises(KeyError):
            cli.main(["data", "info", "synthetic"])


class TestStarting:
    @pytest.mark.parametrize("module", ["rnr_keras", "rnr_keras.cli"])
    def test_python_m_version(self, module):
        result = _python("-m", module, "--version")
        assert result.returncode == 0, result.stderr
        assert result.stdout == f"rnr-keras {rnr_keras.__version__}\n"

    def test_python_m_runs_commands_and_reports_errors(self):
        result = _python(
            "-m", "rnr_keras", "data", "info", "ml-100k", "--no-download",
            "--data-dir", os.devnull,
        )
        assert result.returncode == 2
        assert result.stderr.startswith("rnr-keras: error: ")
        assert result.stderr.count("\n") == 1

    def test_console_script(self):
        # setup.cfg: rnr-keras = rnr_keras.cli:main
        script = pathlib.Path(sys.executable).with_name("rnr-keras")
        if not script.exists():
            pytest.skip("the rnr-keras script is not installed here")
        result = subprocess.run(
            [str(script), "--version"], capture_output=True, text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout == f"rnr-keras {rnr_keras.__version__}\n"

    @pytest.mark.parametrize(
        "argv",
        [
            ["--help"],
            ["data", "--help"],
            ["recommend", "--help"],
            ["data", "info", "synthetic", "--json"],
        ],
    )
    def test_light_commands_do_not_import_tensorflow(self, argv):
        result = _python("-X", "importtime", "-m", "rnr_keras", *argv)
        assert result.returncode == 0, result.stderr[-2000:]
        assert _HEAVY_IMPORT.findall(result.stderr) == []
        if argv[-1] == "--json":
            assert json.loads(result.stdout)["name"] == "synthetic"

    def test_the_check_sees_tensorflow_when_it_is_imported(self):
        # `train --help` lists the registry's models, which imports Keras.
        result = _python("-X", "importtime", "-m", "rnr_keras", "train", "--help")
        assert result.returncode == 0, result.stderr[-2000:]
        assert "tensorflow" in _HEAVY_IMPORT.findall(result.stderr)
        assert "rnr-bpr-svd" in result.stdout


def test_import_registers_zoo_classes():
    # `import rnr_keras` alone must let keras.saving.load_model find every
    # zoo class (outside the command line, which imports what it needs).
    import keras

    from rnr_keras import layers
    from rnr_keras import models
    from rnr_keras import registry

    classes = {models.RnRModel, models.VanillaModel, layers.PostConsumption}
    for name in registry.names():
        entry = registry.algorithm(name)
        classes.update(c for c in (entry.model, entry.head) if c is not None)
    names = sorted(keras.saving.get_registered_name(c) for c in classes)
    assert all(name.startswith("rnr_keras>") for name in names)
    code = (
        "import sys, rnr_keras, keras; "
        "missing = [n for n in sys.argv[1:] "
        "if keras.saving.get_registered_object(n) is None]; print(missing); "
        "sys.exit(1 if missing else 0)"
    )
    result = _python("-c", code, *names)
    assert result.returncode == 0, result.stdout + result.stderr


# Imports each module of rnr_keras as a fresh interpreter would: the
# third-party libraries stay loaded (they cannot be part of a cycle of
# ours, and importing them takes most of the time), every `rnr_keras`
# module and Keras registration is dropped before the next module. Two
# passes: as a library (`import rnr_keras` loads the zoo first) and as the
# command line (it does not, so each module comes before any other of
# ours but datasets and protocol).
_IMPORT_EACH = r"""
import importlib, json, os, pathlib, sys
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
import keras, keras_tuner, numpy, pandas, tensorflow  # noqa: F401
package = pathlib.Path(sys.argv[1])
names = sorted(
    ".".join(("rnr_keras",) + p.relative_to(package).with_suffix("").parts)
    .removesuffix(".__init__")
    for p in package.rglob("*.py")
)
failures = []
for mode, argv0 in (("library", "-c"), ("command line", "rnr-keras")):
    sys.argv[0] = argv0
    for name in names:
        for key in [k for k in sys.modules if k.split(".")[0] == "rnr_keras"]:
            del sys.modules[key]
        objects = keras.saving.get_custom_objects()
        for key in [k for k in objects if k.startswith("rnr_keras>")]:
            del objects[key]
        try:
            importlib.import_module(name)
        except Exception as err:
            failures.append(f"{mode}: {name}: {type(err).__name__}: {err}")
            continue
        zoo = "rnr_keras.models" in sys.modules
        if zoo != (mode == "library") and name == "rnr_keras":
            failures.append(f"{mode}: `import rnr_keras` loaded the zoo: {zoo}")
        library = not name.startswith(("rnr_keras.cli", "rnr_keras.__main__"))
        if library and "rnr_keras.cli" in sys.modules:
            failures.append(f"{mode}: {name} imports rnr_keras.cli")
print(json.dumps({"modules": len(names), "failures": failures}))
"""


def test_every_module_imports_on_its_own():
    result = _python("-c", _IMPORT_EACH, str(PACKAGE), timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["modules"] > 50
    assert report["failures"] == []


def test_the_library_never_imports_the_command_line():
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE)
        if relative.parts[0] == "cli" or relative == pathlib.Path("__main__.py"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [
                    f"{node.module}.{alias.name}" for alias in node.names
                ]
            else:
                continue
            if any(n == "rnr_keras.cli" or n.startswith("rnr_keras.cli.")
                   for n in names):
                offenders.append(str(relative))
    assert offenders == []
