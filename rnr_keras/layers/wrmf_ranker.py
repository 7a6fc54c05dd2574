"""Weighted regularised matrix factorisation (WRMF) as a ranking head."""

import math

import numpy as np
from keras import ops

from rnr_keras.api_export import rnr_export
from rnr_keras.layers.ranker import Ranker
from rnr_keras.layers.ranker import solve_systems
from rnr_keras.layers.ranker import weighted_gramians

_ZEROS = ("all", "sampled")


def _check_non_negative(name, value):
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or value < 0
    ):
        raise ValueError(
            f"`{name}` must be a finite number >= 0. Received: {name}={value!r}"
        )
    return float(value)


@rnr_export
class WRMFRanker(Ranker):
    """WRMF: confidence-weighted squared loss on implicit feedback.

    s_ui = p_u . q_i (no bias, as `implicit`'s ALS). Every observed pair
    (u, i) is pulled toward 1 with confidence c = 1 + `confidence`; every
    unobserved pair toward 0 with weight `unobserved_weight` (Hu et al.'s
    c = 1 for the zeros). Trained by SGD on pair batches, not by
    alternating least squares, so that it shares U and I with a rater.

    The zero entries, `zeros`:
    - "all": the exact sum over every item. sum_j s_uj^2 = p_u^T G p_u with
      G = Q^T Q the Gramian of the whole item matrix (d x d, computed per
      batch), so it costs O(M d^2) per batch instead of O(B M). Each of
      user u's n_u training examples carries 1 / n_u of it, so the user's
      zero term counts once per epoch, and subtracts its own item's zero
      term (w * s_ui^2), which the Gramian sum includes. A user's history
      count comes from the data given to `adapt`, so this mode reads the
      history (`uses_history`); it needs no sampled negatives.
    - "sampled": the pair batch's sampled unseen item j, pulled toward 0
      with weight w (`needs_negatives`).

    A new user folds in (`fold_in`) by the ALS user step of this very
    objective: the exact minimiser over p_u of the user's part of it, with
    I fixed (the same closed form as `implicit`'s `recalculate_user`).

    The loss is a per-interaction mean over the batch:
    mean_b [c (1 - s_ui)^2 + w (p_u^T G p_u / n_u - s_ui^2)] for "all",
    mean_b [c (1 - s_ui)^2 + w s_uj^2] for "sampled". The ranker has no
    weights of its own, so no penalty of its own: the model regularises
    p_u and q_i.

    Defaults were chosen on ML-100K validation Recall@10 (all_but_last_one,
    seeds 0-2): `confidence` 1 (validation 0.150, vs 0.146 at 3; 10 and 30
    were lower on seed 0), `unobserved_weight` 1, Adam at 0.002 (0.005
    was no better at confidence 3 and lower at 10: 0.159 vs 0.165 on seed
    0), patience 20 (at 10, confidence 3 on
    seed 2 stopped at an early peak of epoch 2; at 1 the best epochs were
    12-25 either way). "sampled" zeros peaked at epoch 2 and 0.110 on seed
    0 (0.167 with "all").

    Args:
        confidence: float >= 0. Hu et al.'s alpha: an observed pair's
            confidence is 1 + `confidence` (`implicit`'s ALS `alpha` on a
            binary matrix is that confidence itself, 1 + `confidence`).
            Defaults to 1.0.
        unobserved_weight: float >= 0. Weight of each zero entry.
            Defaults to 1.0.
        zeros: str. "all" (exact, Gramian) or "sampled" (one sampled
            negative per example). Defaults to "all".

    Example:

    >>> import numpy as np
    >>> from rnr_keras.layers import HeadContext
    >>> ranker = WRMFRanker(confidence=1.0, zeros="sampled")
    >>> ranker.build((2, 3, 2))
    >>> context = HeadContext(np.array([0]))
    >>> float(ranker.loss(context, {"rank": ops.array([0.5]),
    ...                             "rank_negative": ops.array([0.5])}))
    0.75

    References:
        Hu, Koren, Volinsky. Collaborative Filtering for Implicit Feedback
        Datasets. ICDM 2008.
    """

    batch_kind = "pairs"
    default_learning_rate = 0.002
    default_patience = 20
    folds_in = True

    def __init__(
        self,
        confidence: float = 1.0,
        unobserved_weight: float = 1.0,
        zeros: str = "all",
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.confidence = _check_non_negative("confidence", confidence)
        self.unobserved_weight = _check_non_negative(
            "unobserved_weight", unobserved_weight
        )
        if zeros not in _ZEROS:
            raise ValueError(
                f"`zeros` must be one of {_ZEROS}. Received: zeros={zeros!r}"
            )
        self.zeros = zeros
        # The exact zero term reads each user's history count; the sampled
        # one reads the pair batch's negative.
        self.needs_negatives = zeros == "sampled"
        self.uses_history = zeros == "all"

    def score(self, context, user_vectors, item_vectors, items):
        return ops.sum(user_vectors * item_vectors, axis=-1)

    def score_all(self, context, user_vectors, item_matrix, training=False):
        return ops.matmul(user_vectors, ops.transpose(item_matrix))

    def all_zeros(self, user_vectors, item_matrix):
        """`(B,)`: sum over every item j of s_uj^2, as p_u^T (Q^T Q) p_u."""
        gramian = ops.matmul(ops.transpose(item_matrix), item_matrix)
        return ops.sum(ops.matmul(user_vectors, gramian) * user_vectors, axis=-1)

    def loss(self, context, outputs):
        positive = outputs["rank"]
        observed = (1.0 + self.confidence) * ops.square(1.0 - positive)
        if self.zeros == "sampled":
            zero = ops.square(outputs["rank_negative"])
        else:
            if context.user_vectors is None or context.item_matrix is None:
                raise ValueError(
                    "WRMFRanker(zeros='all') needs the batch's user vectors "
                    "and the item matrix in its `HeadContext` "
                    "(`context.user_vectors`, `context.item_matrix`), which "
                    "the pair batches set; use zeros='sampled' otherwise."
                )
            counts = ops.maximum(context.counts(), 1.0)
            zero = self.all_zeros(
                context.user_vectors, context.item_matrix
            ) / counts - ops.square(positive)
        return ops.mean(observed + self.unobserved_weight * zero)

    def fold_in(self, context, item_matrix, l2):
        """The ALS user step of the training objective, for new users.

        Over an epoch user u's examples add up to c sum_{i in N(u)} (1 -
        s_ui)^2 + w' sum_{j not in N(u)} s_uj^2 + l2 n_u |p_u|^2, with w' =
        `unobserved_weight` for zeros="all" and, for "sampled" (one
        uniform unseen negative per example), its expectation w' = w n_u /
        (M - |N(u)|). Its minimiser with Q fixed solves

            (w' Q^T Q + sum_{i in N(u)} (c - w') q_i q_i^T + l2 n_u Id) p_u
                = c sum_{i in N(u)} q_i,

        c = 1 + `confidence`: Hu et al.'s user step, `implicit`'s
        `recalculate_user`. So a training user's own items give back
        (nearly, as far as training converged) their learnt vector. A
        repeated item counts once per occurrence, as a repeated training
        interaction does.
        """
        rows = np.asarray(ops.convert_to_numpy(context.rows()), dtype=np.float64)
        counts = rows.sum(axis=1)
        weight = np.full(len(rows), self.unobserved_weight)
        seen = None
        if self.zeros == "sampled":
            # The sampler draws only unseen items: the zero term leaves
            # out each seen item once, however often it was given.
            seen = (rows > 0).astype(np.float64)
            weight = weight * counts / np.maximum(rows.shape[1] - seen.sum(axis=1), 1.0)
        return self.solve_users(
            rows, item_matrix, 1.0 + self.confidence, weight, l2 * counts, seen=seen
        )

    @staticmethod
    def solve_users(rows, item_matrix, confidence, unobserved_weight, ridge, seen=None):
        """Weighted least squares user vectors (Hu et al.'s user step).

        Minimises, per user b, confidence * sum_i rows[b, i] (1 - p . q_i)^2
        + w_b * (sum_j (p . q_j)^2 - sum_j seen[b, j] (p . q_j)^2) +
        ridge_b |p|^2 in closed form, for all users at once (float64;
        the minimum-norm solution where the system is singular).

        Args:
            rows: `(B, M)` array. Each user's count of each item.
            item_matrix: `(M, d)` tensor or array Q.
            confidence: float. Weight of a given item's (1 - s)^2.
            unobserved_weight: `(B,)` array. Weight w_b of each zero.
            ridge: `(B,)` array. Weight of |p|^2.
            seen: `(B, M)` array or `None`. The entries whose zero term
                is left out; `None` means `rows`.

        Returns:
            float32 `(B, d)` array.
        """
        q = np.asarray(ops.convert_to_numpy(item_matrix), dtype=np.float64)
        rows = np.asarray(rows, dtype=np.float64)
        seen = rows if seen is None else seen
        w = np.asarray(unobserved_weight, dtype=np.float64)[:, None, None]
        coefficients = confidence * rows - w[:, :, 0] * seen
        system = w * (q.T @ q) + weighted_gramians(coefficients, q)
        system += np.asarray(ridge, dtype=np.float64)[:, None, None] * np.eye(q.shape[1])
        target = confidence * rows @ q
        return solve_systems(system, target).astype(np.float32)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "confidence": self.confidence,
                "unobserved_weight": self.unobserved_weight,
                "zeros": self.zeros,
            }
        )
        return config
