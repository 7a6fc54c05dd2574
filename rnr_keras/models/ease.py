"""EASE: the closed-form item-item linear autoencoder (Steck, WWW 2019)."""

import numpy as np
import scipy.sparse
from keras import ops

from rnr_keras import registry
from rnr_keras.api_export import rnr_export
from rnr_keras.models.recommender import Recommender
from rnr_keras.validation import check_positive_number

#: The largest catalogue EASE accepts. B is a dense `num_items**2` float32
#: weight (3.6 GB at this size) and the solve holds two float64 copies.
MAX_ITEMS = 30_000

#: lambda of the registered spaces. On ML-100K (`all_but_last_one`, all 943
#: users, seeds 0 1 2) validation Recall@10 peaks at lambda = 100 on every
#: seed (0.157, 0.146, 0.140), hence the default. Steck reports 200-1000
#: on data sets with 10-100x more users, where X^T X grows and so does the
#: best lambda, so the grids reach up to 5000.
DEFAULT_L2 = 100.0


def _gigabytes(num_bytes):
    return f"{num_bytes / 1e9:.1f} GB"


@rnr_export
class EASE(Recommender):
    """Embarrassingly Shallow AutoEncoder: item-item weights in closed form.

    A user's scores are their binary training row times an item-item
    matrix `B`: `scores = x_u B`. `B` minimises `||X - X B||^2 + l2 *
    ||B||^2` subject to `diag(B) = 0` (an item may not predict itself), with
    `X` the binary user x item matrix of the training data. With `G = X^T X
    + l2 I` and `P = G^-1` the solution is `B = -P / diag(P)` column-wise,
    with its diagonal set to zero.

    Nothing is trained with `fit`: `adapt(train)` on a fresh model computes
    `B` (in float64, stored as float32). `B` is a non-trainable weight, so
    it saves in `.keras` files and presets; the user rows it multiplies are
    the training data, which are not saved: a loaded model needs
    `adapt(train)` before it scores, and that `adapt` leaves `B` as loaded.

    `B` is dense, `num_items x num_items`; catalogues of more than
    `MAX_ITEMS` (30,000) items are refused.

    Args:
        num_users: int. Number of user indices.
        num_items: int. Number of item indices, at most 30,000.
        l2: float. EASE's lambda, the L2 weight on `B`; larger values
            shrink the item-item weights towards zero. Must be > 0.
            Defaults to 100.0 (best on ML-100K validation).

    Example:

    >>> from rnr_keras.datasets import Interactions
    >>> train = Interactions(users=[0, 0, 1, 1, 2], items=[0, 1, 0, 1, 2])
    >>> model = EASE(num_users=3, num_items=3, l2=1.0).adapt(train)
    >>> print(model.score([0, 2]).round(3))
    [[0.667 0.667 0.   ]
     [0.    0.    0.   ]]

    References:
        Harald Steck. Embarrassingly Shallow Autoencoders for Sparse Data.
        WWW 2019.
    """

    trained_by_fit = False

    @classmethod
    def check_size(cls, num_users, num_items):
        """Refuses a catalogue above `MAX_ITEMS` items: B is a dense
        `num_items**2` matrix."""
        if num_items > MAX_ITEMS:
            raise ValueError(
                "EASE keeps a dense num_items x num_items matrix, which is "
                f"too big for num_items={num_items}: "
                f"{_gigabytes(4 * num_items * num_items)} as float32, and "
                f"{_gigabytes(16 * num_items * num_items)} more in float64 "
                f"while fitting it. At most {MAX_ITEMS} items are supported."
            )

    def __init__(
        self, num_users: int, num_items: int, l2: float = DEFAULT_L2, **kwargs
    ):
        super().__init__(num_users, num_items, **kwargs)
        self.l2 = check_positive_number("l2", l2)
        self.item_weights = self.add_weight(
            shape=(self.num_items, self.num_items),
            initializer="zeros",
            trainable=False,
            name="item_weights",
        )
        self.built = True

    @property
    def uses_history(self):
        return True

    @property
    def scores_from_items(self):
        return True

    def fit_statistics(self, train):
        # Binary X: a repeated (user, item) pair counts once.
        x = scipy.sparse.csr_matrix(
            (
                np.ones(len(train), dtype=np.float64),
                (train.users.astype(np.int64), train.items.astype(np.int64)),
            ),
            shape=(train.num_users, train.num_items),
        )
        x.sum_duplicates()
        x.data[:] = 1.0
        gram = (x.T @ x).toarray()
        gram[np.diag_indices_from(gram)] += self.l2
        weights = np.linalg.inv(gram)
        del gram
        weights /= -np.diag(weights)  # column j divided by -P_jj
        np.fill_diagonal(weights, 0.0)
        self.item_weights.assign(weights.astype(np.float32))

    def call(self, inputs, training=False):
        return self.score_batch(inputs["user"])

    def score_batch(self, users):
        multi_hot, _ = self.require_history("scoring").rows(users)
        # `rows` adds up repeated pairs; X is binary, as in the fit.
        return ops.matmul(ops.minimum(multi_hot, 1.0), self.item_weights)

    def get_config(self):
        return {**super().get_config(), "l2": self.l2}


_LAMBDAS = (50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0, 5000.0)

registry.register(
    registry.Algorithm(
        name="ease",
        label="EASE",
        kind="model",
        model=EASE,
        trainable=False,
        space={
            "paper": {"l2": registry.Choice(_LAMBDAS, default=DEFAULT_L2)},
            "wide": {
                "l2": registry.Choice(
                    (10.0, 20.0, *_LAMBDAS, 10000.0), default=DEFAULT_L2
                )
            },
        },
        description="closed-form item-item autoencoder (l2 is its lambda)",
        reference="Steck, Embarrassingly Shallow Autoencoders for Sparse "
        "Data, WWW 2019",
    )
)
