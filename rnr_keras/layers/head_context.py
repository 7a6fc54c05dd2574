"""What a model hands its heads about the users of a batch."""

from keras import ops


class HeadContext:
    """The users of a batch and, when the model has it, their history.

    Heads that need a user's training items (CDAE's row, SVD++'s implicit
    feedback) read them from here; the model builds it from the data given
    to `adapt`, so heads never store data. Each view is computed once per
    context (one batch).

    Args:
        users: int tensor `(B,)`. The batch's user indices.
        history: `InteractionHistory` or `None`.
        owner: str. Who needs the history, for the error message.
        user_vectors: tensor `(B, d)` or `None`. The ranker's vectors of
            the users (raw p_u), for losses over every item.
        item_matrix: tensor `(M, d)` or `None`. The ranker's whole item
            matrix Q, for losses over every item (WRMF's Gramian). The
            pair batches set both in `losses`.
        item_vectors: tensor `(B, d)` or `None`. The batch's item rows
            of I, as a pair batch's `call` looked them up (its penalty
            reuses them); in sampled row batches, the rows of the
            entries' items (`entries()` order).
        negative_vectors: tensor `(B, d)` or `None`. Likewise for the
            sampled negative items.
        sequence: int tensor `(B, L)` or `None`. The items a sequence
            ranker encodes, in time order, left-padded with -1; the
            sequence batches set it to the batch's windows. `None` reads
            the users' latest training items (`recent`).
    """

    def __init__(
        self, users, history=None, owner="The model", user_vectors=None,
        item_matrix=None, sequence=None, item_vectors=None, negative_vectors=None,
    ):
        self.users = users
        self.history = history
        self.owner = owner
        self.user_vectors = user_vectors
        self.item_matrix = item_matrix
        self.sequence = sequence
        self.item_vectors = item_vectors
        self.negative_vectors = negative_vectors
        self._cache = {}

    def _require(self, what):
        if self.history is None:
            raise ValueError(
                f"{self.owner} needs the training interactions to compute "
                f"{what}: call `model.adapt(train)` first (a model loaded "
                "from a .keras file or a preset does not carry its training "
                "data; `adapt` never changes trained weights)."
            )
        return self.history

    def cached(self, key, make):
        """`make()`, computed once per context (batch) under `key`: how a
        head reuses one lookup in its scores and its penalty."""
        return self._cached(key, make)

    def _cached(self, key, make):
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    def rows(self):
        """`(B, M)` float multi-hot training rows of the users."""
        return self._cached("rows", lambda: self._dense()[0])

    def rating_rows(self):
        """`(B, M)` float ratings of the users' training items (0 elsewhere)."""
        return self._cached("rating_rows", lambda: self._dense()[1])

    def _dense(self):
        return self._cached(
            "dense", lambda: self._require("user rows").rows(self.users)
        )

    def entries(self):
        """`(row, items, ratings)`: flat training entries of the users."""
        return self._cached(
            "entries",
            lambda: self._require("user histories").entries(self.users),
        )

    def of_entries(self):
        """A `HeadContext` with one user per training entry (`entries()`
        order): what a rater's `rate` reads to rate those entries."""

        def make():
            row, _, _ = self.entries()
            return HeadContext(
                ops.take(self.users, row, axis=0), self.history, owner=self.owner
            )

        return self._cached("of_entries", make)

    def counts(self):
        """`(B,)` float: number of training items of each user."""
        return self._cached(
            "counts",
            lambda: self._require("user counts").user_counts(self.users),
        )

    def recent(self, length):
        """int `(B, length)`: the items to encode, in time order, -1 pads.

        The batch's `sequence` when set (training windows), else each
        user's latest `length` training items (scoring).
        """
        if self.sequence is not None:
            return self.sequence
        return self._cached(
            ("recent", length),
            lambda: self._require("user sequences").recent(self.users, length)[0],
        )
