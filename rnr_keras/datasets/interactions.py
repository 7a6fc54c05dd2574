"""The one container type for user-item interaction data."""

import numpy as np
import pandas as pd


class Interactions:
    """User-item interactions with explicit ratings and timestamps.

    Every dataset loader, the protocol's split parts and the input pipelines
    use this one type. Users and items are contiguous `int32` indices into
    `user_ids` / `item_ids` (index -> raw id); all parts of a split share the
    index space of the whole dataset, so a model trained on `split.train`
    scores the same item indices that `split.test` holds.

    Args:
        users: int array. User index of each interaction, in
            `[0, num_users)`.
        items: int array. Item index of each interaction, in
            `[0, num_items)`.
        ratings: float array or `None`. Explicit rating of each interaction.
            Defaults to all ones (implicit feedback).
        timestamps: int array or `None`. Unix seconds of each interaction.
            Defaults to the input order (0, 1, 2, ...).
        user_ids: array or `None`. Raw id of each user index. Defaults to
            the indices themselves.
        item_ids: array or `None`. Raw id of each item index. Defaults to
            the indices themselves.
        num_users: int or `None`. Size of the user index space. Defaults to
            `len(user_ids)`, or `max(users) + 1`.
        num_items: int or `None`. Size of the item index space. Defaults to
            `len(item_ids)`, or `max(items) + 1`.
        name: str. A label, e.g. the dataset name. Defaults to `""`.

    Example:

    >>> data = Interactions(users=[0, 0, 1], items=[1, 2, 0],
    ...                     ratings=[4, 5, 3], timestamps=[10, 20, 30])
    >>> data.num_users, data.num_items, len(data)
    (2, 3, 3)
    """

    def __init__(
        self,
        users,
        items,
        ratings=None,
        timestamps=None,
        *,
        user_ids=None,
        item_ids=None,
        num_users=None,
        num_items=None,
        name="",
    ):
        users = np.asarray(users)
        items = np.asarray(items)
        n = len(users)
        if users.ndim != 1 or items.shape != users.shape:
            raise ValueError(
                "`users` and `items` must be 1-D arrays of equal length. "
                f"Received: users.shape={users.shape}, "
                f"items.shape={items.shape}"
            )
        for arg, arr in (("users", users), ("items", items)):
            if n and not np.issubdtype(arr.dtype, np.integer):
                raise TypeError(
                    f"`{arg}` must hold integer indices. Received dtype "
                    f"{arr.dtype}"
                )
        ratings = (
            np.ones(n, dtype=np.float32)
            if ratings is None
            else np.asarray(ratings, dtype=np.float32)
        )
        timestamps = (
            np.arange(n, dtype=np.int64)
            if timestamps is None
            else np.asarray(timestamps, dtype=np.int64)
        )
        for arg, arr in (("ratings", ratings), ("timestamps", timestamps)):
            if arr.shape != users.shape:
                raise ValueError(
                    f"`{arg}` must have one value per interaction: expected "
                    f"shape {users.shape}, received {arr.shape}"
                )
        if n and not np.all(np.isfinite(ratings)):
            bad = int(np.flatnonzero(~np.isfinite(ratings))[0])
            raise ValueError(
                f"`ratings` must be finite. Received ratings[{bad}]="
                f"{ratings[bad]}"
            )

        if user_ids is not None:
            user_ids = np.asarray(user_ids)
        if item_ids is not None:
            item_ids = np.asarray(item_ids)
        if num_users is None:
            num_users = (
                len(user_ids)
                if user_ids is not None
                else int(users.max()) + 1 if n else 0
            )
        if num_items is None:
            num_items = (
                len(item_ids)
                if item_ids is not None
                else int(items.max()) + 1 if n else 0
            )
        num_users, num_items = int(num_users), int(num_items)
        if user_ids is None:
            user_ids = np.arange(num_users)
        if item_ids is None:
            item_ids = np.arange(num_items)
        if len(user_ids) != num_users or len(item_ids) != num_items:
            raise ValueError(
                "`user_ids` / `item_ids` must have one raw id per index. "
                f"Received len(user_ids)={len(user_ids)} for "
                f"num_users={num_users}, len(item_ids)={len(item_ids)} for "
                f"num_items={num_items}"
            )
        for arg, arr, size in (
            ("users", users, num_users),
            ("items", items, num_items),
        ):
            if n and (arr.min() < 0 or arr.max() >= size):
                bad = arr[(arr < 0) | (arr >= size)][0]
                raise ValueError(
                    f"`{arg}` holds index {bad}, outside [0, {size})"
                )

        self.users = users.astype(np.int32)
        self.items = items.astype(np.int32)
        self.ratings = ratings
        self.timestamps = timestamps
        self.user_ids = user_ids
        self.item_ids = item_ids
        self.num_users = num_users
        self.num_items = num_items
        self.name = name
        self._user_lookup = None
        self._item_lookup = None
        self._csr = None

    def __len__(self):
        return len(self.users)

    def __repr__(self):
        label = f"{self.name!r}, " if self.name else ""
        return (
            f"Interactions({label}{len(self)} interactions, "
            f"{self.num_users} users, {self.num_items} items)"
        )

    # Raw id <-> index.
    @property
    def user_lookup(self):
        """dict. Raw user id -> user index."""
        if self._user_lookup is None:
            self._user_lookup = {
                raw: idx for idx, raw in enumerate(self.user_ids.tolist())
            }
        return self._user_lookup

    @property
    def item_lookup(self):
        """dict. Raw item id -> item index."""
        if self._item_lookup is None:
            self._item_lookup = {
                raw: idx for idx, raw in enumerate(self.item_ids.tolist())
            }
        return self._item_lookup

    def user_index(self, raw_ids):
        """Maps raw user ids to indices; raises `KeyError` naming a miss."""
        return _lookup(self.user_lookup, raw_ids, "user")

    def item_index(self, raw_ids):
        """Maps raw item ids to indices; raises `KeyError` naming a miss."""
        return _lookup(self.item_lookup, raw_ids, "item")

    # Derived views.
    def select(self, rows):
        """Returns the interactions at `rows` (a mask or positions).

        The result keeps this object's index space and raw-id maps.
        """
        rows = np.asarray(rows)
        if rows.dtype == bool and rows.shape != self.users.shape:
            raise ValueError(
                f"A boolean `rows` mask needs shape {self.users.shape}. "
                f"Received {rows.shape}"
            )
        return Interactions(
            self.users[rows],
            self.items[rows],
            self.ratings[rows],
            self.timestamps[rows],
            user_ids=self.user_ids,
            item_ids=self.item_ids,
            num_users=self.num_users,
            num_items=self.num_items,
            name=self.name,
        )

    def csr(self):
        """Per-user rows: `(indptr, items, ratings)`.

        User `u`'s items are `items[indptr[u]:indptr[u + 1]]`, in input
        order, with their ratings alongside. Cached.
        """
        if self._csr is None:
            order = np.argsort(self.users, kind="stable")
            counts = np.bincount(self.users, minlength=self.num_users)
            indptr = np.zeros(self.num_users + 1, dtype=np.int64)
            np.cumsum(counts, out=indptr[1:])
            self._csr = (indptr, self.items[order], self.ratings[order])
        return self._csr

    def time_order(self):
        """Row positions sorted by user, then timestamp, then input order.

        Each user's rows in this order are their history in time; among
        equal timestamps the row that comes later in the input counts as
        later (the protocol's rule for "last", which sequence models and
        `Transition` follow too).
        """
        positions = np.arange(len(self))
        return np.lexsort((positions, self.timestamps, self.users))

    def user_counts(self):
        """int64 array `(num_users,)`: interactions per user."""
        return np.bincount(self.users, minlength=self.num_users)

    def item_counts(self):
        """int64 array `(num_items,)`: interactions per item."""
        return np.bincount(self.items, minlength=self.num_items)

    def to_frame(self, raw_ids=False):
        """A `pandas.DataFrame` with columns user, item, rating, timestamp.

        Args:
            raw_ids: bool. Whether to give raw ids instead of indices.
                Defaults to `False`.
        """
        users, items = self.users, self.items
        if raw_ids:
            users, items = self.user_ids[users], self.item_ids[items]
        return pd.DataFrame(
            {
                "user": users,
                "item": items,
                "rating": self.ratings,
                "timestamp": self.timestamps,
            }
        )

    def info(self):
        """Summary counts: users, items, ratings, density, histogram, span."""
        n = len(self)
        values, counts = np.unique(self.ratings, return_counts=True)
        active_users = int(np.count_nonzero(self.user_counts()))
        active_items = int(np.count_nonzero(self.item_counts()))
        return {
            "name": self.name,
            "users": active_users,
            "items": active_items,
            "ratings": n,
            "density": n / (active_users * active_items) if n else 0.0,
            "rating_histogram": {
                _number(v): int(c) for v, c in zip(values, counts)
            },
            "first_timestamp": int(self.timestamps.min()) if n else None,
            "last_timestamp": int(self.timestamps.max()) if n else None,
        }


def _number(value):
    value = float(value)
    return int(value) if value.is_integer() else value


def _lookup(table, raw_ids, kind):
    scalar = np.ndim(raw_ids) == 0
    raw = [raw_ids] if scalar else list(np.asarray(raw_ids).tolist())
    out = np.empty(len(raw), dtype=np.int32)
    for pos, key in enumerate(raw):
        try:
            out[pos] = table[key]
        except KeyError:
            raise KeyError(f"Unknown raw {kind} id {key!r}") from None
    return int(out[0]) if scalar else out
