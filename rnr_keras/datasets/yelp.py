"""Yelp Open Dataset reviews, streamed from the JSON Lines review file."""

import itertools
import json
import os

import numpy as np
import pandas as pd

from rnr_keras.datasets.cleaning import clean
from rnr_keras.datasets.paths import find_file

REVIEW_FILE = "yelp_academic_dataset_review.json"
RATING_SCALE = (1, 5)
_FIELDS = ["user_id", "business_id", "stars", "date"]
_DATE_FORMAT = "%Y-%m-%d %H:%M:%S"
_EPOCH = pd.Timestamp(0)


def load_yelp(data_dir=None, min_interactions=4, chunk_lines=50_000):
    """Loads the Yelp reviews as `Interactions` (users x businesses, stars).

    Yelp cannot be downloaded automatically: its terms must be accepted at
    https://www.yelp.com/dataset. Put `yelp_academic_dataset_review.json`
    in `$RNR_DATA_DIR/yelp/` or pass `data_dir`. The dates (local times
    without a zone) are read as UTC.

    Args:
        data_dir: str, path-like or `None`. Folder holding the review file.
            Defaults to `None` (`$RNR_DATA_DIR/yelp`, then the cache
            folder).
        min_interactions: int. Fewest reviews a user needs to be kept.
            Defaults to 4.
        chunk_lines: int. Lines parsed at a time; bounds the memory used
            besides the result. Defaults to 50000.

    Example:

    >>> data = load_yelp(data_dir="yelp", min_interactions=1)  # doctest: +SKIP
    """
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
    arrays = read_reviews(path, chunk_lines=chunk_lines)
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


def read_reviews(path, chunk_lines=50_000):
    """Streams a Yelp review file into compact arrays.

    Reads `chunk_lines` lines at a time, keeps only `user_id`,
    `business_id`, `stars` and `date`, and maps the string ids to integer
    codes as it goes, so memory holds one chunk plus the result (and the
    distinct ids), never the whole file or its review texts. Each chunk is
    decoded in one `json.loads` call; a chunk that fails is re-read line by
    line to report the exact line.

    Args:
        path: str. A JSON Lines file, one review object per line.
        chunk_lines: int. Lines per chunk. Defaults to 50000.

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
    if (
        isinstance(chunk_lines, bool)
        or not isinstance(chunk_lines, int)
        or chunk_lines <= 0
    ):
        raise ValueError(
            "`chunk_lines` must be a positive integer. Received: "
            f"chunk_lines={chunk_lines!r}"
        )
    path = os.fspath(path)
    _reject_json_array(path)
    user_vocab, item_vocab = {}, {}
    parts = {"users": [], "items": [], "ratings": [], "timestamps": []}
    first_line = 1
    with open(path, "rb") as f:
        while True:
            lines = list(itertools.islice(f, chunk_lines))
            if not lines:
                break
            records, numbers = _decode(lines, first_line, path)
            first_line += len(lines)
            if not records:
                continue
            frame = pd.DataFrame.from_records(records, columns=_FIELDS)
            del records
            parts["users"].append(
                _intern(frame["user_id"], user_vocab, numbers, path)
            )
            parts["items"].append(
                _intern(frame["business_id"], item_vocab, numbers, path)
            )
            parts["ratings"].append(_stars(frame["stars"], numbers, path))
            parts["timestamps"].append(_dates(frame["date"], numbers, path))
    if not parts["users"]:
        raise ValueError(f"{path} holds no reviews.")
    return (
        np.concatenate(parts["users"]),
        np.array(list(user_vocab), dtype=object),
        np.concatenate(parts["items"]),
        np.array(list(item_vocab), dtype=object),
        np.concatenate(parts["ratings"]),
        np.concatenate(parts["timestamps"]),
    )


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
    """JSON objects of `lines` and their 1-based line numbers."""
    try:
        # One C-level parse for the whole chunk; fast path.
        records = json.loads(b"[" + b",".join(lines) + b"]")
        if len(records) == len(lines) and all(type(r) is dict for r in records):
            return records, np.arange(first_line, first_line + len(lines))
    except ValueError:
        pass
    # Slow path (blank lines, or an error to pin down): line by line.
    records, numbers = [], []
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
        records.append(record)
        numbers.append(number)
    return records, np.asarray(numbers, dtype=np.int64)


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
