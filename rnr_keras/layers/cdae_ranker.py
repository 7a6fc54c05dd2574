"""Collaborative Denoising Auto-Encoder as a ranking head."""

import keras
import numpy as np
from keras import ops

from rnr_keras.api_export import rnr_export
from rnr_keras.layers.ranker import Ranker
from rnr_keras.layers.row_reads import embedding_rows
from rnr_keras.layers.row_reads import take_rows
from rnr_keras.validation import check_positive_number

_ACTIVATIONS = ("sigmoid", "tanh", "relu", "identity")
#: With `negatives="auto"`, catalogues of at least this many items train on
#: sampled negatives: at 168k items (Yelp) the full-row loss scores every
#: item for every user of a batch (about 56 minutes per epoch on 2 cores),
#: while ML-1M's 3.7k items keep the exact full-row loss.
AUTO_SAMPLED_MIN_ITEMS = 20_000
#: Items sampled per batch with `negatives="auto"` on a large catalogue.
#: The estimate's variance grows with `M / S`: on ML-100K (1,682 items,
#: seed 0, batches of 64 users) validation Recall@10 was 0.150 with the
#: full row, 0.146 with S = 1,024 (M / S = 1.6), 0.144 with S = 16,384,
#: but 0.093 with S = 256 (M / S = 6.6). On `synthetic(shape="yelp")`
#: (168,508 items, batches of 1,024 users, 3 epochs, 5,934 sampled
#: validation users, s.e. ~0.001; the unbiased `M / S` weights of
#: then) 8,192 and 16,384 gave the same validation Recall@10 (0.0069
#: both), and a step's cost grows with the batch times S: 8,192 halves
#: it (about 60 s per epoch on 2 cores then, 20 s after later fixes).
AUTO_SAMPLE_SIZE = 8192
#: Default `negative_ratio`. Chosen on validation Recall@10 of a Yelp-like
#: set (`synthetic(shape="yelp", num_users=70_000, num_items=45_000)`:
#: 38,679 items, 10,000 validation users, s.e. ~0.002; S = 8,192, batches
#: of 1,024 users, LazyAdam 0.015, best of 6 epochs): 0.055 at r = 1,
#: 0.059 at 2, 0.066 at 5, 0.062 at 10, against 0.025 (best of 4 epochs)
#: with the unbiased `M / S` weights, 0.029 with the full-row loss and
#: 0.030 for item popularity. At r = 5, S = 4,096 gave 0.060 and S = 2,048
#: 0.036; rates 0.005 and 0.03 gave 0.052 and 0.050. On ML-100K, forced
#: to sample (S = 1,024, batches of 64, seeds 0-2, best of every 5th of 60
#: epochs; s.e. of one value ~0.016): mean 0.140 at r = 5, 0.131 with the
#: unbiased weights, 0.137 with the full row ("auto" there).
DEFAULT_NEGATIVE_RATIO = 5.0


