"""The engine behind every trainable zoo model: a ranker, a rater, or both."""

import keras
import numpy as np
from keras import ops

from rnr_keras import optimizers
from rnr_keras.api_export import rnr_export
from rnr_keras.layers.bpr_ranker import BPRRanker
from rnr_keras.layers.cdae_ranker import CDAERanker
from rnr_keras.layers.post_consumption import PostConsumption
from rnr_keras.layers.ranker import Ranker
from rnr_keras.layers.rater import Rater
from rnr_keras.layers.svd_rater import SVDRater
from rnr_keras.models.recommender import Recommender
from rnr_keras.validation import check_positive_int

RANKERS = {"bpr": BPRRanker, "cdae": CDAERanker}

#: Training-set size from which `compile` turns XLA on for pair batches.
JIT_MIN_INTERACTIONS = 200_000
RATERS = {"svd": SVDRater}

def _resolve(component, registry, base, argument):
    if component is None:
        return None
    if isinstance(component, str):
        if component.lower() not in registry:
            raise ValueError(
                f"Unknown {argument} {component!r}. Known: "
                f"{sorted(registry)}, or a `{base.__name__}` instance."
            )
        return registry[component.lower()]()
    if isinstance(component, dict):
        component = keras.saving.deserialize_keras_object(component)
    if not isinstance(component, base):
        raise ValueError(
            f"`{argument}` must be a name in {sorted(registry)} or a "
            f"`{base.__name__}` instance. Received: {argument}={component!r}"
        )
    return component


def _has_strategy():
    if keras.backend.backend() != "tensorflow":
        return False
    import tensorflow as tf

    return tf.distribute.has_strategy()


def _num_replicas():
    if not _has_strategy():
        return 1.0
    import tensorflow as tf

    return float(tf.distribute.get_strategy().num_replicas_in_sync)


def _reject_head_arguments(cls_name, kwargs, alpha):
    """Single-task models fix their heads; refuse arguments that disagree."""
    given = kwargs.pop("alpha", alpha)
    if given is None or float(given) != alpha:
        raise ValueError(
            f"{cls_name} is single-task: its `alpha` is {alpha}. "
            f"Received: alpha={given!r}"
        )
    for key in ("ranker", "rater", "post_consumption", "activation"):
        if key in kwargs:
            raise ValueError(
                f"{cls_name} fixes its heads and takes no `{key}`. "
                f"Received: {key}={kwargs[key]!r}"
            )


