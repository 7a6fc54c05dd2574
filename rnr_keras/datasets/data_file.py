"""Your own interactions, from a CSV, TSV or Parquet file."""

import os
import re

import pandas as pd

from rnr_keras.datasets.frame import RowError
from rnr_keras.datasets.frame import from_frame
from rnr_keras.datasets.time_resolution import check_resolution
from rnr_keras.datasets.time_resolution import round_timestamps

#: The columns a file may give, in the order `from_frame` takes them;
#: `user` and `item` are required.
ROLES = ("user", "item", "rating", "timestamp")

#: File name endings `read_file` reads, and how.
FORMATS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".parquet": "parquet",
    ".pq": "parquet",
}

#: Compression a CSV or TSV may have, by ending (pandas reads it).
COMPRESSIONS = (".gz", ".bz2", ".xz", ".zip")

_SEPARATORS = {"csv": ",", "tsv": "\t"}
# A canonical integer: no sign but minus, no leading zero, fits int64.
_INTEGER = re.compile(r"-?(0|[1-9][0-9]{0,17})")


def read_file(
    path,
    columns=None,
    rating_scale=None,
    min_interactions=4,
    time_resolution="second",
    name=None,
):
    """Reads your interactions from a CSV, TSV or Parquet file.

    The format comes from the file name: `.csv`; `.tsv` or `.tab`
    (tab-separated); `.parquet` or `.pq` (needs `pyarrow`:
    `pip install "rnr_keras[parquet]"`). A CSV or TSV may be compressed
    (`.csv.gz`, also `.bz2`, `.xz`, `.zip`) and must start with a header
    line naming its columns. The rows then go through `from_frame`, so they
    are cleaned as every dataset is (see `rnr_keras.datasets.load`).

    Each role (`user`, `item`, `rating`, `timestamp`) is read from the
    column `columns` names for it, else from the column named like the role
    when the file has one. `user` and `item` are required. Without a rating
    column the data is implicit feedback (every rating 1); without a
    timestamp column the file's row order is the time order.

    User and item ids are read as text, with surrounding whitespace
    stripped, so `"007"` stays `"007"`. A CSV or TSV id column whose every
    id is a plain integer (`"42"`, not `"042"` or `"4.0"`) becomes integers,
    so a MovieLens-like file gives the ids, and the index order, of
    `datasets.load`. Parquet columns keep their stored types. Times are
    integer (or float) unix seconds, or date strings read as UTC.

    Errors name the file and where in it: the line for a CSV or TSV (the
    header is line 1, so the first data row is line 2; counted as one line
    per row, i.e. no line breaks inside quoted fields), the row for Parquet
    (the first row is row 1), and the value found.

    Args:
        path: str or path-like. The file.
        columns: dict or `None`. Column of each role, e.g.
            `{"user": "userId", "item": "movieId"}`; a role left out uses
            the column of its own name when there is one, and `rating` or
            `timestamp` set to `None` is not read. Defaults to `None`.
        rating_scale: tuple `(low, high)` or `None`. Inclusive range every
            rating must fall in. Defaults to `None` (no check).
        min_interactions: int. Fewest interactions a user needs to be kept;
            0 or 1 keeps everyone. Defaults to 4 (the paper's filter).
        time_resolution: str. `"second"`, `"hour"`, `"day"` or `"week"`,
            applied as `datasets.load` does. Defaults to `"second"`.
        name: str or `None`. Dataset name set on the result. Defaults to
            `None` (the file's name).

    Returns:
        `Interactions`.

    Raises:
        FileNotFoundError: no such file.
        ValueError: an unknown file ending or role, an empty file, a
            missing column (the message lists the file's columns), a blank
            id column, or a bad value (the message gives its line or row).
            A Parquet file without `pyarrow` installed raises an
            `ImportError` that is also a `ValueError`.

    Example:

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "ratings.csv")
    >>> with open(path, "w") as file:
    ...     _ = file.write("userId,movieId,rating\\n"
    ...                    "007,10,4\\n007,11,5\\n8,10,3\\n")
    >>> data = read_file(path, columns={"user": "userId", "item": "movieId"},
    ...                  min_interactions=1)
    >>> data.user_ids.tolist(), data.item_ids.tolist(), data.name
    (['007', '8'], [10, 11], 'ratings.csv')
    """
    path = os.fspath(path)
    kind = _format(path)
    time_resolution = check_resolution(time_resolution, arg="time_resolution")
    if not os.path.isfile(path):
        if os.path.exists(path):
            raise IsADirectoryError(f"Data file {path} is not a file")
        raise FileNotFoundError(f"Data file {path} does not exist")
    header = _header(path, kind)
    roles = _roles(path, header, columns)
    raw = _read(path, kind, roles)
    where = _parquet_row if kind == "parquet" else _line
    frame = _frame(path, raw, roles, integers=kind != "parquet")
    try:
        data = from_frame(
            frame,
            **roles,
            rating_scale=rating_scale,
            min_interactions=min_interactions,
            name=os.path.basename(path) if name is None else name,
        )
    except RowError as err:
        ids = {roles["user"]: "user", roles["item"]: "item"}
        if err.column in ids:
            problem = f"a blank {ids[err.column]} id"
        else:
            # The value as the file has it, not as converted for from_frame.
            value = raw[err.column].iloc[err.position]
            problem = f"{err.problem}: {_shown(value)}"
        raise ValueError(
            f"{path}, {where(raw, err.position)}: column {err.column!r} has "
            f"{problem}"
        ) from None
    except ValueError as err:
        raise ValueError(f"{path}: {err}") from None
    return round_timestamps(data, time_resolution, seed=0)


