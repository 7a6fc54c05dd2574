"""Yelp Open Dataset reviews, streamed from the JSON Lines review file."""

import itertools
import json
import os
import sys
import time
import warnings

import numpy as np
import pandas as pd

from rnr_keras.datasets.array_cache import ArrayCache
from rnr_keras.datasets.cleaning import clean
from rnr_keras.datasets.paths import cache_dir
from rnr_keras.datasets.paths import find_file
from rnr_keras.job_progress import clock_text

REVIEW_FILE = "yelp_academic_dataset_review.json"
RATING_SCALE = (1, 5)
# Version of `read_reviews`' arrays in the cache: bump it whenever they
# change (fields, dtypes, id order), so that old caches are ignored.
FORMAT_VERSION = 1
# Files above this size show progress by default: the 5 GB review file
# takes minutes to parse, a 50 MB one about a second.
VERBOSE_BYTES = 50 * 2**20
_ARRAYS = ("users", "user_ids", "items", "item_ids", "ratings", "timestamps")
_FIELDS = ["user_id", "business_id", "stars", "date"]
_DATE_FORMAT = "%Y-%m-%d %H:%M:%S"
_EPOCH = pd.Timestamp(0)


def load_yelp(
    data_dir=None,
    min_interactions=4,
    chunk_lines=50_000,
    cache=True,
    verbose=None,
):
    """Loads the Yelp reviews as `Interactions` (users x businesses, stars).

    Yelp cannot be downloaded automatically: its terms must be accepted at
    https://www.yelp.com/dataset. Put `yelp_academic_dataset_review.json`
    in `$RNR_DATA_DIR/yelp/` or pass `data_dir`. The dates (local times
    without a zone) are read as UTC.

    The review file (about 7M lines, 5 GB) is streamed by `read_reviews`,
    which takes minutes. Its parsed rows, before cleaning, are then cached
    in the cache folder (`$RNR_CACHE_DIR/yelp/`, see
    `rnr_keras.datasets.paths.cache_dir`) as one `.npz` file per review
    file (`rnr_keras.datasets.array_cache.ArrayCache`), so later loads
    take seconds. The cache holds the file's real path, size and
    modification time and `FORMAT_VERSION`; when any differs, or the cache
    cannot be read, it is ignored with a warning, the file parsed again and
    the cache rewritten. A cache that cannot be written (e.g. a read-only
    folder) only warns.

    Args:
        data_dir: str, path-like or `None`. Folder holding the review file.
            Defaults to `None` (`$RNR_DATA_DIR/yelp`, then the cache
            folder).
        min_interactions: int. Fewest reviews a user needs to be kept.
            Defaults to 4.
        chunk_lines: int. Lines parsed at a time; bounds the memory used
            besides the result. Defaults to 50000.
        cache: bool. Whether to read the parsed rows from the cache and
            write them there after parsing; `False` does neither. Defaults
            to `True`.
        verbose: bool or `None`. Print progress to stderr while parsing
            (see `read_reviews`) and a line on a cache hit or write; `False`
            prints nothing. Defaults to `None`: only for a review file
            larger than `VERBOSE_BYTES` (50 MB).

    Returns:
        `Interactions` named `"yelp"`.

    Example:

    >>> data = load_yelp(data_dir="yelp", min_interactions=1)  # doctest: +SKIP
    """
    _check_chunk_lines(chunk_lines)
    if not isinstance(cache, bool):
        raise ValueError(f"`cache` must be a bool. Received: cache={cache!r}")
    path, looked = find_file("yelp", REVIEW_FILE, data_dir)
    if path is None:
        raise FileNotFoundError(
            f"Yelp review file {REVIEW_FILE} not found. Looked for it at: "
            f"{', '.join(looked)}. Yelp cannot be downloaded automatically: "
            "accept the Yelp Dataset terms at https://www.yelp.com/dataset, "
            f"download and unpack it, then put {REVIEW_FILE} in "
            f"$RNR_DATA_DIR/yelp/ (or pass data_dir= the folder holding it; "
            "`--data-dir` on the command line)."
        )
    verbose = _check_verbose(verbose, path, "verbose")
    if cache:
        arrays = _read_cached(path, chunk_lines, verbose)
    else:
        arrays = read_reviews(path, chunk_lines=chunk_lines, progress=verbose)
    users, user_ids, items, item_ids, ratings, timestamps = arrays
    return clean(
        users,
        items,
        ratings,
        timestamps,
        user_ids=user_ids,
        item_ids=item_ids,
        min_interactions=min_interactions,
        name="yelp",
    )


