"""The engine behind every trainable zoo model: a ranker, a rater, or both."""

import keras
import numpy as np
from keras import ops

from rnr_keras import optimizers
from rnr_keras import registry
from rnr_keras.api_export import rnr_export
from rnr_keras.callbacks.step_progbar import StepProgbar
from rnr_keras.inputs.interaction_history import InteractionHistory
from rnr_keras.layers.head_context import HeadContext
from rnr_keras.layers.post_consumption import PostConsumption
from rnr_keras.layers.ranker import Ranker
from rnr_keras.layers.rater import Rater
from rnr_keras.layers.row_reads import embedding_rows
from rnr_keras.models.batch_kind import BatchKind
from rnr_keras.models.pair_batches import PairBatches  # noqa: F401 (registers "pairs")
from rnr_keras.models.recommender import Recommender
from rnr_keras.models.row_batches import RowBatches  # noqa: F401 (registers "rows")
from rnr_keras.models.sequence_batches import SequenceBatches  # noqa: F401 (registers "sequences")
from rnr_keras.validation import check_positive_int

#: Training-set size from which `compile` turns XLA on for pair batches.
JIT_MIN_INTERACTIONS = 200_000
#: Training-set size from which a model that is not `large` counts as
#: medium (`MultiTaskModel.medium`): pair batches grow 4x
#: (`PairBatches.medium_batch_size`) and the "default" rate 2x.
MEDIUM_MIN_INTERACTIONS = 200_000
#: Embedding rows (users + items) from which the model counts as large:
#: `compile` then picks row-sparse optimisers without XLA, and pair
#: batches grow to `PairBatches.large_batch_size`. Dense updates of
#: Yelp's 295k + 168k rows dominate every step (BPR trained at ~8,000
#: interactions/s); ML-1M's 9.7k rows stay dense, where XLA fuses them.
SPARSE_MIN_ROWS = 100_000
#: Early-stopping patience of a `large` model at most. Its batches grow
#: and its rate with them, and one epoch reads millions of interactions:
#: on `synthetic(shape="yelp")` (5,934 sampled validation users, seed 0)
#: BPR's validation Recall@10 peaked at epoch 5 (0.0281) and fell steadily
#: after (0.0224-0.0229 at epochs 10-12), CDAE's at epoch 2. BPR's
#: patience of 30, chosen on ML-100K where it climbs slowly and noisily,
#: would train 30 more epochs of about 20 s after the best one.
LARGE_PATIENCE = 5


def tf_data_types():
    """The `tf.data.Dataset` class, or `()` where TensorFlow is absent."""
    try:
        import tensorflow as tf
    except ImportError:  # another backend, without TensorFlow
        return ()
    return (tf.data.Dataset,)


