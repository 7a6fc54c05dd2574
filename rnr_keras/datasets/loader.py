"""`load`: every built-in dataset by name."""

from rnr_keras.datasets.cleaning import check_min_interactions
from rnr_keras.datasets.cleaning import clean
from rnr_keras.datasets.movielens import load_movielens
from rnr_keras.datasets.time_resolution import check_resolution
from rnr_keras.datasets.time_resolution import round_timestamps
from rnr_keras.datasets.yelp import load_yelp

DATASETS = ("ml-100k", "ml-1m", "yelp", "synthetic")


def load(
    name,
    data_dir=None,
    download=True,
    min_interactions=4,
    time_resolution="second",
    **kwargs,
):
    """Loads a built-in dataset as clean `Interactions`.

    Files are looked for in `data_dir` when given (and only there), else in
    `$RNR_DATA_DIR/<name>/`, else in the cache folder `$RNR_CACHE_DIR/<name>/`
    (default `~/.cache/rnr_keras/<name>/`). MovieLens missing from all of
    them is downloaded from GroupLens into the cache (checksum verified,
    installed atomically) unless `download=False` or `data_dir` is given.
    Yelp is never downloaded: its terms must be accepted at yelp.com/dataset
    first, then the review file put in `$RNR_DATA_DIR/yelp/`.

    Every dataset is cleaned the same way: a (user, item) pair rated more
    than once keeps its latest rating (ties: the later row); users with
    fewer than `min_interactions` ratings are dropped; users and items are
    then indexed contiguously in ascending raw-id order. A coarser
    `time_resolution` is applied last, with
    `round_timestamps(data, time_resolution, seed=0)`.

    Args:
        name: str. One of `"ml-100k"`, `"ml-1m"`, `"yelp"`, `"synthetic"`.
        data_dir: str, path-like or `None`. The folder holding the dataset's
            files (e.g. the one with `u.data`). Not used by `"synthetic"`.
            Defaults to `None`.
        download: bool. Whether MovieLens may be downloaded into the cache
            when no copy is found. Defaults to `True`.
        min_interactions: int. Fewest interactions a user needs to be kept;
            0 or 1 keeps everyone. Defaults to 4 (the paper's filter).
        time_resolution: str. `"second"` keeps the timestamps as they are;
            `"hour"`, `"day"` or `"week"` floors them to that UTC unit and
            shuffles the rows (seed 0), so that interactions of a user in
            the same unit have no order left (see
            `rnr_keras.datasets.round_timestamps`): the held-out "last"
            row and time-ordered histories then see only that coarser
            order. Defaults to `"second"`.
        **kwargs: Passed to `rnr_keras.datasets.synthetic` for
            `"synthetic"` (e.g. `num_users`, `seed`); no other dataset takes
            extra arguments.

    Returns:
        `Interactions` with `name` set.

    Example:

    >>> from rnr_keras import datasets
    >>> data = datasets.load("synthetic", num_users=30, num_items=20)
    >>> data.name, data.num_users
    ('synthetic', 30)
    """
    if not isinstance(name, str) or name not in DATASETS:
        raise ValueError(
            f"Unknown dataset {name!r}. Known datasets: {', '.join(DATASETS)}"
        )
    if not isinstance(download, bool):
        raise ValueError(
            f"`download` must be a bool. Received: download={download!r}"
        )
    min_interactions = check_min_interactions(min_interactions)
    time_resolution = check_resolution(time_resolution, arg="time_resolution")
    if kwargs and name != "synthetic":
        raise TypeError(
            f"Dataset {name!r} takes no extra arguments (only synthetic "
            "does; every dataset takes `time_resolution`). Received: "
            f"{', '.join(f'{k}={v!r}' for k, v in kwargs.items())}"
        )
    if kwargs.get("return_traits"):
        raise TypeError(
            "`load` returns only the data. Call rnr_keras.datasets.synthetic("
            "..., return_traits=True) for the planted traits."
        )
    data = _load_clean(name, data_dir, download, min_interactions, kwargs)
    return round_timestamps(data, time_resolution, seed=0)


def _load_clean(name, data_dir, download, min_interactions, kwargs):
    if name in ("ml-100k", "ml-1m"):
        return load_movielens(
            name,
            data_dir=data_dir,
            download=download,
            min_interactions=min_interactions,
        )
    if name == "yelp":
        return load_yelp(data_dir=data_dir, min_interactions=min_interactions)

    # Imported here so that the generator's module loads only when used.
    from rnr_keras.datasets.synthetic import synthetic

    raw = synthetic(**kwargs)
    return clean(
        raw.users,
        raw.items,
        raw.ratings,
        raw.timestamps,
        user_ids=raw.user_ids,
        item_ids=raw.item_ids,
        min_interactions=min_interactions,
        name="synthetic",
    )