def _format(path):
    lower = path.lower()
    for ending, kind in FORMATS.items():
        if lower.endswith(ending):
            return kind
        if kind != "parquet" and any(
            lower.endswith(ending + zipped) for zipped in COMPRESSIONS
        ):
            return kind
    endings = ", ".join(FORMATS)
    raise ValueError(
        f"Data file {path} has an unknown ending. Known: {endings} (CSV and "
        f"TSV may end in {', '.join(COMPRESSIONS)} too)"
    )


def _header(path, kind):
    """The file's column names."""
    if kind == "parquet":
        parquet = _pyarrow_parquet(path)
        try:
            names = parquet.read_schema(path).names
        except (OSError, ValueError) as err:
            raise ValueError(f"{path} cannot be read as Parquet: {err}") from None
        # pandas stores a frame's index as extra columns; they are not data.
        names = [n for n in names if not n.startswith("__index_level_")]
        if not names:
            raise ValueError(f"Data file {path} is empty: it has no columns")
        return names
    try:
        header = pd.read_csv(path, sep=_SEPARATORS[kind], nrows=0)
    except pd.errors.EmptyDataError:
        raise ValueError(
            f"Data file {path} is empty: it needs a header line naming its "
            "columns, then one line per interaction"
        ) from None
    except (OSError, ValueError) as err:
        raise ValueError(f"{path} cannot be read as {kind.upper()}: {err}") from None
    return [str(name) for name in header.columns]


def _roles(path, header, columns):
    """The column of each role (`None`: not in the file)."""
    if columns is None:
        columns = {}
    if not isinstance(columns, dict):
        raise ValueError(
            "`columns` must be a dict of role -> column name. Received: "
            f"columns={columns!r}"
        )
    unknown = [role for role in columns if role not in ROLES]
    if unknown:
        raise ValueError(
            f"Unknown role {unknown[0]!r} in columns={columns!r} for {path}. "
            f"Roles: {', '.join(ROLES)}"
        )
    roles = {}
    for role in ROLES:
        required = role in ("user", "item")
        if role in columns:
            column = columns[role]
            if column is None and not required:
                roles[role] = None
                continue
            if not isinstance(column, str) or column not in header:
                raise ValueError(
                    f"Data file {path} has no column {column!r} (given for "
                    f"{role}). Its columns: {header}"
                )
        elif role in header:
            column = role
        elif required:
            raise ValueError(
                f"Data file {path} has no {role!r} column: name the column "
                f"of {role} ids with columns={{{role!r}: ...}} (`--columns "
                f"{role}=COLUMN`). Its columns: {header}"
            )
        else:
            column = None
        roles[role] = column
    used = [column for column in roles.values() if column is not None]
    if len(set(used)) < len(used):
        raise ValueError(
            f"Each role needs a column of its own in {path}. Received: "
            + ", ".join(f"{role}={column!r}" for role, column in roles.items())
        )
    return roles


