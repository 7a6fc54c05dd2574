import hashlib
import os
import pathlib
import urllib.error
import zipfile

import pytest

from rnr_keras import datasets
from rnr_keras.datasets import download
from rnr_keras.datasets import movielens

U_DATA = "".join(
    f"{u}\t{i}\t{1 + (u + i) % 5}\t{1000 + 10 * u + i}\n"
    for u in (1, 2)
    for i in (1, 2, 3, 4)
)


@pytest.fixture
def archive(tmp_path):
    """A small zip laid out like GroupLens' ml-100k.zip, with its MD5."""
    path = tmp_path / "served" / "ml-100k.zip"
    path.parent.mkdir()
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("ml-100k/u.data", U_DATA)
        zf.writestr("ml-100k/u.item", "1|Toy Story (1995)|x\n")
        zf.writestr("ml-100k/README", "test archive\n")
    md5 = hashlib.md5(path.read_bytes()).hexdigest()
    return path, md5


@pytest.fixture
def cache(tmp_path, monkeypatch):
    root = tmp_path / "cache"
    monkeypatch.setenv("RNR_CACHE_DIR", str(root))
    monkeypatch.delenv("RNR_DATA_DIR", raising=False)
    return root


def _serve(monkeypatch, archive_path, md5):
    spec = dict(movielens.ARCHIVES["ml-100k"])
    spec["url"] = pathlib.Path(archive_path).as_uri()
    spec["md5"] = md5
    monkeypatch.setitem(movielens.ARCHIVES, "ml-100k", spec)
    return spec["url"]


class TestDownload:
    def test_checksum_ok_installs_and_loads(self, archive, cache, monkeypatch):
        _serve(monkeypatch, *archive)
        data = datasets.load("ml-100k", min_interactions=0)
        assert (len(data), data.num_users, data.num_items) == (8, 2, 4)
        assert sorted(os.listdir(cache)) == ["ml-100k"]
        assert sorted(os.listdir(cache / "ml-100k")) == [
            "README",
            "u.data",
            "u.item",
        ]
        assert datasets.movielens_titles("ml-100k") == {1: "Toy Story (1995)"}

        # A second load reads the cache and never fetches.
        def fail(url, dest):
            raise AssertionError("fetched again")

        monkeypatch.setattr(download, "_fetch", fail)
        assert len(datasets.load("ml-100k", min_interactions=0)) == 8

    def test_checksum_mismatch_leaves_nothing(
        self, archive, cache, monkeypatch
    ):
        path, actual = archive
        url = _serve(monkeypatch, path, "0e33842e24a9c977be4e0107933c0723")
        with pytest.raises(ValueError) as info:
            datasets.load("ml-100k")
        message = str(info.value)
        assert url in message
        assert "0e33842e24a9c977be4e0107933c0723" in message
        assert actual in message
        assert os.listdir(cache) == []

    def test_interrupted_extraction_leaves_nothing(
        self, archive, cache, monkeypatch
    ):
        _serve(monkeypatch, *archive)
        real_extract = zipfile.ZipFile.extract
        calls = []

        def extract_then_interrupt(self, member, path=None, pwd=None):
            calls.append(member)
            if len(calls) == 2:
                raise KeyboardInterrupt
            return real_extract(self, member, path, pwd)

        monkeypatch.setattr(zipfile.ZipFile, "extract", extract_then_interrupt)
        with pytest.raises(KeyboardInterrupt):
            datasets.load("ml-100k")
        assert len(calls) == 2  # one member was already written
        assert os.listdir(cache) == []

    def test_interrupted_fetch_leaves_nothing(
        self, archive, cache, monkeypatch
    ):
        _serve(monkeypatch, *archive)

        def partial(url, dest):
            with open(dest, "wb") as f:
                f.write(b"PK\x03\x04 half")
            raise KeyboardInterrupt

        monkeypatch.setattr(download, "_fetch", partial)
        with pytest.raises(KeyboardInterrupt):
            datasets.load("ml-100k")
        assert os.listdir(cache) == []

    def test_no_network_explains_how_to_fix(self, cache, monkeypatch):
        def offline(url, dest):
            raise urllib.error.URLError("Name or service not known")

        monkeypatch.setattr(download, "_fetch", offline)
        with pytest.raises(FileNotFoundError) as info:
            datasets.load("ml-1m")
        message = str(info.value)
        assert (
            "https://files.grouplens.org/datasets/movielens/ml-1m.zip"
            in message
        )
        assert "Name or service not known" in message
        assert os.path.join(str(cache), "ml-1m", "ratings.dat") in message
        assert "RNR_DATA_DIR" in message and "data_dir" in message
        assert os.listdir(cache) == []

    def test_download_false_never_fetches(self, cache, monkeypatch):
        def fail(url, dest):
            raise AssertionError("must not download")

        monkeypatch.setattr(download, "_fetch", fail)
        with pytest.raises(FileNotFoundError, match="download=False"):
            datasets.load("ml-1m", download=False)

    def test_archive_without_member_folder(self, tmp_path, cache):
        path = tmp_path / "other.zip"
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr("other/u.data", U_DATA)
        md5 = hashlib.md5(path.read_bytes()).hexdigest()
        with pytest.raises(ValueError, match="has no folder ml-100k/"):
            download.download_and_extract(
                path.as_uri(), md5, str(cache / "ml-100k"), "ml-100k"
            )
        assert os.listdir(cache) == []

    def test_replaces_a_stale_folder(self, archive, cache):
        path, md5 = archive
        stale = cache / "ml-100k"
        stale.mkdir(parents=True)
        (stale / "junk").write_text("left by hand")
        target = download.download_and_extract(
            path.as_uri(), md5, str(stale), "ml-100k"
        )
        assert target == str(stale)
        assert sorted(os.listdir(stale)) == ["README", "u.data", "u.item"]
        assert os.listdir(cache) == ["ml-100k"]

    def test_md5sum(self, tmp_path):
        path = tmp_path / "f"
        path.write_bytes(b"abc")
        assert download.md5sum(path) == "900150983cd24fb0d6963f7d28e17f72"
