"""The result of a protocol: train, validation and test interactions."""

import dataclasses

import numpy as np

from rnr_keras.datasets.interactions import Interactions


@dataclasses.dataclass(frozen=True)
class Split:
    """Train / validation / test parts in one index space.

    Args:
        train: `Interactions`. What models are fitted on.
        val: `Interactions`. Held-out rows for model selection.
        test: `Interactions`. Held-out rows scored once, at the end.
        params: dict. The protocol's name and arguments, so the split can be
            re-created (stored in zoo preset metadata).
    """

    train: Interactions
    val: Interactions
    test: Interactions
    params: dict = dataclasses.field(default_factory=dict)

    @property
    def num_users(self):
        return self.train.num_users

    @property
    def num_items(self):
        return self.train.num_items

    def train_items(self, user):
        """Item indices user `user` interacted with in training."""
        indptr, items, _ = self.train.csr()
        return items[indptr[user] : indptr[user + 1]]

    def heldout(self, part):
        """`self.val` for `"val"`, `self.test` for `"test"`."""
        if part not in ("val", "test"):
            raise ValueError(
                f"`part` must be 'val' or 'test'. Received: part={part!r}"
            )
        return getattr(self, part)

    def __repr__(self):
        return (
            f"Split(train={len(self.train)}, val={len(self.val)}, "
            f"test={len(self.test)}, params={self.params})"
        )


def _check_disjoint(train, heldout):
    """True when no held-out (user, item) pair appears in `train`."""
    key = np.int64(train.num_items)
    train_keys = train.users.astype(np.int64) * key + train.items
    held_keys = heldout.users.astype(np.int64) * key + heldout.items
    return not np.isin(held_keys, train_keys).any()
