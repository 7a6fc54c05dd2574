"""`ArrayCache`: parsed arrays kept in one `.npz` file, valid for one key."""

import hashlib
import json
import os
import warnings
import zipfile

import numpy as np

from rnr_keras.io_utils import write_atomically

# Bump when the layout of the file written by `ArrayCache.save` changes.
LAYOUT_VERSION = 1
_META = "__meta__"
# What a damaged or foreign file can raise on the way in.
_UNREADABLE = (
    OSError,
    EOFError,
    AttributeError,
    ValueError,
    KeyError,
    TypeError,
    IndexError,
    zipfile.BadZipFile,
)


class ArrayCache:
    """Named numpy arrays saved in one `.npz` file and valid for one `key`.

    A loader that parses a large source file once saves what it parsed here
    and, while the source is unchanged, loads it back in seconds. The `key`
    (e.g. the source's path, size, modification time and the parser's
    format version) is written into the file and compared on `load`, so a
    cache made for another version of the source is never used.

    The file is written to a temporary file beside `path` and renamed onto
    it (`rnr_keras.io_utils.write_atomically`): `path` is always absent,
    the previous cache or the complete new one, never half written. String
    arrays (`dtype=object` holding `str`) are stored as UTF-8 bytes plus
    lengths, so the file holds no pickle and is read with
    `allow_pickle=False`. Other object arrays are refused.

    Args:
        path: str or path-like. The `.npz` file.
        key: dict. JSON-serialisable values that the cached arrays depend
            on; `load` returns nothing for a file written with another key.

    Example:

    >>> import tempfile
    >>> folder = tempfile.mkdtemp()
    >>> cache = ArrayCache(os.path.join(folder, "toy.npz"), {"version": 1})
    >>> cache.load() is None  # nothing saved yet
    True
    >>> cache.save({"codes": np.array([0, 1, 0]),
    ...             "ids": np.array(["a", "bé"], dtype=object)})
    >>> arrays = cache.load()
    >>> arrays["codes"].tolist(), arrays["ids"].tolist()
    ([0, 1, 0], ['a', 'bé'])
    >>> import warnings
    >>> with warnings.catch_warnings(record=True):  # another key: ignored
    ...     ArrayCache(cache.path, {"version": 2}).load() is None
    True
    """

    def __init__(self, path, key):
        self.path = os.fspath(path)
        if not isinstance(key, dict):
            raise ValueError(f"`key` must be a dict. Received: key={key!r}")
        try:
            self._key_text = json.dumps(key, sort_keys=True)
        except (TypeError, ValueError):
            raise ValueError(
                f"`key` must be JSON-serialisable. Received: key={key!r}"
            ) from None
        self.key = key

    @classmethod
    def for_file(cls, source, folder, version):
        """The cache of what was parsed from the file `source`.

        The cache file is `folder/<source stem>-<hash of source's real
        path>.npz`: one file per source, which a changed source overwrites
        rather than add to. The key is the real path, the size, the
        modification time (ns) and `version`, so editing, replacing or
        touching the source, or bumping `version`, invalidates the cache.

        Args:
            source: str or path-like. The parsed file; it must exist.
            folder: str or path-like. Where the cache file goes (created by
                `save` if missing).
            version: int or str. The parser's output format; bump it
                whenever the parser's arrays change.

        Returns:
            `ArrayCache`.

        Example:

        >>> import tempfile
        >>> folder = tempfile.mkdtemp()
        >>> source = os.path.join(folder, "data.txt")
        >>> with open(source, "w") as f:
        ...     _ = f.write("1 2 3")
        >>> cache = ArrayCache.for_file(source, folder, version=1)
        >>> cache.key["size"], os.path.basename(cache.path).startswith("data-")
        (5, True)
        """
        source = os.path.realpath(os.fspath(source))
        stat = os.stat(source)
        name = source.encode("utf-8", errors="surrogateescape")
        digest = hashlib.sha256(name).hexdigest()[:16]
        stem = os.path.splitext(os.path.basename(source))[0]
        key = {
            "source": source,
            "size": stat.st_size,
            "mtime_ns": stat.st_mtime_ns,
            "version": version,
        }
        return cls(os.path.join(os.fspath(folder), f"{stem}-{digest}.npz"), key)

    def load(self, validate=None):
        """The saved arrays, or `None` when there is no usable cache.

        A missing file is a silent miss. A file that cannot be read (not a
        zip, truncated, a bad checksum, arrays missing), that was written
        for another key, or that `validate` rejects, is ignored with a
        warning naming it; saving again overwrites it.

        Args:
            validate: callable or `None`. Called with the dict of arrays;
                raises `ValueError` when they are not what the caller
                expects (e.g. lengths that disagree). Defaults to `None`.

        Returns:
            dict of name -> array, or `None`.
        """
        try:
            with np.load(self.path, allow_pickle=False) as stored:
                meta = json.loads(str(stored[_META][()]))
                if meta.get("layout") != LAYOUT_VERSION:
                    return self._ignore(
                        f"it has layout {meta.get('layout')!r}, not "
                        f"{LAYOUT_VERSION}"
                    )
                key_text = json.dumps(meta["key"], sort_keys=True)
                if key_text != self._key_text:
                    return self._ignore(
                        "it was written for another version of its source "
                        f"({_differences(meta['key'], self.key)} differ)"
                    )
                arrays = {
                    name: _unpack(stored, name, kind)
                    for name, kind in meta["arrays"].items()
                }
            if validate is not None:
                validate(arrays)
        except FileNotFoundError:
            return None
        except _UNREADABLE as err:
            return self._ignore(
                f"it cannot be read ({type(err).__name__}: {err})"
            )
        return arrays

    def save(self, arrays):
        """Writes `arrays` with this cache's key, atomically.

        Args:
            arrays: dict of str -> array. Numeric, bool or fixed-width
                string arrays are stored as they are, object arrays of
                `str` as UTF-8 bytes plus lengths.

        Raises:
            TypeError: for an object array holding anything but `str`.
            OSError: when the folder or file cannot be written; no file
                and no temporary file is then left behind.
        """
        kinds, members = {}, {}
        for name, array in arrays.items():
            if not isinstance(name, str) or name.startswith("__"):
                raise ValueError(
                    "Array names must be strings not starting with '__'. "
                    f"Received: {name!r}"
                )
            kinds[name] = _pack(name, np.asarray(array), members)
        meta = {"layout": LAYOUT_VERSION, "key": self.key, "arrays": kinds}
        members[_META] = np.array(json.dumps(meta))
        folder = os.path.dirname(os.path.abspath(self.path))
        os.makedirs(folder, exist_ok=True)
        write_atomically(
            self.path, lambda tmp: np.savez(tmp, **members)
        )

    def _ignore(self, reason):
        warnings.warn(
            f"Ignoring the cache file {self.path}: {reason}. The data is "
            "read from its source again.",
            stacklevel=3,
        )
        return None


