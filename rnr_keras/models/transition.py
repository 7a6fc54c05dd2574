"""Transition: item-to-item successor counts over time-ordered histories."""

import math
import numbers

import numpy as np
import scipy.sparse
from keras import ops

from rnr_keras import registry
from rnr_keras.api_export import rnr_export
from rnr_keras.models.recommender import Recommender
from rnr_keras.validation import check_positive_int

#: Defaults, chosen on ML-100K validation (`all_but_last_one`, all 943
#: users, seeds 0 1 2; test never looked at). Recency decay is what
#: matters most: without it (decay 1) validation Recall@10 is 0.155-0.175,
#: at 0.7 it is 0.205-0.21 for any window of 5-20 and history of 10-20. A
#: distance decay of 0.8 lets a window of 10-20 match the best short
#: window; 100 successors per item score as well as all 1,682.
DEFAULT_WINDOW = 10
DEFAULT_HISTORY = 20
DEFAULT_NEIGHBORS = 100
DEFAULT_DECAY = 0.7
DEFAULT_DISTANCE_DECAY = 0.8


def _check_decay(name, value):
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not math.isfinite(value)
        or not 0 < value <= 1
    ):
        raise ValueError(
            f"`{name}` must be a number in (0, 1]. Received: {name}={value!r}"
        )
    return float(value)


def successor_counts(train, window, distance_decay):
    """Weighted successor counts of `train`, a sparse `(M, M)` matrix.

    Entry `(i, j)` sums `distance_decay ** (d - 1)` over every pair of a
    user's time-ordered training sequence (by timestamp, ties in input
    order) in which `j` comes `d <= window` positions after `i`. Pairs of
    an item with itself (a repeated interaction) are left out: they would
    only recommend what the user has seen.
    """
    order = train.time_order()
    users = train.users[order]
    items = train.items[order].astype(np.int64)
    shape = (train.num_items, train.num_items)
    counts = scipy.sparse.csr_matrix(shape, dtype=np.float64)
    # One sparse sum per offset keeps memory at the distinct pairs.
    for d in range(1, min(window, len(train) - 1) + 1):
        keep = (users[d:] == users[:-d]) & (items[d:] != items[:-d])
        counts = counts + scipy.sparse.csr_matrix(
            (
                np.full(int(keep.sum()), distance_decay ** (d - 1)),
                (items[:-d][keep], items[d:][keep]),
            ),
            shape=shape,
        )
    return counts


