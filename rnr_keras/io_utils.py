"""Writing result files so that no half-written file is ever left."""

import json
import os
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
