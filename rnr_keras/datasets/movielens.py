"""MovieLens 100K and 1M: locating, downloading and parsing the files."""

import csv
import os

import numpy as np
import pandas as pd

from rnr_keras.datasets import download as download_lib
from rnr_keras.datasets.cleaning import clean
from rnr_keras.datasets.paths import cache_dir
from rnr_keras.datasets.paths import find_file

_BASE_URL = "https://files.grouplens.org/datasets/movielens/"

# Per release: its files, their separator, and the official archive with the
# MD5 GroupLens publishes for it.
ARCHIVES = {
    "ml-100k": {
        "ratings": "u.data",
        "titles": "u.item",
        "separator": "\t",
        "title_separator": "|",
        "url": _BASE_URL + "ml-100k.zip",
        "md5": "0e33842e24a9c977be4e0107933c0723",
    },
    "ml-1m": {
        "ratings": "ratings.dat",
        "titles": "movies.dat",
        "separator": "::",
        "title_separator": "::",
        "url": _BASE_URL + "ml-1m.zip",
        "md5": "c4d9eecfca2ab87c1945afe126590906",
    },
}

RATING_SCALE = (1, 5)


def load_movielens(name, data_dir=None, download=True, min_interactions=4):
    """Loads MovieLens `name` (`"ml-100k"` or `"ml-1m"`) as `Interactions`.

    See `rnr_keras.datasets.load` for where the files are looked for, when
    they are downloaded and how the rows are cleaned.

    Args:
        name: str. `"ml-100k"` or `"ml-1m"`.
        data_dir: str, path-like or `None`. Folder holding `u.data` (100K)
            or `ratings.dat` (1M). Defaults to `None`.
        download: bool. Whether to download the official archive into the
            cache when no copy is found. Defaults to `True`.
        min_interactions: int. Fewest ratings a user needs to be kept.
            Defaults to 4.

    Example:

    >>> data = load_movielens("ml-100k")  # doctest: +SKIP
    >>> data.num_users, data.num_items, len(data)  # doctest: +SKIP
    (943, 1682, 100000)
    """
    spec = _spec(name)
    path = ratings_path(name, data_dir=data_dir, download=download)
    users, items, ratings, timestamps = read_ratings(path, spec["separator"])
    return clean(
        users,
        items,
        ratings,
        timestamps,
        min_interactions=min_interactions,
        name=name,
    )


def ratings_path(name, data_dir=None, download=True):
    """Path of MovieLens `name`'s ratings file, downloading it if allowed.

    Args:
        name: str. `"ml-100k"` or `"ml-1m"`.
        data_dir: str, path-like or `None`. See `load_movielens`. When set,
            nothing is downloaded. Defaults to `None`.
        download: bool. See `load_movielens`. Defaults to `True`.

    Example:

    >>> ratings_path("ml-100k", data_dir="/data/ml-100k")  # doctest: +SKIP
    '/data/ml-100k/u.data'
    """
    spec = _spec(name)
    filename = spec["ratings"]
    path, looked = find_file(name, filename, data_dir)
    if path is not None:
        return path
    where = "Looked for it at: " + ", ".join(looked) + "."
    fix = (
        f"Set RNR_DATA_DIR to a folder that holds {name}/{filename}, or pass "
        f"data_dir= the folder that holds {filename} (`--data-dir` on the "
        "command line)"
    )
    if data_dir is not None or not download:
        reason = (
            "data_dir was given, so nothing is downloaded"
            if data_dir is not None
            else "download=False"
        )
        raise FileNotFoundError(
            f"MovieLens {name} ratings file {filename} not found ({reason}). "
            f"{where} {fix}, or allow the download of {spec['url']}."
        )
    target = cache_dir(name)
    try:
        download_lib.download_and_extract(
            spec["url"], spec["md5"], target, member=name
        )
    except OSError as err:
        raise FileNotFoundError(
            f"MovieLens {name} ratings file {filename} not found, and "
            f"downloading {spec['url']} failed: {err}. {where} {fix}."
        ) from err
    path = os.path.join(target, filename)
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"The archive {spec['url']} unpacked to {target} but has no "
            f"{filename}."
        )
    return path


