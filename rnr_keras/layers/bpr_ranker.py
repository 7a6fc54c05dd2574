"""Bayesian Personalised Ranking as a ranking head."""

import numpy as np
from keras import ops

from rnr_keras.api_export import rnr_export
from rnr_keras.layers.ranker import Ranker
from rnr_keras.layers.ranker import solve_systems
from rnr_keras.layers.ranker import weighted_gramians
from rnr_keras.layers.row_reads import take_rows


@rnr_export
class BPRRanker(Ranker):
    """BPR: s_ui = p_u . q_i + b_i, trained on (user, positive, negative).

    The loss is `softplus(-(s_ui - s_uj))`, the numerically stable form of
    `-log sigmoid(s_ui - s_uj)`, averaged over the batch. The item bias is
    zero-initialised (the paper initialises all biases to zero).

    Pair-wise training climbs slowly and noisily on validation Recall@10, so
    BPR trains with Adam at 0.002 and early-stopping patience 30 by default
    (chosen on ML-100K and synthetic validation; at 0.005 it peaks lower
    and earlier).

    A new user folds in (`fold_in`) by minimising the user's part of this
    objective with every item parameter fixed: a convex problem in p_u,
    solved by Newton's method.

    Example:

    >>> from rnr_keras.layers import HeadContext
    >>> ranker = BPRRanker()
    >>> ranker.build((3, 4, 2))
    >>> context = HeadContext(ops.array([0]))
    >>> tuple(ranker.score_all(context, ops.ones((1, 2)), ops.ones((4, 2))).shape)
    (1, 4)

    References:
        Rendle et al., BPR: Bayesian Personalized Ranking from Implicit
        Feedback, UAI 2009.
    """

    batch_kind = "pairs"
    needs_negatives = True
    default_learning_rate = 0.002
    default_patience = 30
    folds_in = True
    #: Newton iterations at most, and the gradient size that stops them.
    fold_in_iterations = 50
    fold_in_tolerance = 1e-7
    #: (user, given item, item) triples held at once by `fold_in`.
    fold_in_chunk = 1 << 23

    def build(self, shape):
        _, num_items, _ = shape
        self.item_bias = self.add_weight(
            shape=(num_items,), initializer="zeros", name="item_bias"
        )
        self.built = True

    def score(self, context, user_vectors, item_vectors, items):
        return ops.sum(user_vectors * item_vectors, axis=-1) + take_rows(
            self.item_bias, items
        )

    def score_all(self, context, user_vectors, item_matrix, training=False):
        return ops.matmul(user_vectors, ops.transpose(item_matrix)) + self.item_bias

    def loss(self, context, outputs):
        return ops.mean(ops.softplus(outputs["rank_negative"] - outputs["rank"]))

    def fold_in(self, context, item_matrix, l2):
        """New users' vectors minimising their part of BPR's objective.

        A training user u's examples add up, in expectation over the
        uniform unseen negative, to n_u times

            F(p) = mean_{i in N(u), j not in N(u)} softplus(s_uj - s_ui)
                   + l2 |p|^2,    s_ui = p . q_i + b_i,

        which is strictly convex in p for `l2` > 0. Newton's method with a
        backtracking (Armijo) line search, from p = 0, for all users of a
        chunk at once, reaches the minimiser to `fold_in_tolerance` in
        about ten steps. A repeated item counts once per occurrence. A
        step costs O(n_u M d) per user: milliseconds for a handful of
        items, about half a second (CPU) for ML-100K's average training
        user, with ~100.
        """
        q = np.asarray(ops.convert_to_numpy(item_matrix), dtype=np.float64)
        bias = np.asarray(ops.convert_to_numpy(self.item_bias), dtype=np.float64)
        rows = np.asarray(ops.convert_to_numpy(context.rows()), dtype=np.float64)
        length = max(int((rows > 0).sum(axis=1).max(initial=0)), 1)
        step = max(1, self.fold_in_chunk // (length * rows.shape[1]))
        return np.concatenate(
            [
                self._newton(rows[start : start + step], length, q, bias, l2)
                for start in range(0, len(rows), step)
            ]
            + [np.zeros((0, q.shape[1]), dtype=np.float32)]
        )

    def _newton(self, rows, length, q, bias, l2):
        # The given items i, padded to `length` with weight 0, weighted by
        # count / (n_u (M - |N(u)|)); the pairs (i, j) with j seen get
        # s_j - s_i = -inf, so they add nothing (sigmoid 0, softplus 0).
        given = np.argsort(rows <= 0, axis=1, kind="stable")[:, :length]
        counts = np.take_along_axis(rows, given, axis=1)
        unseen = rows <= 0
        norm = np.maximum(counts.sum(axis=1) * unseen.sum(axis=1), 1.0)
        weights = counts / norm[:, None]  # (B, L)
        q_given = q[given]  # (B, L, d)
        eye = np.eye(q.shape[1])

        def differences(p):
            scores = p @ q.T + bias
            given_scores = np.take_along_axis(scores, given, axis=1)
            scores = np.where(unseen, scores, -np.inf)
            return scores[:, None, :] - given_scores[:, :, None]  # s_j - s_i

        def objective(p):
            softplus = np.logaddexp(0.0, differences(p)).sum(axis=2)
            return (weights * softplus).sum(axis=1) + l2 * (p * p).sum(axis=1)

        p = np.zeros((len(rows), q.shape[1]))
        value = objective(p)
        for _ in range(self.fold_in_iterations):
            sigmoid = 0.5 * (1.0 + np.tanh(0.5 * differences(p)))  # no overflow
            # d/dp softplus(s_j - s_i) = sigmoid (q_j - q_i).
            gradient = (
                np.einsum("bl,blm->bm", weights, sigmoid) @ q
                - np.einsum("bl,bld->bd", weights * sigmoid.sum(axis=2), q_given)
                + 2.0 * l2 * p
            )
            if np.abs(gradient).max() < self.fold_in_tolerance:
                break
            # sum_ij w_i h_ij (q_j - q_i)(q_j - q_i)^T, h = sigmoid'.
            curvature = sigmoid * (1.0 - sigmoid)
            weighted = weights[:, :, None] * curvature
            # sum_ij w_i h_ij q_i q_j^T; the (B, L, M) product as one 2-D
            # matmul (NumPy's stacked matmul is many times slower).
            to_items = (weighted.reshape(-1, len(q)) @ q).reshape(q_given.shape)
            cross = np.einsum("bld,ble->bde", q_given, to_items)
            hessian = (
                weighted_gramians(weighted.sum(axis=1), q)
                + np.einsum("bl,bld,ble->bde", weighted.sum(axis=2), q_given, q_given)
                - cross
                - np.swapaxes(cross, 1, 2)
                + 2.0 * l2 * eye
            )
            direction = -solve_systems(hessian, gradient)
            # Backtracking: halve each user's step until F decreases enough.
            slope = (gradient * direction).sum(axis=1)
            size = np.ones(len(rows))
            for _ in range(30):
                trial = objective(p + size[:, None] * direction)
                short = trial > value + 1e-4 * size * slope
                if not short.any():
                    break
                size = np.where(short, size / 2.0, size)
            p = p + size[:, None] * direction
            value = np.where(short, objective(p), trial) if short.any() else trial
        return p.astype(np.float32)
