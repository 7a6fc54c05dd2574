"""RnR's post-consumption transform of user and item vectors."""

import keras
from keras import ops

from rnr_keras.api_export import rnr_export
from rnr_keras.layers.row_reads import take_rows


@rnr_export
class PostConsumption(keras.layers.Layer):
    """Item deviations Id and one tied fully connected layer FC_theta.

    q_post_i = q_i + q_dev_i with Id zero-initialised (so training starts
    from the vanilla model), then p^P_u = FC(p_u) and q^P_i = FC(q_post_i)
    with the SAME kernel and bias (tied), so users and items land in one
    post-consumption space. Kernel: Xavier; bias: zeros.

    Args:
        num_items: int. Rows of the deviation matrix.
        embedding_dim: int. Width of the vectors (and of FC's output).
        activation: str. FC nonlinearity: "tanh", "relu", "sigmoid" or
            "linear". Defaults to "tanh".

    References:
        Hadash, Sar Shalom, Osadchy. Rank and Rate: Multi-task Learning for
        Recommender Systems. RecSys 2018.
    """

    ACTIVATIONS = ("tanh", "relu", "sigmoid", "linear")

    def __init__(
        self,
        num_items: int,
        embedding_dim: int,
        activation: str = "tanh",
        **kwargs,
    ):
        super().__init__(**kwargs)
        for name, value in (("num_items", num_items), ("embedding_dim", embedding_dim)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(
                    f"`{name}` must be a positive integer. Received: "
                    f"{name}={value!r}"
                )
        if activation not in self.ACTIVATIONS:
            raise ValueError(
                f"`activation` must be one of {self.ACTIVATIONS}. Received: "
                f"activation={activation!r}"
            )
        self.num_items = num_items
        self.embedding_dim = embedding_dim
        self.activation = activation
        self.deviation = self.add_weight(
            shape=(num_items, embedding_dim), initializer="zeros", name="deviation"
        )
        self.kernel = self.add_weight(
            shape=(embedding_dim, embedding_dim),
            initializer="glorot_uniform",
            name="kernel",
        )
        self.bias = self.add_weight(
            shape=(embedding_dim,), initializer="zeros", name="bias"
        )
        self._activation = keras.activations.get(activation)
        self.built = True

    def transform(self, vectors):
        """FC_theta(vectors)."""
        return self._activation(ops.matmul(vectors, self.kernel) + self.bias)

    def items(self, item_vectors, items=None):
        """FC_theta(q + q_dev) for `items`, or for all items if `None`."""
        deviation = (
            self.deviation if items is None else take_rows(self.deviation, items)
        )
        return self.transform(item_vectors + deviation)

    def theta_penalty(self):
        return ops.sum(ops.square(self.kernel)) + ops.sum(ops.square(self.bias))

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "num_items": self.num_items,
                "embedding_dim": self.embedding_dim,
                "activation": self.activation,
            }
        )
        return config
