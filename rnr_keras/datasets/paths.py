"""Where dataset files are looked for, and where downloads are cached."""

import os

DATA_DIR_ENV = "RNR_DATA_DIR"
CACHE_DIR_ENV = "RNR_CACHE_DIR"


def cache_dir(name):
    """The cache folder of dataset `name`.

    `$RNR_CACHE_DIR/<name>` when `RNR_CACHE_DIR` is set, else
    `~/.cache/rnr_keras/<name>`. The folder may not exist yet.

    Args:
        name: str. Dataset name, e.g. `"ml-100k"`.

    Example:

    >>> cache_dir("ml-100k").endswith("ml-100k")
    True
    """
    root = os.environ.get(CACHE_DIR_ENV) or os.path.join(
        os.path.expanduser("~"), ".cache", "rnr_keras"
    )
    return os.path.join(root, name)


def candidate_dirs(name, data_dir=None):
    """The folders that may hold dataset `name`'s files, in search order.

    An explicit `data_dir` is the only candidate: a path the caller chose is
    never silently replaced by another copy. Otherwise the candidates are
    `$RNR_DATA_DIR/<name>` (when the variable is set), then the cache folder
    (see `cache_dir`).

    Args:
        name: str. Dataset name, e.g. `"ml-100k"`.
        data_dir: str, path-like or `None`. The folder that holds the
            dataset's files (for MovieLens 100K, the one holding `u.data`).
            Defaults to `None`.

    Example:

    >>> candidate_dirs("ml-100k", data_dir="/data/ml-100k")
    ['/data/ml-100k']
    """
    if data_dir is not None:
        return [os.fspath(data_dir)]
    dirs = []
    env_root = os.environ.get(DATA_DIR_ENV)
    if env_root:
        dirs.append(os.path.join(env_root, name))
    dirs.append(cache_dir(name))
    return dirs


def find_file(name, filename, data_dir=None):
    """Finds `filename` of dataset `name` in the `candidate_dirs`.

    Args:
        name: str. Dataset name.
        filename: str. File to look for, e.g. `"u.data"`.
        data_dir: str, path-like or `None`. See `candidate_dirs`. Defaults
            to `None`.

    Returns:
        `(path, looked)`: the first existing path, or `None`, and the list of
        every path that was tried.

    Example:

    >>> path, looked = find_file("ml-100k", "u.data", data_dir="/nowhere")
    >>> path is None, looked
    (True, ['/nowhere/u.data'])
    """
    looked = []
    for folder in candidate_dirs(name, data_dir):
        path = os.path.join(folder, filename)
        looked.append(path)
        if os.path.isfile(path):
            return path, looked
    return None, looked