@rnr_export
class Transition(Recommender):
    """Item-to-item transitions: what users watched next, from their history.

    A first-order Markov-chain baseline without training, for the paper's
    protocol, which holds out each user's chronologically last
    interaction. `adapt(train)` orders every user's training items in time
    (by timestamp, ties in input order, as the protocol does) and counts,
    over all users, how often item `j` follows item `i` within `window`
    positions; a pair `d` positions apart counts `distance_decay ** (d -
    1)`. Each item's counts are divided by their sum, giving `P(j | i)`,
    and its `neighbors` most likely successors are kept. A user's scores
    add up the successor probabilities of their last `history` training
    items, the latest weighted 1, the one before `decay`, then `decay **
    2`, and so on. Items that never follow a user's recent items score 0.

    The kept successors are non-trainable weights, `successors` (int32)
    and `successor_weights` (float32), both `(num_items, min(neighbors,
    num_items))`, with unused slots at weight 0; they save in `.keras` files
    and presets. The histories they are read from are the training data,
    which is not saved: a loaded model needs `adapt(train)` before it
    scores, and that `adapt` leaves the weights as loaded.

    Args:
        num_users: int. Number of user indices.
        num_items: int. Number of item indices.
        window: int. Largest distance, in positions of a user's sequence,
            of a counted pair; 1 counts only direct successors. Defaults
            to 10.
        history: int. Latest training items of a user that are scored
            from. Defaults to 20.
        neighbors: int. Successors kept per item (the most likely ones).
            Defaults to 100.
        decay: float in (0, 1]. Weight of each older history item relative
            to the next one; 1 weighs the last `history` items equally.
            Defaults to 0.7.
        distance_decay: float in (0, 1]. Weight of a pair one position
            further apart relative to the closer one; 1 counts every pair
            within `window` the same. Defaults to 0.8.

    Example:

    >>> from rnr_keras.datasets import Interactions
    >>> train = Interactions(users=[0, 0, 0, 1, 1, 2], items=[0, 1, 2, 0, 1, 3])
    >>> model = Transition(num_users=3, num_items=4, window=2, history=2,
    ...                    decay=0.5, distance_decay=0.5).adapt(train)
    >>> print(model.score([0, 1, 2]).round(3))
    [[0.  0.  0.5 0. ]
     [0.  0.4 1.1 0. ]
     [0.  0.  0.  0. ]]

    References:
        Steffen Rendle, Christoph Freudenthaler, Lars Schmidt-Thieme.
        Factorizing Personalized Markov Chains for Next-Basket
        Recommendation. WWW 2010.
    """

    trained_by_fit = False

    def __init__(
        self,
        num_users: int,
        num_items: int,
        window: int = DEFAULT_WINDOW,
        history: int = DEFAULT_HISTORY,
        neighbors: int = DEFAULT_NEIGHBORS,
        decay: float = DEFAULT_DECAY,
        distance_decay: float = DEFAULT_DISTANCE_DECAY,
        **kwargs,
    ):
        super().__init__(num_users, num_items, **kwargs)
        self.window = check_positive_int("window", window)
        self.history = check_positive_int("history", history)
        self.neighbors = check_positive_int("neighbors", neighbors)
        self.decay = _check_decay("decay", decay)
        self.distance_decay = _check_decay("distance_decay", distance_decay)
        width = min(self.neighbors, self.num_items)
        self.successors = self.add_weight(
            shape=(self.num_items, width),
            initializer="zeros",
            dtype="int32",
            trainable=False,
            name="successors",
        )
        self.successor_weights = self.add_weight(
            shape=(self.num_items, width),
            initializer="zeros",
            trainable=False,
            name="successor_weights",
        )
        self.built = True

    @property
    def uses_history(self):
        return True

    @property
    def scores_from_items(self):
        return True

    def fit_statistics(self, train):
        counts = successor_counts(train, self.window, self.distance_decay)
        totals = np.asarray(counts.sum(axis=1)).ravel()
        inverse = np.divide(1.0, totals, out=np.zeros_like(totals), where=totals > 0)
        probabilities = (scipy.sparse.diags(inverse) @ counts).tocoo()
        rows, cols, weights = probabilities.row, probabilities.col, probabilities.data
        # Rank each item's successors: largest weight first, ties by index.
        order = np.lexsort((cols, -weights, rows))
        rows, cols, weights = rows[order], cols[order], weights[order]
        starts = np.searchsorted(rows, np.arange(self.num_items))
        rank = np.arange(len(rows)) - starts[rows]
        width = self.successors.shape[1]
        keep = rank < width
        successors = np.zeros((self.num_items, width), dtype=np.int32)
        successor_weights = np.zeros((self.num_items, width), dtype=np.float32)
        successors[rows[keep], rank[keep]] = cols[keep]
        successor_weights[rows[keep], rank[keep]] = weights[keep]
        self.successors.assign(successors)
        self.successor_weights.assign(successor_weights)

    def call(self, inputs, training=False):
        return self.score_batch(inputs["user"])

    def score_batch(self, users):
        items, _ = self.require_history("scoring").recent(users, self.history)
        valid = items >= 0
        safe = ops.where(valid, items, 0)
        successors = ops.take(self.successors, safe, axis=0)  # (B, H, N)
        # Weight of each history slot; the last slot holds the latest item.
        recency = ops.power(
            self.decay, ops.arange(self.history - 1, -1, -1, dtype="float32")
        )
        weight = ops.cast(valid, "float32") * recency  # (B, H)
        values = ops.take(self.successor_weights, safe, axis=0) * ops.expand_dims(
            weight, -1
        )
        batch = ops.shape(users)[0]
        rows = ops.broadcast_to(
            ops.reshape(ops.arange(batch, dtype="int32"), (-1, 1, 1)),
            ops.shape(successors),
        )
        index = ops.reshape(ops.stack([rows, successors], axis=-1), (-1, 2))
        # A successor shared by several history items adds up: scatter sums
        # duplicate indices.
        return ops.scatter(
            index, ops.reshape(values, (-1,)), (batch, self.num_items)
        )

    def get_config(self):
        return {
            **super().get_config(),
            "window": self.window,
            "history": self.history,
            "neighbors": self.neighbors,
            "decay": self.decay,
            "distance_decay": self.distance_decay,
        }


registry.register(
    registry.Algorithm(
        name="transition",
        label="Transition",
        kind="model",
        model=Transition,
        trainable=False,
        space={
            "paper": {
                "decay": registry.Choice((0.5, 0.7, 0.9), default=DEFAULT_DECAY),
                "distance_decay": registry.Choice(
                    (0.8, 1.0), default=DEFAULT_DISTANCE_DECAY
                ),
            },
            "wide": {
                "window": registry.Choice((3, 5, 10, 20), default=DEFAULT_WINDOW),
                "history": registry.Choice((10, 20, 50), default=DEFAULT_HISTORY),
                "decay": registry.Choice(
                    (0.5, 0.6, 0.7, 0.8, 0.9, 1.0), default=DEFAULT_DECAY
                ),
                "distance_decay": registry.Choice(
                    (0.6, 0.8, 1.0), default=DEFAULT_DISTANCE_DECAY
                ),
            },
        },
        description="item-to-item transition counts over each user's "
        "time-ordered history (no training)",
        reference="Rendle et al., Factorizing Personalized Markov Chains "
        "for Next-Basket Recommendation, WWW 2010",
    )
)
