import os
import warnings

import numpy as np
import pytest

from rnr_keras.datasets.array_cache import ArrayCache

ARRAYS = {
    "codes": np.array([3, 0, 2], dtype=np.int64),
    "stars": np.array([1.5, 5.0], dtype=np.float32),
    "flags": np.array([True, False]),
    "fixed": np.array(["ab", "c"]),
    # Empty, accented, emoji, a lone surrogate (JSON "\ud800") and a NUL.
    "ids": np.array(["", "bé", "🌮x", "\ud800", "a\x00"], dtype=object),
    "grid": np.array([["a", "b"], ["cc", "d"]], dtype=object),
}


def _cache(tmp_path, key=None):
    path = os.path.join(str(tmp_path), "sub", "toy.npz")
    return ArrayCache(path, {"version": 1} if key is None else key)


def _files(tmp_path):
    folder = os.path.join(str(tmp_path), "sub")
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


def _assert_same(loaded, expected):
    assert sorted(loaded) == sorted(expected)
    for name, array in expected.items():
        assert loaded[name].dtype == array.dtype, name
        assert loaded[name].shape == array.shape, name
        assert loaded[name].tolist() == array.tolist(), name


class TestRoundTrip:
    def test_arrays_come_back_equal_with_their_dtypes(self, tmp_path):
        cache = _cache(tmp_path)
        cache.save(ARRAYS)
        assert _files(tmp_path) == ["toy.npz"]
        _assert_same(ArrayCache(cache.path, {"version": 1}).load(), ARRAYS)

    def test_file_holds_no_pickle(self, tmp_path):
        cache = _cache(tmp_path)
        cache.save(ARRAYS)
        with np.load(cache.path, allow_pickle=False) as stored:
            dtypes = {name: stored[name].dtype for name in stored.files}
        assert object not in dtypes.values()
        assert dtypes["ids.utf8"] == np.uint8

    def test_save_overwrites(self, tmp_path):
        cache = _cache(tmp_path)
        cache.save(ARRAYS)
        cache.save({"codes": np.arange(2)})
        assert cache.load()["codes"].tolist() == [0, 1]
        assert _files(tmp_path) == ["toy.npz"]

    def test_missing_file_is_a_silent_miss(self, tmp_path):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert _cache(tmp_path).load() is None


class TestInvalid:
    def test_other_key_warns_with_the_fields_that_differ(self, tmp_path):
        _cache(tmp_path, {"size": 5, "version": 1}).save(ARRAYS)
        cache = _cache(tmp_path, {"size": 6, "version": 1})
        with pytest.warns(UserWarning, match="size differ") as record:
            assert cache.load() is None
        assert cache.path in str(record[0].message)

    @pytest.mark.parametrize(
        "damage", ["garbage", "truncated", "empty", "flipped byte"]
    )
    def test_damaged_file_warns_and_misses(self, tmp_path, damage):
        cache = _cache(tmp_path)
        cache.save(ARRAYS)
        with open(cache.path, "rb") as f:
            content = f.read()
        if damage == "garbage":
            content = b"not a zip file at all" * 10
        elif damage == "truncated":
            content = content[: len(content) // 2]
        elif damage == "empty":
            content = b""
        else:  # inside the stored ids' text: the zip checksum catches it
            at = content.index("🌮".encode())
            content = content[:at] + b"X" + content[at + 1 :]
        with open(cache.path, "wb") as f:
            f.write(content)
        with pytest.warns(UserWarning, match="cannot be read") as record:
            assert cache.load() is None
        assert f"Ignoring the cache file {cache.path}" in str(record[0].message)

    def test_validate_rejects(self, tmp_path):
        cache = _cache(tmp_path)
        cache.save(ARRAYS)

        def validate(arrays):
            raise ValueError("wrong lengths")

        with pytest.warns(UserWarning, match="wrong lengths"):
            assert cache.load(validate=validate) is None

    def test_object_array_of_non_strings_is_refused(self, tmp_path):
        cache = _cache(tmp_path)
        with pytest.raises(TypeError, match="`ids` is an object array.*int"):
            cache.save({"ids": np.array(["a", 3], dtype=object)})
        assert _files(tmp_path) == []

    @pytest.mark.parametrize("key", [["a"], {"when": object()}])
    def test_bad_key(self, tmp_path, key):
        with pytest.raises(ValueError, match="`key` must be"):
            _cache(tmp_path, key)


class TestAtomicWrite:
    @pytest.mark.parametrize("error", [OSError, KeyboardInterrupt])
    @pytest.mark.parametrize("where", ["savez", "replace"])
    def test_failed_write_leaves_no_file(
        self, tmp_path, monkeypatch, error, where
    ):
        cache = _cache(tmp_path)
        written = []

        def savez(tmp, **members):
            written.append(tmp)
            with open(tmp, "wb") as f:
                f.write(b"half")  # a partial file, then the failure
            raise error("disk full")

        def replace(src, dst):
            raise error("disk full")

        if where == "savez":
            monkeypatch.setattr(np, "savez", savez)
        else:
            monkeypatch.setattr(os, "replace", replace)
        with pytest.raises(error, match="disk full"):
            cache.save(ARRAYS)
        assert _files(tmp_path) == []
        if written:
            assert os.path.dirname(written[0]) == os.path.dirname(cache.path)

    def test_failed_write_keeps_the_old_cache(self, tmp_path, monkeypatch):
        cache = _cache(tmp_path)
        cache.save(ARRAYS)

        def replace(src, dst):
            raise OSError("disk full")

        monkeypatch.setattr(os, "replace", replace)
        with pytest.raises(OSError):
            cache.save({"codes": np.arange(2)})
        monkeypatch.undo()
        assert _files(tmp_path) == ["toy.npz"]
        _assert_same(cache.load(), ARRAYS)


class TestForFile:
    def _source(self, tmp_path, text="1 2 3"):
        path = os.path.join(str(tmp_path), "data.txt")
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_key_and_path(self, tmp_path):
        source = self._source(tmp_path)
        cache = ArrayCache.for_file(source, str(tmp_path / "c"), version=3)
        stat = os.stat(source)
        assert cache.key == {
            "source": os.path.realpath(source),
            "size": 5,
            "mtime_ns": stat.st_mtime_ns,
            "version": 3,
        }
        folder, name = os.path.split(cache.path)
        assert folder == str(tmp_path / "c")
        assert name.startswith("data-") and name.endswith(".npz")

    def test_same_file_same_cache_other_file_other_cache(self, tmp_path):
        source = self._source(tmp_path)
        link = os.path.join(str(tmp_path), "link.txt")
        os.symlink(source, link)
        other = os.path.join(str(tmp_path), "other")
        os.makedirs(other)
        other = self._source(other)
        paths = [
            ArrayCache.for_file(p, str(tmp_path), version=1).path
            for p in (source, link, other)
        ]
        assert paths[0] == paths[1] != paths[2]

    @pytest.mark.parametrize("change", ["content", "touch", "version"])
    def test_changed_source_misses(self, tmp_path, change):
        source = self._source(tmp_path)
        ArrayCache.for_file(source, str(tmp_path), version=1).save(ARRAYS)
        version = 1
        if change == "content":
            self._source(tmp_path, "1 2 3 4")
        elif change == "touch":
            stat = os.stat(source)
            os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
        else:
            version = 2
        cache = ArrayCache.for_file(source, str(tmp_path), version=version)
        with pytest.warns(UserWarning, match="another version"):
            assert cache.load() is None