def read_reviews(path, chunk_lines=50_000, progress=None):
    """Streams a Yelp review file into compact arrays.

    Reads `chunk_lines` lines at a time, keeps only `user_id`,
    `business_id`, `stars` and `date`, and maps the string ids to integer
    codes as it goes, so memory holds one chunk plus the result (and the
    distinct ids), never the whole file or its review texts: each line's
    object is dropped once its four fields are taken. A chunk that fails
    to decode is re-read line by line to report the exact line.

    With `progress`, a line on stderr shows the bytes read of the file's
    size, the lines read, the rate and the time left, updated after a chunk
    at most 4 times a second in place (`\\r`) on a terminal, or as a new
    line every 10 seconds elsewhere (a log, a pipe); a last line gives the
    totals.

    Args:
        path: str. A JSON Lines file, one review object per line.
        chunk_lines: int. Lines per chunk. Defaults to 50000.
        progress: bool or `None`. Print progress to stderr. Defaults to
            `None`: only for a file larger than `VERBOSE_BYTES` (50 MB).

    Returns:
        `(users, user_ids, items, item_ids, ratings, timestamps)`: int64
        codes into the object arrays `user_ids` / `item_ids`, float32 stars,
        int64 unix seconds.

    Raises:
        ValueError: naming the file and the 1-based line, when the file is
            not JSON Lines (e.g. a JSON array), a line is not a JSON object,
            a field is missing or malformed, or stars fall outside 1..5.

    Example:

    >>> path = "yelp/yelp_academic_dataset_review.json"
    >>> users, user_ids, *rest = read_reviews(path)  # doctest: +SKIP
    """
    _check_chunk_lines(chunk_lines)
    path = os.fspath(path)
    progress = _check_verbose(progress, path, "progress")
    _reject_json_array(path)
    user_vocab, item_vocab = {}, {}
    parts = {"users": [], "items": [], "ratings": [], "timestamps": []}
    first_line = 1
    with open(path, "rb") as f, _Progress(path, progress) as bar:
        while True:
            lines = list(itertools.islice(f, chunk_lines))
            if not lines:
                break
            columns, numbers = _decode(lines, first_line, path)
            first_line += len(lines)
            del lines
            bar.update(f.tell(), first_line - 1)
            if not len(numbers):
                continue
            # object: the values as parsed, no copy into a string dtype.
            frame = {
                name: pd.Series(values, name=name, dtype=object)
                for name, values in zip(_FIELDS, columns)
            }
            del columns
            parts["users"].append(
                _intern(frame["user_id"], user_vocab, numbers, path)
            )
            parts["items"].append(
                _intern(frame["business_id"], item_vocab, numbers, path)
            )
            parts["ratings"].append(_stars(frame["stars"], numbers, path))
            parts["timestamps"].append(_dates(frame["date"], numbers, path))
        bar.finish(f.tell(), first_line - 1)
    if not parts["users"]:
        raise ValueError(f"{path} holds no reviews.")

    def joined(name):
        # Each column's chunks are freed once joined: the result is never
        # held twice.
        return np.concatenate(parts.pop(name))

    return (
        joined("users"),
        np.array(list(user_vocab), dtype=object),
        joined("items"),
        np.array(list(item_vocab), dtype=object),
        joined("ratings"),
        joined("timestamps"),
    )


def _check_chunk_lines(chunk_lines):
    if (
        isinstance(chunk_lines, bool)
        or not isinstance(chunk_lines, int)
        or chunk_lines <= 0
    ):
        raise ValueError(
            "`chunk_lines` must be a positive integer. Received: "
            f"chunk_lines={chunk_lines!r}"
        )


def _check_verbose(value, path, arg):
    """`value`, or for `None` whether the file at `path` is large."""
    if value is None:
        return os.path.getsize(path) > VERBOSE_BYTES
    if not isinstance(value, bool):
        raise ValueError(
            f"`{arg}` must be a bool or None. Received: {arg}={value!r}"
        )
    return value


