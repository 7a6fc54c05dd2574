"""How a model's training batches are made and turned into losses."""

import abc

from keras import ops

from rnr_keras.layers.row_reads import take_rows


class BatchKind(abc.ABC):
    """The strategy behind one kind of training batch.

    A ranker names the kind it trains on (`Ranker.batch_kind`); the model
    asks `BatchKind.get(name)` for the strategy once and delegates to it,
    so no model method branches on the kind. A kind owns three things:

    - `dataset(model, train, batch_size, shuffle, seed)`: the `tf.data`
      pipeline of training batches;
    - `call(model, inputs, training)`: the model's outputs for a batch
      (`{"rank": ..., "rating": ...}`);
    - `losses(model, x, y, y_pred)`: `(rank_loss, rating_loss, penalty)`,
      each a per-interaction mean, the penalty being the squared norms of
      the rows the batch reads (the stochastic form of the paper's
      Frobenius penalty).

    Subclasses set `name` and register themselves by being defined; a new
    kind (sequences, say) is one new file.
    """

    name = None
    #: Batch size `dataset` uses when given `None`.
    default_batch_size = None
    #: Batch size of a model whose batches grow (see `grows`); `None`: they
    #: keep `default_batch_size`.
    large_batch_size = None
    #: Whether XLA can compile this kind's training step.
    jit_compatible = True
    #: Factor on the "default" learning rate of a `large` model (whose
    #: batches this kind may enlarge); see `learning_rate_scale`.
    large_learning_rate_scale = 1.0
    #: Batch size of a `medium` model (`MultiTaskModel.medium`); `None`:
    #: it keeps `default_batch_size`.
    medium_batch_size = None
    #: Factor on the "default" learning rate of a `medium` model whose
    #: batches grow to `medium_batch_size`.
    medium_learning_rate_scale = 1.0
    #: Whether the model's user matrix U gives the user vectors (False for
    #: sequence rankers, whose user vector encodes the user's items).
    uses_user_embedding = True

    _KINDS = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.name is not None:
            BatchKind._KINDS[cls.name] = cls()

    @staticmethod
    def get(name):
        """The registered kind called `name` (a kind registers when its
        module is imported; `MultiTaskModel` imports the built-in ones)."""
        if name not in BatchKind._KINDS:
            raise ValueError(
                f"Unknown batch kind {name!r}. Known: {sorted(BatchKind._KINDS)}"
            )
        return BatchKind._KINDS[name]

    def grows(self, model):
        """Whether `model`'s batches grow to the kind's large size (and its
        "default" rate with them): a `large` model."""
        return getattr(model, "large", False)

    def grows_medium(self, model):
        """Whether `model`'s batches grow to the kind's `medium_batch_size`
        (and its "default" rate with them): a `medium` model."""
        return self.medium_batch_size is not None and getattr(model, "medium", False)

    def batch_size(self, model):
        """Batch size `dataset` uses when given `None`: the kind's
        `large_batch_size` where its batches grow, its `medium_batch_size`
        on a medium model, else `default_batch_size`."""
        if self.large_batch_size is not None and self.grows(model):
            return self.large_batch_size
        if self.grows_medium(model):
            return self.medium_batch_size
        return self.default_batch_size

    def learning_rate_scale(self, model):
        """Factor on `model`'s "default" learning rate: the kind's
        `large_learning_rate_scale` where its batches grow, its
        `medium_learning_rate_scale` where they grow to the medium size,
        else 1."""
        if self.grows(model):
            return self.large_learning_rate_scale
        if self.grows_medium(model):
            return self.medium_learning_rate_scale
        return 1.0

    @abc.abstractmethod
    def dataset(self, model, train, batch_size=None, shuffle=True, seed=0):
        """The training `tf.data.Dataset` of `model` on `train`."""

    def training_reads_history(self, model):
        """Whether a training step reads the data given to `adapt` (its
        ragged lookups keep XLA off): the model's `uses_history`."""
        return model.uses_history

    def user_vectors(self, model, context, training=False):
        """`(B, d)` user vectors p_u for scoring: U's rows by default."""
        return model.user_rows(context.users)

    @abc.abstractmethod
    def call(self, model, inputs, training=False):
        """The model's output dict for one batch."""

    @abc.abstractmethod
    def losses(self, model, x, y, y_pred):
        """`(rank_loss, rating_loss, penalty)` of one batch."""

    @staticmethod
    def weighted_norms(matrix, indices, weights):
        """`sum(weights * |matrix[indices]|^2)`."""
        return BatchKind.weighted_squares(take_rows(matrix, indices), weights)

    @staticmethod
    def weighted_squares(vectors, weights):
        """`sum(weights * |vectors|^2)` over rows already looked up."""
        return ops.sum(weights * ops.sum(ops.square(vectors), axis=-1))

    def __repr__(self):
        return f"<BatchKind {self.name!r}>"