@rnr_export
class CDAERanker(Ranker):
    """CDAE: reconstructs a user's item set from a corrupted copy of it.

    hidden = act(W^T x~ + V_u + b), logits = W'^T hidden + b', where x~ is
    the user's multi-hot training row with each entry dropped with
    probability `corruption` (and the rest scaled by 1 / (1 - corruption)).
    Here V (the per-user node) is the model's shared user matrix U and W'
    (the decoder's item vectors) the shared item matrix I; the encoder W and
    the biases are the ranker's own. The loss is sigmoid cross-entropy over
    every item of the row, summed per user and divided by the number of
    observed interactions in the batch, i.e. a per-interaction mean, the
    same reduction as the rater's squared error so `alpha` weighs like with
    like.

    A new user (`fold_in`) is encoded from their given items as the row,
    uncorrupted as in scoring, with the user node V_u = 0.

    Sampled negatives (`negatives`, as Wu et al. train CDAE): instead of
    the whole row, a batch's loss reads the users' observed items and `S`
    items drawn uniformly (with replacement) from the catalogue, shared by
    the batch's users, at a cost that grows with `S` and the batch, not
    with the catalogue `M`. A drawn item the user has interacted with is
    masked out; how much each other drawn item weighs is `negative_ratio`:

    - a number `r` (the default, 5): a user's drawn items share the weight
      of `r` times the user's observed items, so each user's loss is like
      that of `r` unobserved items drawn per observed one, each weighing
      what an observed one weighs (negative sampling, as Wu et al.). This
      is not the full-row loss: unobserved items weigh `r n_u` in all, not
      `M - n_u`. On Yelp-like data it ranked far better than the full row
      (see `DEFAULT_NEGATIVE_RATIO`).
    - `None`: each stands for `M / S` unobserved items, so the loss is an
      unbiased estimate of the full-row loss above (same reduction, same
      optimum in expectation), whose variance grows with `M / S`.

    The encoder then reads the user's items as a sparse list (the same
    `x~ W`, without the dense `(B, M)` row), and the penalty the same rows
    as the full-row loss. With the full-row loss (`negatives="all"`, or
    "auto" below 20,000 items) `negative_ratio` plays no part.

    Args:
        corruption: float in [0, 1). Input dropout rate. Defaults to 0.2.
        hidden_activation: str. One of "sigmoid", "tanh", "relu",
            "identity". Defaults to "relu": with sigmoid (Wu et al.'s
            choice) the hidden units start near 0.5 for every user and, on
            ML-100K, CDAE learned little beyond item popularity (validation
            Recall@10 0.091 vs 0.134 with relu, 0.127 with tanh).
        negatives: `"auto"`, `"all"` or a positive int `S`. `"all"`: the
            full-row loss over every item. An int: `S` sampled items per
            batch (see above). `"auto"`: `"all"` below
            `AUTO_SAMPLED_MIN_ITEMS` (20,000) items, else
            `AUTO_SAMPLE_SIZE` (8,192). Defaults to `"auto"`.
        negative_ratio: positive float or `None`. Weight of a user's
            sampled items, in all, as a multiple of the user's observed
            items; `None` for the unbiased `M / S` each (see above). Only
            read with sampled negatives. Defaults to 5.0.

    References:
        Wu, DuBois, Zheng, Ester. Collaborative Denoising Auto-Encoders for
        Top-N Recommender Systems. WSDM 2016.
    """

    batch_kind = "rows"
    needs_negatives = False
    uses_history = True
    folds_in = True

    def __init__(
        self,
        corruption: float = 0.2,
        hidden_activation: str = "relu",
        negatives="auto",
        negative_ratio=DEFAULT_NEGATIVE_RATIO,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if not 0.0 <= float(corruption) < 1.0:
            raise ValueError(
                "`corruption` must be in [0, 1). Received: "
                f"corruption={corruption!r}"
            )
        if hidden_activation not in _ACTIVATIONS:
            raise ValueError(
                f"`hidden_activation` must be one of {_ACTIVATIONS}. "
                f"Received: hidden_activation={hidden_activation!r}"
            )
        if negatives not in ("auto", "all") and (
            isinstance(negatives, bool)
            or not isinstance(negatives, (int, np.integer))
            or negatives < 1
        ):
            raise ValueError(
                '`negatives` must be "auto", "all" or a positive int. '
                f"Received: negatives={negatives!r}"
            )
        self.corruption = float(corruption)
        self.hidden_activation = hidden_activation
        self.negatives = negatives if isinstance(negatives, str) else int(negatives)
        self.negative_ratio = (
            None
            if negative_ratio is None
            else check_positive_number("negative_ratio", negative_ratio)
        )
        self._seed_generator = keras.random.SeedGenerator(0)
        self.dropout = keras.layers.Dropout(self.corruption)
        self._activation = keras.activations.get(
            "linear" if hidden_activation == "identity" else hidden_activation
        )

    def build(self, shape):
        _, num_items, embedding_dim = shape
        self.encoder = self.add_weight(
            shape=(num_items, embedding_dim),
            initializer="glorot_uniform",
            name="encoder",
        )
        self.hidden_bias = self.add_weight(
            shape=(embedding_dim,), initializer="zeros", name="hidden_bias"
        )
        self.output_bias = self.add_weight(
            shape=(num_items,), initializer="zeros", name="output_bias"
        )
        self.built = True

    def sample_size(self, num_items):
        """Items sampled per batch for a catalogue of `num_items`, or
        `None` for the full-row loss (see `negatives`)."""
        if self.negatives == "all":
            return None
        if self.negatives == "auto":
            if num_items < AUTO_SAMPLED_MIN_ITEMS:
                return None
            return AUTO_SAMPLE_SIZE
        return self.negatives

    @property
    def sampled(self):
        """Whether training reads sampled negatives (needs `build`)."""
        return self.sample_size(self.output_bias.shape[0]) is not None

    def _hidden(self, context, user_vectors, training):
        if self.sampled:
            # x~ W from the user's items: the rows of W they select, each
            # kept (scaled by 1 / (1 - corruption)) or dropped like x~.
            row, items, _ = context.entries()
            kept = self.dropout(ops.ones(ops.shape(items)), training=training)
            encoded = ops.segment_sum(
                self._encoder_rows(context) * kept[:, None],
                row,
                num_segments=ops.shape(context.users)[0],
            )
        else:
            corrupted = self.dropout(context.rows(), training=training)
            encoded = ops.matmul(corrupted, self.encoder)
        return self._activation(encoded + user_vectors + self.hidden_bias)

    def _encoder_rows(self, context):
        """Rows of W of the users' entries, looked up once per batch (the
        encoder and the penalty share them)."""
        return context.cached(
            "cdae/encoder_rows",
            lambda: take_rows(self.encoder, context.entries()[1]),
        )

    def score_all(self, context, user_vectors, item_matrix, training=False):
        hidden = self._hidden(context, user_vectors, training)
        return ops.matmul(hidden, ops.transpose(item_matrix)) + self.output_bias

    def score_sampled(self, context, user_vectors, item_embedding, training=False):
        """Logits of the users' observed items and of sampled items.

        Args:
            context: `HeadContext` of the batch's users.
            user_vectors: `(B, d)` user nodes V_u.
            item_embedding: the model's item `Embedding` (the decoder).
            training: bool. Whether to corrupt the input.

        Returns:
            dict: `"rank"`, `(N,)` logits of the N training entries of the
            users (`context.entries()` order); `"rank_sampled"`, `(B, S)`
            logits of the S sampled items; `"sampled_weight"`, `(B, S)`:
            0 where the sampled item is the user's, else an equal share of
            `negative_ratio` times the user's number of training items
            (`M / S` each with `negative_ratio=None`).
        """
        num_items = self.output_bias.shape[0]
        size = self.sample_size(num_items)
        hidden = self._hidden(context, user_vectors, training)
        row, items, _ = context.entries()
        item_vectors = context.item_vectors
        if item_vectors is None:
            item_vectors = embedding_rows(item_embedding, items)
        positive = ops.sum(
            ops.take(hidden, row, axis=0) * item_vectors, axis=-1
        ) + take_rows(self.output_bias, items)
        sample = keras.random.randint(
            (size,), 0, num_items, dtype="int32", seed=self._seed_generator
        )
        # The output bias rides in the product as one more column (a 1
        # for users): no separate (B, S) add and its reduction.
        batch = ops.shape(hidden)[0]
        negative = ops.matmul(
            ops.concatenate([hidden, ops.ones((batch, 1), hidden.dtype)], axis=1),
            ops.transpose(
                ops.concatenate(
                    [
                        embedding_rows(item_embedding, sample),
                        take_rows(self.output_bias, sample)[:, None],
                    ],
                    axis=1,
                )
            ),
        )
        unseen = ops.logical_not(self._seen(row, items, sample, batch))
        if self.negative_ratio is None:
            weight = ops.where(unseen, float(num_items) / size, 0.0)
        else:
            unseen = ops.cast(unseen, "float32")
            share = self.negative_ratio * ops.cast(context.counts(), "float32")
            share = share / ops.maximum(ops.sum(unseen, axis=1), 1.0)
            weight = unseen * share[:, None]
        return {
            "rank": positive,
            "rank_sampled": negative,
            "sampled_weight": ops.stop_gradient(weight),
        }

    @staticmethod
    def _seen(row, items, sample, batch):
        """`(B, S)` bool: whether sampled item `s` is a training item of
        user `b`.

        Found from the entries' side, at a cost of `O(N log S + B S)`: each
        of the N entries looks its item up in the sorted sample, and the
        sample positions holding it (a draw can repeat) are marked. Asking
        the other way round, each of the `B S` (user, sampled item) pairs
        searching the entries, cost 15 times more at Yelp size (B = 1,024,
        S = 16,384: 0.42 of 0.57 s of the forward pass).
        """
        order = ops.argsort(sample)
        ordered = ops.take(sample, order)
        first = ops.searchsorted(ordered, items, side="left")
        count = ops.searchsorted(ordered, items, side="right") - first
        # One hit per (entry, sample position holding its item).
        entry = ops.repeat(ops.arange(ops.shape(items)[0], dtype="int32"), count)
        start = ops.cumsum(count) - count
        offset = ops.arange(ops.shape(entry)[0], dtype="int32") - ops.take(
            start, entry
        )
        column = ops.take(order, ops.take(first, entry) + offset)
        hits = ops.stack([ops.take(row, entry), ops.cast(column, "int32")], axis=1)
        size = ops.shape(sample)[0]
        marks = ops.scatter(hits, ops.ones(ops.shape(entry)), (batch, size))
        return marks > 0

    def score(self, context, user_vectors, item_vectors, items):
        hidden = self._hidden(context, user_vectors, False)
        return ops.sum(hidden * item_vectors, axis=-1) + ops.take(
            self.output_bias, items
        )

    def loss(self, context, outputs):
        if "rank_sampled" in outputs:
            # softplus(-z) is the cross-entropy of an observed entry,
            # softplus(z) that of an unobserved one.
            observed = ops.sum(ops.softplus(-outputs["rank"]))
            unobserved = ops.sum(
                outputs["sampled_weight"] * ops.softplus(outputs["rank_sampled"])
            )
            count = ops.cast(ops.shape(outputs["rank"])[0], "float32")
            return (observed + unobserved) / ops.maximum(count, 1.0)
        rows = context.rows()
        per_entry = ops.binary_crossentropy(rows, outputs["rank"], from_logits=True)
        return ops.sum(per_entry) / ops.maximum(ops.sum(rows), 1.0)

    def penalty(self, context, user_weights, items, item_weights):
        if self.sampled and items is context.entries()[1]:
            # Sampled row batches: the entries' rows the encoder read.
            rows = self._encoder_rows(context)
        else:
            rows = take_rows(self.encoder, items)
        return ops.sum(item_weights * ops.sum(ops.square(rows), axis=1))

    def fold_in(self, context, item_matrix, l2):
        """Zero user nodes: a new user is their row (the given items).

        The row is the input CDAE encodes, so it needs no solve; the node
        V_u is regularised toward 0 while the hidden bias, unregularised,
        carries what all users share, so 0 is the node of a user known
        only by their items (on the planted test data the mean node of the
        training users ranks the same).
        """
        users = ops.shape(context.users)[0]
        return np.zeros((users, ops.shape(item_matrix)[1]), dtype=np.float32)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "corruption": self.corruption,
                "hidden_activation": self.hidden_activation,
                "negatives": self.negatives,
                "negative_ratio": self.negative_ratio,
            }
        )
        return config