def _differences(old, new):
    names = sorted(set(old) | set(new))
    return ", ".join(n for n in names if old.get(n) != new.get(n)) or "keys"


def _pack(name, array, members):
    """Adds `array`'s members to `members`; returns its kind for `_unpack`."""
    if array.dtype != object:
        members[name] = array
        return {"type": "array"}
    values = array.ravel().tolist()
    if not all(type(v) is str for v in values):
        bad = next(v for v in values if type(v) is not str)
        raise TypeError(
            f"`{name}` is an object array; only arrays of str can be "
            f"cached. Received an element {bad!r} of type "
            f"{type(bad).__name__}"
        )
    # Lone surrogates (a JSON "\ud800") survive the round trip.
    text = "".join(values).encode("utf-8", errors="surrogatepass")
    members[f"{name}.utf8"] = np.frombuffer(text, dtype=np.uint8)
    members[f"{name}.lengths"] = np.fromiter(
        map(len, values), dtype=np.int64, count=len(values)
    )
    return {"type": "str", "shape": list(array.shape)}


def _unpack(stored, name, kind):
    if kind["type"] == "array":
        return stored[name]
    if kind["type"] != "str":
        raise ValueError(f"unknown array kind {kind!r} of `{name}`")
    blob = stored[f"{name}.utf8"]
    lengths = stored[f"{name}.lengths"]
    text = blob.tobytes().decode("utf-8", errors="surrogatepass")
    ends = np.cumsum(lengths)
    if (lengths < 0).any() or (ends[-1] if len(ends) else 0) != len(text):
        raise ValueError(f"the lengths of `{name}` do not match its text")
    starts = (ends - lengths).tolist()
    out = np.empty(len(lengths), dtype=object)
    out[:] = list(map(text.__getitem__, map(slice, starts, ends.tolist())))
    return out.reshape(kind["shape"])