@rnr_export
class MultiTaskModel(Recommender):
    """Ranker R and rater P on shared user and item embeddings U and I.

    The objective (paper, eq. 1 and 2) is

        alpha * L_R + (1 - alpha) * L_P + l2 * penalty

    where R scores with the raw U and I. With `post_consumption=False`
    (Vanilla multi-task) P also uses U and I; with `post_consumption=True`
    (RnR) P uses FC_theta(p_u) and FC_theta(q_i + q_dev_i), see
    `PostConsumption`.

    Decisions the paper leaves open, taken here:
    - Batches. With a pair-wise ranker (BPR) or no ranker, one example is
      one training interaction (u, i, r) with a sampled negative j, and both
      losses are means over the batch. With a row-wise ranker (CDAE), one
      example is one user: R reconstructs the user's row and P's loss is the
      squared error over the user's observed ratings; both are divided by
      the number of observed interactions in the batch, so both are
      per-interaction means and `alpha` weighs like with like.
    - Regularisation is the stochastic form of the paper's Frobenius
      penalty: each observed interaction in the batch adds the squared norms
      of the rows it reads (|p_u|^2 + |q_i|^2, plus |q_j|^2 for BPR's
      negative, |q_dev_i|^2 in RnR, the CDAE encoder row and the rater's
      biases b_u^2 + b_i^2), averaged over the batch, plus |theta|^2 once.
      This keeps `l2` meaningful whatever the dataset or batch size.
    - `alpha = 1` trains no rating head (its loss and its own penalty are
      not computed) and `alpha = 0` no ranking head.
    - Ranking (`score`) uses R when there is one, else P's predicted
      ratings (single-task SVD ranks by predicted rating, as in the paper).
    Initialisation as the paper: Xavier (glorot uniform) for U, I and FC,
    zeros for Id and all biases.

    Args:
        num_users: int. Number of user indices.
        num_items: int. Number of item indices.
        ranker: `Ranker`, name ("bpr", "cdae") or `None`. The R algorithm.
        rater: `Rater`, name ("svd") or `None`. The P algorithm.
        embedding_dim: int. Width of U and I. Defaults to 50 (paper).
        alpha: float in [0, 1]. Weight of the ranking loss. Defaults to
            0.95.
        l2: float >= 0. The paper's lambda. Defaults to 0.001.
        post_consumption: bool. RnR's Id + tied FC for P. Defaults to
            `False` (vanilla multi-task).
        activation: str. Nonlinearity of the tied FC ("tanh", "relu",
            "sigmoid", "linear"); used only with `post_consumption`.
            Defaults to "tanh".
        history_size: int. Set by `adapt`; see `Recommender`.

    Example:

    >>> model = MultiTaskModel(num_users=3, num_items=4, ranker="bpr",
    ...                        rater="svd", embedding_dim=2)
    >>> model.score([0, 1]).shape
    (2, 4)

    References:
        Hadash, Sar Shalom, Osadchy. Rank and Rate: Multi-task Learning for
        Recommender Systems. RecSys 2018.
    """

    def __init__(
        self,
        num_users: int,
        num_items: int,
        ranker=None,
        rater=None,
        embedding_dim: int = 50,
        alpha: float = 0.95,
        l2: float = 0.001,
        post_consumption: bool = False,
        activation: str = "tanh",
        history_size: int = 0,
        **kwargs,
    ):
        self.ranker = _resolve(ranker, RANKERS, Ranker, "ranker")
        self.rater = _resolve(rater, RATERS, Rater, "rater")
        self.input_mode = self.ranker.input_mode if self.ranker else "pairs"
        # A row-wise ranker with a rater reads ratings from the history.
        self.history_with_ratings = (
            self.input_mode == "rows" and self.rater is not None
        )
        super().__init__(num_users, num_items, history_size, **kwargs)
        if self.ranker is None and self.rater is None:
            raise ValueError("`ranker` and `rater` cannot both be None")
        self.embedding_dim = check_positive_int("embedding_dim", embedding_dim)
        if isinstance(alpha, bool) or not 0.0 <= float(alpha) <= 1.0:
            raise ValueError(f"`alpha` must be in [0, 1]. Received: alpha={alpha!r}")
        if self.ranker is None and float(alpha) != 0.0:
            raise ValueError(
                f"Without a ranker `alpha` must be 0. Received: alpha={alpha!r}"
            )
        if self.rater is None and float(alpha) != 1.0:
            raise ValueError(
                f"Without a rater `alpha` must be 1. Received: alpha={alpha!r}"
            )
        if isinstance(l2, bool) or not float(l2) >= 0.0:
            raise ValueError(f"`l2` must be >= 0. Received: l2={l2!r}")
        self.alpha = float(alpha)
        self.l2 = float(l2)
        self.post_consumption = bool(post_consumption)
        if activation not in PostConsumption.ACTIVATIONS:
            raise ValueError(
                f"`activation` must be one of {PostConsumption.ACTIVATIONS}. "
                f"Received: activation={activation!r}"
            )
        self.activation = activation

        self.user_embedding = keras.layers.Embedding(
            num_users, self.embedding_dim,
            embeddings_initializer="glorot_uniform", name="user_embedding",
        )
        self.item_embedding = keras.layers.Embedding(
            num_items, self.embedding_dim,
            embeddings_initializer="glorot_uniform", name="item_embedding",
        )
        self.user_embedding.build((None,))
        self.item_embedding.build((None,))
        if self.ranker is not None:
            self.ranker.build_for(num_users, num_items, self.embedding_dim)
        if self.rater is not None:
            self.rater.build_for(num_users, num_items, self.embedding_dim)
        self.post = (
            PostConsumption(num_items, self.embedding_dim, activation, name="post")
            if self.post_consumption and self.rater is not None
            else None
        )
        # A head that alpha gives no weight is frozen: its variables then
        # get no (absent) gradients and no optimizer slots.
        if self.ranker is not None and not self.trains_ranker:
            self.ranker.trainable = False
        if self.rater is not None and not self.trains_rater:
            self.rater.trainable = False
            if self.post is not None:
                self.post.trainable = False
        self.rank_loss_tracker = keras.metrics.Mean(name="rank_loss")
        self.rating_loss_tracker = keras.metrics.Mean(name="rating_loss")
        self.built = True

    # Which heads train: alpha = 1 trains no rater, alpha = 0 no ranker.
    @property
    def trains_ranker(self):
        return self.ranker is not None and self.alpha > 0.0

    @property
    def trains_rater(self):
        return self.rater is not None and self.alpha < 1.0

    @property
    def needs_negatives(self):
        """Whether training batches need a sampled negative item."""
        return self.input_mode == "pairs" and self.trains_ranker

    @property
    def default_learning_rate(self):
        """Adam's rate for `compile("default")`: 0.002 for pair-wise
        rankers (BPR and its multi-task models), else 0.005.

        Chosen on validation Recall@10 (ML-100K and synthetic data): BPR
        peaks lower and earlier at 0.005; CDAE's row batches and SVD learn
        too slowly at 0.002.
        """
        return 0.002 if self._pairwise_ranker else 0.005

    @property
    def default_patience(self):
        """Early-stopping patience `training.fit_model` uses by default.

        A pair-wise ranker's validation Recall@10 climbs slowly while
        jumping about +-0.015 from epoch to epoch (472 validation users on
        ML-100K), so 10 epochs stop it far before its best; it gets 30.
        """
        return 30 if self._pairwise_ranker else 10

    @property
    def _pairwise_ranker(self):
        return self.input_mode == "pairs" and self.trains_ranker

    def compile(
        self, optimizer="default", jit_compile=None, steps_per_execution=None, **kwargs
    ):
        """`keras.Model.compile` with presets and a faster default.

        Args:
            optimizer: "default" (Adam at `default_learning_rate`),
                "paper" (AdaGrad, lr 0.001), or anything
                `keras.Model.compile` takes.
            jit_compile: bool or `None`. `None` uses XLA for pair batches
                of a model adapted to at least `JIT_MIN_INTERACTIONS`
                interactions (twice as fast per epoch on ML-1M-sized data,
                but its compile time outweighs that on small data), and
                never for row batches, whose ragged row building XLA cannot
                compile.
            steps_per_execution: int or `None`. Batches per call into the
                compiled training function. `None` means 16 (one Python
                round trip per 16 small batches doubled BPR's samples/s on
                ML-1M-sized data; results are the same as with 1), or 1
                under a tf.distribute strategy, where Keras's multi-step
                loop fails on row batches of varying size.
            **kwargs: passed to `keras.Model.compile`.
        """
        if jit_compile is None:
            # Not under a tf.distribute strategy: XLA there cannot reach
            # the other replicas' variables (Keras's own "auto" agrees).
            jit_compile = (
                self.input_mode == "pairs"
                and self.history_size >= JIT_MIN_INTERACTIONS
                and not _has_strategy()
            )
        if isinstance(optimizer, str) and optimizer == "default":
            optimizer = keras.optimizers.Adam(self.default_learning_rate)
        if steps_per_execution is None:
            steps_per_execution = 1 if _has_strategy() else 16
        super().compile(
            optimizer=optimizers.get(optimizer),
            jit_compile=jit_compile,
            steps_per_execution=steps_per_execution,
            **kwargs,
        )

    def compile_from_config(self, config):
        # Keras skips this for models with their own `compile`; ours only
        # adds presets, so a loaded model is compiled as it was saved.
        config = keras.saving.deserialize_keras_object(config)
        self.compile(**config)
        if self.built:
            self.optimizer.build(self.trainable_variables)

    def adapt(self, train):
        super().adapt(train)
        if self.rater is not None:
            self.rater.adapt(train)
        return self

    # Rating-side vectors: raw in vanilla, post-consumption in RnR.
    def _rating_vectors(self, user_vectors, item_vectors, items=None):
        if self.post is None:
            return user_vectors, item_vectors
        return self.post.transform(user_vectors), self.post.items(item_vectors, items)

    def call(self, inputs, training=False):
        users = inputs["user"]
        user_vectors = self.user_embedding(users)
        outputs = {}
        if self.input_mode == "rows":
            item_matrix = self.item_embedding.embeddings
            if self.trains_ranker or not training:
                rows, _ = self.require_history().rows(users)
                outputs["rank"] = self.ranker(
                    user_vectors, item_matrix, rows, training=training
                )
            if self.rater is not None and (self.trains_rater or not training):
                p, q = self._rating_vectors(user_vectors, item_matrix)
                outputs["rating"] = self.rater.rate_all(p, q, users)
            return outputs
        items = inputs["item"]
        item_vectors = self.item_embedding(items)
        if self.ranker is not None and (self.trains_ranker or not training):
            score = self.ranker(user_vectors, item_vectors, items)
            if "negative" in inputs:
                negatives = inputs["negative"]
                score = score - self.ranker(
                    user_vectors, self.item_embedding(negatives), negatives
                )
            outputs["rank"] = score
        if self.rater is not None and (self.trains_rater or not training):
            p, q = self._rating_vectors(user_vectors, item_vectors, items)
            outputs["rating"] = self.rater(p, q, users, items)
        return outputs

    def _row_norms(self, embedding, indices):
        return ops.sum(ops.square(ops.take(embedding, indices, axis=0)), axis=-1)

    def _pairs_penalty(self, x):
        users, items = x["user"], x["item"]
        per_example = self._row_norms(
            self.user_embedding.embeddings, users
        ) + self._row_norms(self.item_embedding.embeddings, items)
        if self.needs_negatives:
            per_example += self._row_norms(
                self.item_embedding.embeddings, x["negative"]
            )
        if self.post is not None and self.trains_rater:
            per_example += self._row_norms(self.post.deviation, items)
        if self.trains_rater:
            per_example += self.rater.example_penalty(users, items)
        return ops.mean(per_example)

    def _rows_penalty(self, users, rows):
        # Per observed interaction: rows read by that interaction.
        per_user = ops.sum(rows, axis=1)
        per_item = ops.sum(rows, axis=0)
        total = ops.sum(
            per_user * self._row_norms(self.user_embedding.embeddings, users)
        )
        item_norms = ops.sum(ops.square(self.item_embedding.embeddings), axis=1)
        if self.post is not None and self.trains_rater:
            item_norms += ops.sum(ops.square(self.post.deviation), axis=1)
        total += ops.sum(per_item * item_norms)
        if self.trains_ranker:
            total += self.ranker.penalty(per_item)
        if self.trains_rater:
            total += self.rater.penalty(users, per_user, per_item)
        return total / ops.maximum(ops.sum(per_user), 1.0)

    def compute_loss(
        self, x=None, y=None, y_pred=None, sample_weight=None, training=True
    ):
        rank_loss = ops.zeros(())
        rating_loss = ops.zeros(())
        if self.input_mode == "rows":
            rows, rating_rows = self.require_history().rows(x["user"])
            if self.trains_ranker:
                rank_loss = self.ranker.loss(y_pred["rank"], rows)
            if self.trains_rater:
                rating_loss = ops.sum(
                    rows * ops.square(rating_rows - y_pred["rating"])
                ) / ops.maximum(ops.sum(rows), 1.0)
            penalty = self._rows_penalty(x["user"], rows)
        else:
            if self.trains_ranker:
                rank_loss = self.ranker.loss(y_pred["rank"])
            if self.trains_rater:
                ratings = ops.cast(ops.reshape(y, (-1,)), "float32")
                rating_loss = ops.mean(ops.square(ratings - y_pred["rating"]))
            penalty = self._pairs_penalty(x)
        if self.post is not None and self.trains_rater:
            penalty += self.post.theta_penalty()
        self.rank_loss_tracker.update_state(rank_loss)
        self.rating_loss_tracker.update_state(rating_loss)
        total = self.alpha * rank_loss + (1.0 - self.alpha) * rating_loss
        # Per-replica means: each replica's gradients are summed across
        # replicas, so scale as Keras's built-in losses do.
        return (total + self.l2 * penalty) / _num_replicas()

    def score_batch(self, users):
        user_vectors = self.user_embedding(users)
        item_matrix = self.item_embedding.embeddings
        if self.ranker is not None:
            rows = None
            if self.input_mode == "rows":
                rows, _ = self.require_history().rows(users)
            return self.ranker.score_all(user_vectors, item_matrix, rows)
        p, q = self._rating_vectors(user_vectors, item_matrix)
        return self.rater.rate_all(p, q, users)

    def predict_rating(self, users, items):
        """Predicted ratings of (user, item) pairs, as a NumPy array."""
        if self.rater is None:
            raise ValueError(f"{type(self).__name__} has no rater")
        users = ops.convert_to_tensor(np.asarray(users, dtype=np.int32))
        items = ops.convert_to_tensor(np.asarray(items, dtype=np.int32))
        p, q = self._rating_vectors(
            self.user_embedding(users), self.item_embedding(items), items
        )
        return ops.convert_to_numpy(self.rater(p, q, users, items))

    def _fixed_heads_config(self, keys):
        """Config of a subclass that fixes its heads: base args + `keys`."""
        config = Recommender.get_config(self)
        config.update({key: getattr(self, key) for key in keys})
        return config

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "ranker": keras.saving.serialize_keras_object(self.ranker)
                if self.ranker is not None
                else None,
                "rater": keras.saving.serialize_keras_object(self.rater)
                if self.rater is not None
                else None,
                "embedding_dim": self.embedding_dim,
                "alpha": self.alpha,
                "l2": self.l2,
                "post_consumption": self.post_consumption,
                "activation": self.activation,
            }
        )
        return config
