"""A model's copy of its training interactions, saved with its weights."""

import keras
import numpy as np
from keras import ops

from rnr_keras.api_export import rnr_export


@rnr_export
class InteractionHistory(keras.layers.Layer):
    """Each user's training items (and ratings) as non-trainable weights.

    Models need the training history after training: CDAE encodes a user's
    item set to score items, `recommend(exclude_seen=True)` masks seen items,
    and a zoo preset must work on its own. Storing the history as weights
    (compressed-sparse rows: `indptr`, `items`, `ratings`) means it travels in
    `.keras` files and presets. `size` (the number of interactions) fixes the
    weight shapes, so it is part of the config.

    Args:
        num_users: int. Number of user indices.
        num_items: int. Number of item indices.
        size: int. Number of stored interactions.
        with_ratings: bool. Whether to keep ratings too (needed by raters
            trained on user rows). Defaults to `False`.

    Example:

    >>> from rnr_keras.datasets import Interactions
    >>> data = Interactions(users=[0, 0, 1], items=[1, 2, 0])
    >>> history = InteractionHistory(num_users=2, num_items=3, size=3)
    >>> history.assign(data)
    >>> history.rows(np.array([0, 1]))[0].numpy().tolist()
    [[0.0, 1.0, 1.0], [1.0, 0.0, 0.0]]
    """

    def __init__(
        self,
        num_users: int,
        num_items: int,
        size: int,
        with_ratings: bool = False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        for name, value in (
            ("num_users", num_users),
            ("num_items", num_items),
            ("size", size),
        ):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(
                    f"`{name}` must be a positive integer. Received: "
                    f"{name}={value!r}"
                )
        self.num_users = num_users
        self.num_items = num_items
        self.size = size
        self.with_ratings = bool(with_ratings)
        self.indptr = self.add_weight(
            shape=(num_users + 1,),
            initializer="zeros",
            dtype="int32",
            trainable=False,
            name="indptr",
        )
        self.items = self.add_weight(
            shape=(size,),
            initializer="zeros",
            dtype="int32",
            trainable=False,
            name="items",
        )
        self.ratings = (
            self.add_weight(
                shape=(size,),
                initializer="zeros",
                dtype="float32",
                trainable=False,
                name="ratings",
            )
            if self.with_ratings
            else None
        )
        self.built = True

    def assign(self, interactions):
        """Stores `interactions` (an `Interactions` of exactly `size` rows)."""
        if (
            interactions.num_users != self.num_users
            or interactions.num_items != self.num_items
        ):
            raise ValueError(
                "The interactions' index space does not match the model: "
                f"model has num_users={self.num_users}, "
                f"num_items={self.num_items}; received "
                f"num_users={interactions.num_users}, "
                f"num_items={interactions.num_items}"
            )
        if len(interactions) != self.size:
            raise ValueError(
                f"This history holds size={self.size} interactions; received "
                f"{len(interactions)}. Build a new model for other data."
            )
        indptr, items, ratings = interactions.csr()
        self.indptr.assign(indptr.astype(np.int32))
        self.items.assign(items.astype(np.int32))
        if self.with_ratings:
            self.ratings.assign(ratings.astype(np.float32))

    def entries(self, users):
        """Flat entries of `users`' rows.

        Returns:
            `(row, items, ratings)`: for every stored interaction of the
            given users, its position in `users`, its item and its rating
            (`None` without ratings). Vectorised: no loop over users.
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
        items = ops.take(self.items, source)
        ratings = (
            ops.take(self.ratings, source) if self.with_ratings else None
        )
        return row, items, ratings

    def rows(self, users):
        """Dense rows of `users`: `(multi_hot, ratings)`, each `(B, M)`.

        `ratings` is `None` without ratings.
        """
        row, items, ratings = self.entries(users)
        shape = (ops.shape(users)[0], self.num_items)
        index = ops.stack([row, items], axis=1)
        ones = ops.ones(ops.shape(items), dtype="float32")
        multi_hot = ops.scatter(index, ones, shape)
        rating_rows = (
            ops.scatter(index, ratings, shape) if self.with_ratings else None
        )
        return multi_hot, rating_rows

    def user_items(self, user):
        """NumPy array of one user's stored items (host side)."""
        indptr = ops.convert_to_numpy(self.indptr)
        return ops.convert_to_numpy(self.items)[indptr[user] : indptr[user + 1]]

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "num_users": self.num_users,
                "num_items": self.num_items,
                "size": self.size,
                "with_ratings": self.with_ratings,
            }
        )
        return config