def _read(path, kind, roles):
    """The used columns, one row per data row (blank lines dropped); the
    index is the row's position in the file, for `_line`."""
    used = [column for column in roles.values() if column is not None]
    if kind == "parquet":
        try:
            raw = pd.read_parquet(path, columns=used).reset_index(drop=True)
        except (OSError, ValueError) as err:
            raise ValueError(f"{path} cannot be read as Parquet: {err}") from None
        if len(raw) == 0:
            raise ValueError(f"Data file {path} is empty: it has no rows")
        return raw
    ids = [roles["user"], roles["item"]]
    try:
        raw = pd.read_csv(
            path,
            sep=_SEPARATORS[kind],
            # Every column, not `usecols`: with it pandas would let a line
            # with too many fields pass.
            dtype={column: str for column in ids},
            # Only an empty field is missing: an id "NA" or "None" is an id.
            keep_default_na=False,
            na_values=[""],
            skipinitialspace=True,
            # Blank lines stay rows here, so that the index counts lines.
            skip_blank_lines=False,
        )
    except (OSError, ValueError) as err:
        raise ValueError(f"{path} cannot be read as {kind.upper()}: {err}") from None
    raw = raw[used]
    raw = raw[raw.notna().any(axis=1)]
    if len(raw) == 0:
        raise ValueError(
            f"Data file {path} is empty: it has a header but no rows"
        )
    return raw


def _frame(path, raw, roles, integers):
    """`raw` as `from_frame` reads it: text ids stripped (and, with
    `integers`, all-integer ones as integers), number-like text times as
    numbers. Rows keep their positions, which `read_file` maps to lines."""
    frame = raw.copy()
    for role in ("user", "item"):
        column = roles[role]
        values = frame[column]
        if pd.api.types.is_string_dtype(values):
            stripped = values.str.strip()
            values = stripped.where(stripped != "")
        if values.isna().all():
            raise ValueError(
                f"Data file {path}: the {role} column {column!r} is blank on "
                "every row"
            )
        if (
            integers
            and pd.api.types.is_string_dtype(values)
            and values.notna().all()
            and values.str.fullmatch(_INTEGER).all()
        ):
            values = values.astype("int64")
        frame[column] = values
    column = roles["timestamp"]
    if column is not None and pd.api.types.is_string_dtype(frame[column]):
        numbers = pd.to_numeric(frame[column], errors="coerce")
        # Mostly numbers: unix seconds, the rest unreadable. Else date
        # strings, which `from_frame` parses.
        if numbers.notna().mean() > 0.5:
            frame[column] = numbers
    return frame


def _line(raw, position):
    # Header is line 1; the index counts data rows from 0, blank ones too.
    return f"line {int(raw.index[position]) + 2}"


def _parquet_row(raw, position):
    return f"row {position + 1}"


def _shown(value):
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "blank"
    if isinstance(value, str) and not value.strip():
        return "blank"
    return repr(value.item() if hasattr(value, "item") else value)


class _PyarrowMissing(ImportError, ValueError):
    # An ImportError, and a ValueError so that the command line prints it
    # as one line, as it does bad input.
    pass


def _pyarrow_parquet(path):
    try:
        import pyarrow.parquet
    except ImportError:
        raise _PyarrowMissing(
            f"Reading the Parquet file {path} needs pyarrow, which is not "
            "installed: pip install pyarrow (or pip install "
            "'rnr_keras[parquet]')",
            name="pyarrow",
        ) from None
    return pyarrow.parquet
