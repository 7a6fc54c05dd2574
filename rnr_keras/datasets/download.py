"""Downloading a dataset archive and unpacking it, all or nothing."""

import hashlib
import os
import shutil
import tempfile
import urllib.request
import zipfile


def _fetch(url, dest):
    """Copies the resource at `url` into the file `dest`.

    The one place that touches the network, so tests replace it (or serve a
    `file://` URL) and run offline.
    """
    with urllib.request.urlopen(url, timeout=60) as response:
        with open(dest, "wb") as out:
            shutil.copyfileobj(response, out, length=1 << 20)


def md5sum(path):
    """Hex MD5 digest of the file at `path`, read in 1 MiB blocks."""
    digest = hashlib.md5()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def download_and_extract(url, md5, target, member):
    """Downloads the zip at `url` and installs its folder `member` at `target`.

    The archive goes to a temporary file next to `target`, its MD5 is
    checked, `member/` is extracted into a temporary folder next to
    `target`, and that folder is renamed onto `target` in one `os.replace`.
    Whatever happens (a failed download, a bad checksum, an error or
    `KeyboardInterrupt` while extracting), the temporary files are removed
    and `target` is either absent or complete.

    Args:
        url: str. Address of a zip archive (`https://` or `file://`).
        md5: str. Expected hex MD5 of the archive.
        target: str. Folder to create, e.g. `~/.cache/rnr_keras/ml-100k`.
        member: str. Top-level folder of the archive whose contents become
            `target`, e.g. `"ml-100k"`.

    Returns:
        `target`.

    Example:

    >>> download_and_extract(  # doctest: +SKIP
    ...     "https://files.grouplens.org/datasets/movielens/ml-100k.zip",
    ...     "0e33842e24a9c977be4e0107933c0723",
    ...     "/tmp/cache/ml-100k", "ml-100k")
    '/tmp/cache/ml-100k'
    """
    target = os.path.abspath(os.fspath(target))
    parent = os.path.dirname(target)
    os.makedirs(parent, exist_ok=True)
    prefix = "." + os.path.basename(target) + "-"
    fd, archive = tempfile.mkstemp(
        dir=parent, prefix=prefix, suffix=".zip.part"
    )
    os.close(fd)
    staging = None
    try:
        _fetch(url, archive)
        actual = md5sum(archive)
        if actual != md5.lower():
            raise ValueError(
                f"Checksum mismatch for {url}: expected MD5 {md5}, got "
                f"{actual}. The download is corrupt or the file changed "
                "upstream; nothing was saved. Try again, or download it "
                "yourself and point RNR_DATA_DIR at the unpacked files."
            )
        staging = tempfile.mkdtemp(dir=parent, prefix=prefix, suffix=".part")
        with zipfile.ZipFile(archive) as zf:
            wanted = [
                info
                for info in zf.infolist()
                if info.filename.startswith(member + "/")
            ]
            if not wanted:
                raise ValueError(
                    f"The archive from {url} has no folder {member}/."
                )
            for info in wanted:
                # ZipFile.extract strips absolute paths and `..` parts, so a
                # hostile archive cannot write outside `staging`.
                zf.extract(info, staging)
        _publish(os.path.join(staging, member), target)
    finally:
        if os.path.exists(archive):
            os.remove(archive)
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
    return target


def _publish(source, target):
    """Renames the complete folder `source` onto `target`."""
    if os.path.exists(target):
        # A stale or partial folder a user left there: set it aside first,
        # since a folder cannot be renamed onto a non-empty one.
        trash = tempfile.mkdtemp(
            dir=os.path.dirname(target),
            prefix="." + os.path.basename(target) + "-old-",
        )
        os.replace(target, os.path.join(trash, "old"))
        try:
            os.replace(source, target)
        finally:
            shutil.rmtree(trash, ignore_errors=True)
    else:
        os.replace(source, target)