def _read_cached(path, chunk_lines, verbose):
    """`read_reviews(path)`, through the cache of the review file."""
    folder = cache_dir("yelp")
    store = ArrayCache.for_file(path, folder, version=FORMAT_VERSION)
    start = time.perf_counter()
    cached = store.load(validate=_check_cached)
    if cached is not None:
        if verbose:
            _say(
                f"{os.path.basename(path)}: {len(cached['users']):,} reviews "
                f"read from the cache {store.path} in "
                f"{time.perf_counter() - start:.1f} s"
            )
        return tuple(cached[name] for name in _ARRAYS)
    arrays = read_reviews(path, chunk_lines=chunk_lines, progress=verbose)
    # A file rewritten while it was read would be cached under the key of
    # a version that was only partly read.
    if ArrayCache.for_file(path, folder, FORMAT_VERSION).key != store.key:
        warnings.warn(
            f"{path} changed while it was read; its reviews are not cached.",
            stacklevel=3,
        )
        return arrays
    try:
        store.save(dict(zip(_ARRAYS, arrays)))
    except OSError as err:
        warnings.warn(
            f"Could not write the cache file {store.path} ({err}); the next "
            f"load will parse {path} again.",
            stacklevel=3,
        )
    else:
        if verbose:
            _say(f"{os.path.basename(path)}: cached in {store.path}")
    return arrays


def _check_cached(arrays):
    """Raises `ValueError` unless `arrays` are `read_reviews`' output."""
    dtypes = {
        "users": np.int64,
        "items": np.int64,
        "ratings": np.float32,
        "timestamps": np.int64,
        "user_ids": object,
        "item_ids": object,
    }
    if sorted(arrays) != sorted(_ARRAYS):
        raise ValueError(f"it holds arrays {sorted(arrays)}")
    for name, dtype in dtypes.items():
        if arrays[name].dtype != dtype or arrays[name].ndim != 1:
            raise ValueError(f"`{name}` is not a 1-D {np.dtype(dtype)} array")
    n = len(arrays["users"])
    if n == 0 or any(len(arrays[k]) != n for k in dtypes if "_ids" not in k):
        raise ValueError("its row arrays differ in length or are empty")
    for codes, ids in (("users", "user_ids"), ("items", "item_ids")):
        if arrays[codes].min() < 0 or arrays[codes].max() >= len(arrays[ids]):
            raise ValueError(f"`{codes}` holds codes outside `{ids}`")


def _say(line):
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


class _Progress:
    """Progress of reading one file, on stderr (see `read_reviews`)."""

    TTY_INTERVAL = 0.25
    LOG_INTERVAL = 10.0

    def __init__(self, path, enabled, clock=time.perf_counter):
        self.enabled = enabled
        self.label = os.path.basename(path)
        self.total = os.path.getsize(path) if enabled else 0
        # Looked up now, not at import, so that redirections (and pytest's
        # capsys) in force at the call are honoured.
        self.stream = sys.stderr
        isatty = getattr(self.stream, "isatty", None)
        self.tty = bool(isatty and isatty())
        self.interval = self.TTY_INTERVAL if self.tty else self.LOG_INTERVAL
        self.clock = clock
        self.start = self.last = clock()
        self.drawn = False

    def __enter__(self):
        if self.enabled:
            self._show(f"{self.label}: reading {_size(self.total)}")
        return self

    def __exit__(self, *exc_info):
        # End a line drawn in place, so an error starts on its own line.
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()
            self.drawn = False

    def update(self, done, lines):
        """Shows `done` bytes and `lines` lines read, if it is time to."""
        now = self.clock()
        if self.enabled and now - self.last >= self.interval:
            self.last = now
            self._show(self.text(done, lines, now))

    def finish(self, done, lines):
        """Shows the totals."""
        if self.enabled:
            now = self.clock()
            self._show(self.text(done, lines, now, final=True))
            self.__exit__()

    def text(self, done, lines, now, final=False):
        elapsed = max(now - self.start, 1e-9)
        rate = done / elapsed
        if final:
            return (
                f"{self.label}: read {_size(done)}, {lines:,} lines in "
                f"{clock_text(elapsed)} ({_size(rate)}/s)"
            )
        share = f" ({100 * done / self.total:.0f}%)" if self.total else ""
        eta = (self.total - done) / rate if rate > 0 else None
        return (
            f"{self.label}: {_size(done)} of {_size(self.total)}{share}, "
            f"{lines:,} lines, {_size(rate)}/s, {clock_text(elapsed)} "
            "elapsed" + ("" if eta is None else f", ETA {clock_text(eta)}")
        )

    def _show(self, line):
        if self.tty:
            self.stream.write("\r\033[K" + line)
            self.drawn = True
        else:
            self.stream.write(line + "\n")
        self.stream.flush()


def _size(n):
    """`n` bytes in B, KB, MB or GB (powers of 1024)."""
    for unit in ("B", "KB", "MB"):
        if abs(n) < 1024:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"


