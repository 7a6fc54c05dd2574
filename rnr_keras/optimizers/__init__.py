"""Optimisers: row-sparse Adam and AdaGrad, and the named presets.

`get("default")` is the package's tuned default (Adam, learning rate
0.005; `MultiTaskModel.compile("default")` uses the trained ranker's
`default_learning_rate`, 0.002 for BPR); `get("paper")` is the paper's
AdaGrad with learning rate 0.001.
Both update whole tables each step, which XLA fuses well on catalogs the
size of MovieLens. `LazyAdam` and `SparseAdagrad` update only the rows a
batch touched; `MultiTaskModel.compile` picks them (without XLA) for
"default" and "paper" when the tables are large (`SPARSE_MIN_ROWS`, 100k
users + items), where dense updates would dominate every step.
"""

import keras

from rnr_keras.optimizers.lazy_adam import LazyAdam
from rnr_keras.optimizers.sparse_adagrad import SparseAdagrad

PRESETS = {
    "default": lambda: keras.optimizers.Adam(learning_rate=0.005),
    "paper": lambda: keras.optimizers.Adagrad(learning_rate=0.001),
}


def get(identifier):
    """An optimiser from a preset name, a Keras name/config, or an instance."""
    if isinstance(identifier, str) and identifier in PRESETS:
        return PRESETS[identifier]()
    return keras.optimizers.get(identifier)


__all__ = ["LazyAdam", "PRESETS", "SparseAdagrad", "get"]