def _resolve(component, kind, base, argument):
    """A head from a registered name, a serialized config or an instance."""
    if component is None:
        return None
    known = registry.names(kind)
    if isinstance(component, str):
        name = component.lower()
        if name not in known:
            raise ValueError(
                f"Unknown {argument} {component!r}. Known: {known}, or a "
                f"`{base.__name__}` instance."
            )
        return registry.algorithm(name).head(name=name)
    if isinstance(component, dict):
        # The model builds its heads for its own sizes (below).
        component = dict(component)
        component.pop("build_config", None)
        component = keras.saving.deserialize_keras_object(component)
    if not isinstance(component, base):
        raise ValueError(
            f"`{argument}` must be a name in {known} or a "
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
    - Batches. The ranker names its `BatchKind` (a strategy object that
      owns the pipeline, the outputs and the losses): with a pair-wise
      ranker (BPR, WRMF) or no ranker, one example is one training
      interaction (u, i, r), with a sampled negative j where the ranker
      needs one, and both losses are means over the batch. With a row-wise
      ranker (CDAE), one example is one user: R reconstructs the user's row
      and P's loss is the squared error over the user's observed ratings;
      both are divided by the number of observed interactions in the
      batch, so both are per-interaction means and `alpha` weighs like with
      like.
    - Data. The training interactions are not model state: `adapt(train)`
      hands them to the model, and heads read a user's history (CDAE's
      row, SVD++'s implicit feedback) from the `HeadContext` the model
      gives them. Config and weights do not depend on the data's size.
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
    - A user who is not in the training data (`recommend_for_items`) is
      folded into the head that ranks. R's `fold_in` (on the raw I, as R
      scores) minimises the user's part of R's share of the objective,
      `alpha * L_R + l2 |p_u|^2` per interaction, i.e. R's loss with
      `l2 / alpha`; P's loss on the same p_u is left out, since R alone
      ranks. Without R, P's `fold_in` works on the vectors P receives
      (with `post_consumption` it solves for P's user vector FC(p_u)
      directly). A sequence ranker needs no fold-in: it encodes the items.
    Initialisation as the paper: Xavier (glorot uniform) for U, I and FC,
    zeros for Id and all biases.

    Args:
        num_users: int. Number of user indices.
        num_items: int. Number of item indices.
        ranker: `Ranker`, a registered ranker name (`registry.names(
            "ranker")`: "bpr", "cdae", "wrmf", ...) or `None`. The R
            algorithm.
        rater: `Rater`, a registered rater name ("svd", "svdpp", ...) or
            `None`. The P algorithm.
        embedding_dim: int. Width of U and I. Defaults to 50 (paper).
        alpha: float in [0, 1]. Weight of the ranking loss. Defaults to
            0.95.
        l2: float >= 0. The paper's lambda. Defaults to 0.001.
        post_consumption: bool. RnR's Id + tied FC for P. Defaults to
            `False` (vanilla multi-task).
        activation: str. Nonlinearity of the tied FC ("tanh", "relu",
            "sigmoid", "linear"); used only with `post_consumption`.
            Defaults to "tanh".

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
        **kwargs,
    ):
        self.ranker = _resolve(ranker, "ranker", Ranker, "ranker")
        self.rater = _resolve(rater, "rater", Rater, "rater")
        self.batch_kind = BatchKind.get(
            self.ranker.batch_kind if self.ranker is not None else "pairs"
        )
        super().__init__(num_users, num_items, **kwargs)
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
        if not self.batch_kind.uses_user_embedding:
            # A sequence ranker's user vector encodes the user's items.
            self.user_embedding.trainable = False
        shape = (num_users, num_items, self.embedding_dim)
        for head in (self.ranker, self.rater):
            if head is not None and not head.built:
                head.build(shape)
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
    def input_mode(self):
        """The name of the model's `batch_kind` ("pairs" or "rows")."""
        return self.batch_kind.name

    @property
    def needs_negatives(self):
        """Whether training batches need a sampled negative item."""
        return (
            self.batch_kind.name == "pairs"
            and self.trains_ranker
            and self.ranker.needs_negatives
        )

    @property
    def uses_history(self):
        """Whether scoring reads the training data (CDAE, SVD++)."""
        return any(
            head is not None and head.uses_history
            for head in (self.ranker, self.rater)
        )

    @property
    def scores_from_items(self):
        """True with a sequence ranker (it encodes the user's items) or a
        ranking head that folds a new user in (`folds_in`: BPR, WRMF,
        CDAE, SVD, SVD++)."""
        return not self.batch_kind.uses_user_embedding or self._ranking_head.folds_in

    @property
    def _ranking_head(self):
        # What `score` ranks by: R, else P's predicted ratings.
        return self.ranker if self.ranker is not None else self.rater

    @property
    def _lead_head(self):
        # The head whose training defaults apply: the trained ranker.
        return self.ranker if self.trains_ranker else None

    @property
    def default_learning_rate(self):
        """Adam's rate for `compile("default")`: the trained ranker's
        `default_learning_rate` (0.002 for BPR, whose validation Recall@10
        peaks lower and earlier at 0.005), else 0.005 (CDAE's row batches
        and SVD learn too slowly at 0.002). Chosen on validation Recall@10
        (ML-100K and synthetic data).
        """
        head = self._lead_head
        return head.default_learning_rate if head is not None else 0.005

    @property
    def default_patience(self):
        """Early-stopping patience `training.fit_model` uses by default:
        the trained ranker's `default_patience` (30 for pair-wise BPR,
        whose validation Recall@10 climbs slowly while jumping about
        +-0.015 from epoch to epoch), else 10; at most `LARGE_PATIENCE`
        (5) on a `large` model.
        """
        head = self._lead_head
        patience = head.default_patience if head is not None else 10
        return min(patience, LARGE_PATIENCE) if self.large else patience

    @property
    def large(self):
        """Whether the embedding tables are large (`SPARSE_MIN_ROWS`):
        `compile` then updates only the rows a batch touches."""
        return self.num_users + self.num_items >= SPARSE_MIN_ROWS

    @property
    def medium(self):
        """Whether the model is not `large` but was adapted to at least
        `MEDIUM_MIN_INTERACTIONS` interactions (ML-1M's million, not
        ML-100K's hundred thousand): its batch kind may then use larger
        batches (`BatchKind.medium_batch_size`)."""
        history = self.interaction_history
        return (
            not self.large
            and history is not None
            and len(history) >= MEDIUM_MIN_INTERACTIONS
        )

    def compile(
        self, optimizer="default", jit_compile=None, steps_per_execution=None, **kwargs
    ):
        """`keras.Model.compile` with presets and a faster default.

        On a `large` model (at least `SPARSE_MIN_ROWS` users + items) the
        presets are row-sparse: "default" is `LazyAdam`, "paper"
        `SparseAdagrad` (exactly AdaGrad's update, only cheaper), so a
        step costs what the batch touches, not the tables.

        Args:
            optimizer: "default" (Adam at `default_learning_rate` times
                the batch kind's `learning_rate_scale`: 2 for pairs on a
                medium model, whose batches grow 4x; `LazyAdam` on a large
                model, at 5x for pairs, whose batches grow 32x, and 3x for
                CDAE's sampled row batches, which grow 16x; the factor
                assumes those default batch sizes), "paper" (AdaGrad, lr
                0.001 at any batch size; `SparseAdagrad` on a large
                model), or anything `keras.Model.compile` takes.
            jit_compile: bool or `None`. `None` uses XLA for a batch kind
                XLA can compile (pairs), heads that read no history, and a
                model adapted to at least `JIT_MIN_INTERACTIONS`
                interactions (twice as fast per epoch on ML-1M-sized data,
                but its compile time outweighs that on small data), unless
                the model is `large`: XLA's scatter updates were slower
                than TensorFlow's at large batches (BPR at batch 32,768 on
                Yelp-sized tables, 2 cores: ~90k vs ~150-190k
                interactions/s). Call `adapt` before `compile` for it to
                apply.
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
            history = self.interaction_history
            jit_compile = (
                self.batch_kind.jit_compatible
                and not self.batch_kind.training_reads_history(self)
                and history is not None
                and len(history) >= JIT_MIN_INTERACTIONS
                and not self.large
                and not _has_strategy()
            )
        if isinstance(optimizer, str) and optimizer == "default":
            if self.large:
                optimizer = optimizers.LazyAdam(
                    self.default_learning_rate
                    * self.batch_kind.learning_rate_scale(self)
                )
            else:
                optimizer = keras.optimizers.Adam(
                    self.default_learning_rate
                    * self.batch_kind.learning_rate_scale(self)
                )
        elif isinstance(optimizer, str) and optimizer == "paper" and self.large:
            optimizer = optimizers.SparseAdagrad(learning_rate=0.001)
        if steps_per_execution is None:
            steps_per_execution = 1 if _has_strategy() else 16
        super().compile(
            optimizer=optimizers.get(optimizer),
            jit_compile=jit_compile,
            steps_per_execution=steps_per_execution,
            **kwargs,
        )

    def fit(self, x=None, y=None, *args, shuffle=None, callbacks=None, **kwargs):
        """`keras.Model.fit`, with two defaults that suit the zoo's data.

        A `tf.data.Dataset` (what `training_dataset` and
        `inputs.dataset_for` return) is not shuffled by Keras, so
        `shuffle` defaults to `False` for one (Keras warns that it
        ignores `shuffle=True` there); the dataset reshuffles itself,
        seeded, each epoch. The progress bar is a `StepProgbar`, which
        counts right with `steps_per_execution`. Everything else is
        `keras.Model.fit`'s.
        """
        if shuffle is None:
            shuffle = not isinstance(x, tf_data_types())
        callbacks = list(callbacks or [])
        if kwargs.get("verbose", "auto") != 0 and not any(
            isinstance(callback, keras.callbacks.ProgbarLogger)
            for callback in callbacks
        ):
            callbacks.append(StepProgbar())
        return super().fit(
            x, y, *args, shuffle=shuffle, callbacks=callbacks, **kwargs
        )

    def compile_from_config(self, config):
        # Keras skips this for models with their own `compile`; ours only
        # adds presets, so a loaded model is compiled as it was saved.
        config = keras.saving.deserialize_keras_object(config)
        self.compile(**config)
        if self.built:
            self.optimizer.build(self.trainable_variables)

    def fit_statistics(self, train):
        if self.rater is not None:
            self.rater.adapt(train)

    def training_dataset(self, train, batch_size=None, shuffle=True, seed=0):
        """The `tf.data` pipeline of training batches (see `BatchKind`)."""
        self.check_interactions(train, "train")
        return self.batch_kind.dataset(
            self, train, batch_size=batch_size, shuffle=shuffle, seed=seed
        )

    def user_rows(self, users):
        """`U[users]`; a large U gives only those rows (`embedding_rows`)."""
        return embedding_rows(self.user_embedding, users)

    def item_rows(self, items):
        """`I[items]`; a large I gives only those rows (`embedding_rows`)."""
        return embedding_rows(self.item_embedding, items)

    def rating_vectors(self, user_vectors, item_vectors, items=None):
        """The rater's vectors: raw in vanilla, post-consumption in RnR."""
        if self.post is None:
            return user_vectors, item_vectors
        return self.post.transform(user_vectors), self.post.items(item_vectors, items)

    def call(self, inputs, training=False):
        return self.batch_kind.call(self, inputs, training=training)

    def compute_loss(
        self, x=None, y=None, y_pred=None, sample_weight=None, training=True
    ):
        rank_loss, rating_loss, penalty = self.batch_kind.losses(self, x, y, y_pred)
        if self.post is not None and self.trains_rater:
            penalty += self.post.theta_penalty()
        self.rank_loss_tracker.update_state(rank_loss)
        self.rating_loss_tracker.update_state(rating_loss)
        total = self.alpha * rank_loss + (1.0 - self.alpha) * rating_loss
        # Per-replica means: each replica's gradients are summed across
        # replicas, so scale as Keras's built-in losses do.
        return (total + self.l2 * penalty) / _num_replicas()

    def score_batch(self, users):
        context = self.context(users)
        user_vectors = self.batch_kind.user_vectors(self, context)
        item_matrix = self.item_embedding.embeddings
        if self.ranker is not None:
            return self.ranker.score_all(context, user_vectors, item_matrix)
        p, q = self.rating_vectors(user_vectors, item_matrix)
        return self.rater.rate_all(context, p, q)

    def score_new_users(self, given, rated=False):
        """`(n, num_items)` scores of new users, folded into the ranking
        head (see the class docstring); a sequence ranker encodes them."""
        if not self.batch_kind.uses_user_embedding:
            return super().score_new_users(given, rated)
        users = ops.convert_to_tensor(np.arange(given.num_users, dtype=np.int32))
        context = HeadContext(
            users, InteractionHistory(given), owner=type(self).__name__
        )
        item_matrix = self.item_embedding.embeddings
        if self.ranker is not None:
            # R's share of the loss; l2 per interaction stays whole.
            l2 = self.l2 / self.alpha if self.alpha > 0 else self.l2
            vectors = self.ranker.fold_in(context, item_matrix, l2)
            return self.ranker.score_all(context, vectors, item_matrix)
        users, q = self.rating_vectors(self.user_embedding.embeddings, item_matrix)
        vectors, bias = self.rater.fold_in(context, users, q, rated)
        return self.rater.rate_all(context, vectors, q, user_bias=bias)

    def rate_batch(self, users, items):
        """`(B,)` predicted ratings for tensors of user and item indices
        (what `predict_rating` and the serving export's `rate` compute)."""
        context = self.context(users)
        p, q = self.rating_vectors(
            self.batch_kind.user_vectors(self, context),
            self.item_rows(items),
            items,
        )
        return self.rater.rate(context, p, q, items)

    def predict_rating(self, users, items):
        """Predicted ratings of (user, item) pairs, as a NumPy array."""
        if self.rater is None:
            raise ValueError(f"{type(self).__name__} has no rater")
        users = ops.convert_to_tensor(np.asarray(users, dtype=np.int32))
        items = ops.convert_to_tensor(np.asarray(items, dtype=np.int32))
        return ops.convert_to_numpy(self.rate_batch(users, items))

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