def _reject_json_array(path):
    # A JSON array may sit on one huge line; catch it before reading lines.
    with open(path, "rb") as f:
        head = f.read(4096).lstrip()
    if head.startswith(b"["):
        raise ValueError(
            f"{path}, line 1: the file is a JSON array; the Yelp review file "
            "must be JSON Lines (one review object per line), as Yelp "
            "distributes it."
        )


def _decode(lines, first_line, path):
    """The `_FIELDS` columns of the JSON objects in `lines` (one list per
    field, `None` where a field is missing) and their 1-based line
    numbers."""
    decode = json.JSONDecoder().decode
    columns = tuple([] for _ in _FIELDS)
    users, items, stars, dates = (column.append for column in columns)
    try:
        # Fast path: one object per line. Each object is dropped as soon as
        # its four fields are taken, so a chunk's review texts never pile
        # up in memory (one `json.loads` of the whole chunk held them all,
        # at 4 bytes a character once an emoji appears).
        for raw in lines:
            get = decode(raw.decode("utf-8")).get  # AttributeError: no dict
            users(get("user_id"))
            items(get("business_id"))
            stars(get("stars"))
            dates(get("date"))
        return columns, np.arange(first_line, first_line + len(lines))
    except (ValueError, AttributeError):
        pass
    # Slow path (blank lines, or an error to pin down): line by line.
    columns = tuple([] for _ in _FIELDS)
    numbers = []
    for offset, raw in enumerate(lines):
        if not raw.strip():
            continue
        number = first_line + offset
        try:
            record = json.loads(raw)
        except ValueError as err:
            raise ValueError(
                f"{path}, line {number}: not valid JSON ({err}); the file "
                f"must be JSON Lines, one review object per line. Line: "
                f"{_show(raw)}"
            ) from None
        if type(record) is not dict:
            raise ValueError(
                f"{path}, line {number}: expected a JSON object (one review "
                f"per line), got {type(record).__name__}. Line: {_show(raw)}"
            )
        for column, field in zip(columns, _FIELDS):
            column.append(record.get(field))
        numbers.append(number)
    return columns, np.asarray(numbers, dtype=np.int64)


def _show(raw):
    text = raw.decode("utf-8", errors="replace").rstrip("\r\n")
    return repr(text[:200] + ("..." if len(text) > 200 else ""))


def _fail(path, numbers, column, bad, what):
    pos = int(np.flatnonzero(bad)[0])
    value = column.iloc[pos]
    if isinstance(value, np.generic):  # numpy 2 would show np.float64(6.0)
        value = value.item()
    missing = value is None or (isinstance(value, float) and np.isnan(value))
    shown = "missing" if missing else repr(value)
    raise ValueError(
        f"{path}, line {numbers[pos]}: `{column.name}` must be {what}. "
        f"Received: {shown}"
    )


def _intern(column, vocab, numbers, path):
    """Integer codes of string ids, growing `vocab` (id -> code)."""
    # pandas' `str` dtype reports "string" even with missing values.
    if (
        pd.api.types.infer_dtype(column, skipna=False) != "string"
        or column.isna().any()
    ):
        bad = np.array([not isinstance(v, str) for v in column])
        _fail(path, numbers, column, bad, "a string id")
    local, uniques = pd.factorize(column)
    # One dict lookup per distinct id in the chunk, not per row.
    codes = np.fromiter(
        (vocab.setdefault(u, len(vocab)) for u in uniques),
        dtype=np.int64,
        count=len(uniques),
    )
    return codes[local]


def _stars(column, numbers, path):
    values = pd.to_numeric(column, errors="coerce").to_numpy(
        dtype=np.float64, na_value=np.nan
    )
    low, high = RATING_SCALE
    _check(path, numbers, column, ~np.isfinite(values), "a number")
    _check(
        path,
        numbers,
        column,
        (values < low) | (values > high),
        f"within the star scale {low}..{high}",
    )
    return values.astype(np.float32)


def _dates(column, numbers, path):
    times = pd.to_datetime(column, format=_DATE_FORMAT, errors="coerce")
    _check(
        path,
        numbers,
        column,
        times.isna().to_numpy(),
        "a 'YYYY-MM-DD HH:MM:SS' date",
    )
    return ((times - _EPOCH) // pd.Timedelta(seconds=1)).to_numpy(
        dtype=np.int64
    )


def _check(path, numbers, column, bad, what):
    if bad.any():
        _fail(path, numbers, column, bad, what)