def read_ratings(path, separator):
    """Parses a MovieLens ratings file into raw arrays.

    Lines are `user<sep>item<sep>rating<sep>timestamp` with integer ids and
    times and ratings in 1..5; blank lines are skipped. The file is parsed
    by pandas' C reader (`::` files are read as `:`-separated with empty
    fields in between, which is ~20x faster than the Python engine).

    Args:
        path: str. The ratings file.
        separator: str. `"\\t"` (`u.data`) or `"::"` (`ratings.dat`).

    Returns:
        `(users, items, ratings, timestamps)`: raw user ids (int64), raw
        item ids (int64), ratings (float32), unix seconds (int64).

    Raises:
        ValueError: naming the file, the 1-based line number and the line,
            for a line with the wrong number of fields, a non-integer id or
            time, or a rating outside 1..5.

    Example:

    >>> users, items, ratings, times = read_ratings(  # doctest: +SKIP
    ...     "ml-100k/u.data", "\\t")
    """
    path = os.fspath(path)
    if separator == "::":
        width, values = 7, [0, 2, 4, 6]
        layout = "UserID::MovieID::Rating::Timestamp"
    elif separator == "\t":
        width, values = 4, [0, 1, 2, 3]
        layout = "user<TAB>item<TAB>rating<TAB>timestamp"
    else:
        raise ValueError(
            "`separator` must be '\\t' or '::'. Received: "
            f"separator={separator!r}"
        )
    try:
        df = pd.read_csv(
            path,
            sep=separator[0],
            header=None,
            names=range(width),
            quoting=csv.QUOTE_NONE,
            # Keep blank lines as empty rows so row i is line i + 1.
            skip_blank_lines=False,
            engine="c",
            encoding="latin-1",
        )
    except pd.errors.ParserError:
        line = _first_line_too_wide(path, separator[0], width)
        raise ValueError(_malformed(path, line, layout)) from None
    except pd.errors.EmptyDataError:
        df = pd.DataFrame(columns=range(width))

    blank = df.isna().all(axis=1).to_numpy()
    columns = [
        pd.to_numeric(df[c], errors="coerce").to_numpy(
            dtype=np.float64, na_value=np.nan
        )
        for c in values
    ]
    bad = np.zeros(len(df), dtype=bool)
    for pos, col in enumerate(columns):
        bad |= np.isnan(col)
        if pos != 2:  # ids and timestamps are integers
            bad |= col != np.round(col)
    for c in range(1, width, 2) if separator == "::" else ():
        bad |= df[c].notna().to_numpy()  # text between the two colons
    bad &= ~blank
    if bad.any():
        raise ValueError(
            _malformed(path, int(np.flatnonzero(bad)[0]) + 1, layout)
        )

    keep = ~blank
    users, items, ratings, timestamps = (col[keep] for col in columns)
    low, high = RATING_SCALE
    out = (ratings < low) | (ratings > high)
    if out.any():
        line = int(np.flatnonzero(keep)[np.flatnonzero(out)[0]]) + 1
        raise ValueError(
            f"{path}, line {line}: rating {ratings[out][0]:g} is outside the "
            f"MovieLens scale {low}..{high}. Line: {_line(path, line)!r}"
        )
    return (
        users.astype(np.int64),
        items.astype(np.int64),
        ratings.astype(np.float32),
        timestamps.astype(np.int64),
    )


def movielens_titles(name, data_dir=None):
    """Movie titles of MovieLens `name`: raw item id -> title.

    Reads `u.item` (100K, `|`-separated) or `movies.dat` (1M,
    `::`-separated), both latin-1, from the same places `load` looks in.
    Nothing is downloaded.

    Args:
        name: str. `"ml-100k"` or `"ml-1m"`.
        data_dir: str, path-like or `None`. Folder holding the file.
            Defaults to `None` (`$RNR_DATA_DIR/<name>`, then the cache).

    Returns:
        dict `{int raw item id: str title}`; `{}` when the file is absent.

    Example:

    >>> titles = movielens_titles("ml-100k")  # doctest: +SKIP
    >>> titles[1]  # doctest: +SKIP
    'Toy Story (1995)'
    """
    spec = _spec(name)
    path, _ = find_file(name, spec["titles"], data_dir)
    if path is None:
        return {}
    titles = {}
    sep = spec["title_separator"]
    # A few thousand lines, read once: plain splitting is simple and exact
    # (titles contain ':' and quotes that trip up CSV readers).
    with open(path, encoding="latin-1") as f:
        for number, line in enumerate(f, start=1):
            text = line.rstrip("\r\n")
            if not text.strip():
                continue
            fields = text.split(sep)
            if len(fields) < 2 or not fields[0].strip().isdigit():
                raise ValueError(
                    f"{path}, line {number}: expected `id{sep}title{sep}...` "
                    f"with an integer id. Line: {text!r}"
                )
            titles[int(fields[0])] = fields[1]
    return titles


def _spec(name):
    if name not in ARCHIVES:
        raise ValueError(
            f"Unknown MovieLens dataset {name!r}. Known: {sorted(ARCHIVES)}"
        )
    return ARCHIVES[name]


def _line(path, number):
    with open(path, encoding="latin-1") as f:
        for current, line in enumerate(f, start=1):
            if current == number:
                return line.rstrip("\r\n")
    return ""


def _first_line_too_wide(path, sep_char, width):
    # The C reader only fails on a line with more fields than `width`; find
    # it the way the reader counts (by single separator characters).
    with open(path, encoding="latin-1") as f:
        for number, line in enumerate(f, start=1):
            if len(line.rstrip("\r\n").split(sep_char)) > width:
                return number
    return 1


def _malformed(path, line, layout):
    return (
        f"{path}, line {line}: malformed MovieLens rating, expected "
        f"`{layout}` with integer ids and time and a numeric rating. "
        f"Line: {_line(path, line)!r}"
    )
