"""Writing result files so that no half-written file is ever left."""

import contextlib
import json
import os
import shutil
import tempfile


def write_atomically(path, write):
    """Calls `write(tmp)` on a temporary file beside `path`, then renames.

    The rename is atomic on one file system, so `path` is always either the
    old file or the complete new one; the temporary file is removed if
    `write` fails or is interrupted.

    Args:
        path: str. The file to (re)place.
        write: callable taking the temporary file's path and writing it.
    """
    folder, base = os.path.split(os.path.abspath(path))
    stem, ext = os.path.splitext(base)
    # The suffix keeps the extension: Keras infers the format from it.
    handle, tmp = tempfile.mkstemp(
        prefix=f".{stem}.", suffix=f".tmp{ext}", dir=folder
    )
    os.close(handle)
    try:
        write(tmp)
        # mkstemp makes the file private (0600); give it the usual mode.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def dump_json(record, path):
    """Writes `record` to `path` as indented JSON ending in a newline."""
    with open(path, "w") as file:
        json.dump(record, file, indent=2)
        file.write("\n")


def write_text(path, text, binary=False):
    """`write_atomically` for a str (or, with `binary`, bytes) content."""

    def write(tmp):
        with open(tmp, "wb" if binary else "w") as file:
            file.write(text)

    write_atomically(path, write)


def check_folder_target(path, overwrite=False, what="output"):
    """Raises `FileExistsError` when `install_folder` would refuse `path`:
    a file, or a non-empty folder without `overwrite`.

    For callers that work first and write last: check before the work.
    `what` names the folder in the message (e.g. "preset", "export").
    """
    path = os.fspath(path)
    if os.path.exists(path) and not os.path.isdir(path):
        raise FileExistsError(f"{path!r} exists and is not a folder")
    if os.path.isdir(path) and os.listdir(path) and not overwrite:
        raise FileExistsError(
            f"The {what} folder {path!r} exists and is not empty; pass "
            "overwrite=True (--overwrite) to replace it"
        )


def install_folder(tmp, path, overwrite=False, what="output"):
    """Renames the finished folder `tmp` to `path`, atomically.

    A missing or empty `path` takes one rename (which fails, rather than
    mix two folders, should `path` have filled up meanwhile). A non-empty
    one is replaced only with `overwrite`: it is moved aside, `tmp` put in
    its place, then the old one deleted (restored if the rename fails).
    """
    if not (os.path.isdir(path) and os.listdir(path)):
        os.replace(tmp, path)
        return
    check_folder_target(path, overwrite, what)
    parent, base = os.path.split(path)
    old = tempfile.mkdtemp(prefix=f".{base}.", suffix=".old", dir=parent)
    os.replace(path, old)
    try:
        os.replace(tmp, path)
    except BaseException:
        os.replace(old, path)
        raise
    shutil.rmtree(old, ignore_errors=True)


@contextlib.contextmanager
def folder_written_atomically(path, overwrite=False, what="output"):
    """Yields a temporary folder beside `path` to fill; on success it
    becomes `path` (`install_folder`), on any failure it is removed.

    Example:

    ```python
    with folder_written_atomically("presets/bpr", what="preset") as tmp:
        write_text(os.path.join(tmp, "config.json"), "{}")
    ```
    """
    parent, base = os.path.split(os.path.abspath(path))
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=f".{base}.", suffix=".tmp", dir=parent)
    try:
        yield tmp
        # mkdtemp makes the folder private (0700); give it the usual mode.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o777 & ~umask)
        install_folder(tmp, path, overwrite, what)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
