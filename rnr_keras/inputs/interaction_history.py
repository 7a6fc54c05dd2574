"""The training interactions a model reads at run time (never saved with it)."""

import numpy as np
from keras import ops

from rnr_keras.datasets.interactions import Interactions


class InteractionHistory:
    """Each user's training items and ratings, as backend tensors.

    Data, not model state: a model gets it from `model.adapt(train)` and
    reads it to mask seen items (`recommend`), to encode a user's row
    (CDAE, EASE) or their implicit feedback (SVD++). It is neither in the
    model's config nor in its weights, so a `.keras` file or preset never
    carries the training interactions, and a model's config does not depend
    on the training data's size. Stored as compressed-sparse rows
    (`indptr`, `items`, `ratings`), and for sequence models each user's row
    also in time order (`recent`): by timestamp, ties in input order, the
    same rule as the protocol's "last" interaction.

    Args:
        interactions: `Interactions`. The training data.

    Example:

    >>> from rnr_keras.datasets import Interactions
    >>> data = Interactions(users=[0, 0, 1], items=[1, 2, 0])
    >>> history = InteractionHistory(data)
    >>> ops.convert_to_numpy(history.rows(np.array([0, 1]))[0]).tolist()
    [[0.0, 1.0, 1.0], [1.0, 0.0, 0.0]]
    """

    def __init__(self, interactions):
        if not isinstance(interactions, Interactions):
            raise ValueError(
                "`interactions` must be an `Interactions`. Received: "
                f"interactions={interactions!r}"
            )
        self.num_users = interactions.num_users
        self.num_items = interactions.num_items
        self.size = len(interactions)
        indptr, items, ratings = interactions.csr()
        self._indptr_np = indptr.astype(np.int32)
        self._items_np = items.astype(np.int32)
        self.indptr = ops.convert_to_tensor(self._indptr_np)
        self.items = ops.convert_to_tensor(self._items_np)
        self.ratings = ops.convert_to_tensor(ratings.astype(np.float32))
        self.counts = ops.convert_to_tensor(
            np.diff(indptr).astype(np.float32)
        )
        # The same rows in time order (ties: input order), for `recent`.
        order = interactions.time_order()
        self._sequence_items_np = interactions.items[order].astype(np.int32)
        self.sequence_items = ops.convert_to_tensor(self._sequence_items_np)
        self.sequence_ratings = ops.convert_to_tensor(
            interactions.ratings[order].astype(np.float32)
        )

    def __len__(self):
        return self.size

    def entries(self, users):
        """Flat entries of `users`' rows.

        Returns:
            `(row, items, ratings)`: for every stored interaction of the
            given users, its position in `users`, its item and its rating.
            Vectorised: no loop over users.
        """
        users = ops.cast(users, "int32")
        starts = ops.take(self.indptr, users)
        lengths = ops.take(self.indptr, users + 1) - starts
        row = ops.repeat(ops.arange(ops.shape(users)[0], dtype="int32"), lengths)
        # Position of each entry inside its row: global position minus the
        # position where its row starts in the flat output.
        row_offsets = ops.cumsum(lengths) - lengths
        flat = ops.arange(ops.sum(lengths), dtype="int32")
        source = ops.take(starts - row_offsets, row) + flat
        return row, ops.take(self.items, source), ops.take(self.ratings, source)

    def rows(self, users):
        """Dense rows of `users`: `(multi_hot, ratings)`, each `(B, M)`."""
        row, items, ratings = self.entries(users)
        shape = (ops.shape(users)[0], self.num_items)
        index = ops.stack([row, items], axis=1)
        ones = ops.ones(ops.shape(items), dtype="float32")
        return ops.scatter(index, ones, shape), ops.scatter(index, ratings, shape)

    def recent(self, users, length):
        """The last `length` training items of `users`, in time order.

        Left-padded: a user with fewer items gets `-1` (rating 0) in the
        first slots, so position `length - 1` always holds the user's
        latest item. Vectorised: no loop over users.

        Args:
            users: int tensor `(B,)`.
            length: int. Items per user.

        Returns:
            `(items, ratings)`: int32 and float32 tensors `(B, length)`.

        Example:

        >>> from rnr_keras.datasets import Interactions
        >>> data = Interactions(users=[0, 0, 1], items=[1, 2, 0],
        ...                     timestamps=[20, 10, 5])
        >>> items, _ = InteractionHistory(data).recent(np.array([0, 1]), 3)
        >>> ops.convert_to_numpy(items).tolist()
        [[-1, 2, 1], [-1, -1, 0]]
        """
        users = ops.cast(users, "int32")
        starts = ops.take(self.indptr, users)
        ends = ops.take(self.indptr, users + 1)
        offsets = ops.arange(-length, 0, dtype="int32")
        positions = ops.expand_dims(ends, 1) + offsets
        valid = positions >= ops.expand_dims(starts, 1)
        safe = ops.where(valid, positions, 0)
        items = ops.where(valid, ops.take(self.sequence_items, safe), -1)
        ratings = ops.where(valid, ops.take(self.sequence_ratings, safe), 0.0)
        return items, ratings

    def sequences(self):
        """Host-side time-ordered rows: `(indptr, items)` NumPy arrays."""
        return self._indptr_np, self._sequence_items_np

    def user_counts(self, users):
        """float32 `(B,)`: training interactions of each of `users`."""
        return ops.take(self.counts, ops.cast(users, "int32"))

    def user_items(self, user):
        """NumPy array of one user's stored items (host side)."""
        return self._items_np[self._indptr_np[user] : self._indptr_np[user + 1]]
