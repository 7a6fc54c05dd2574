"""A Keras progress bar that stays right with `steps_per_execution`."""

import keras

from rnr_keras.api_export import rnr_export


@rnr_export
class StepProgbar(keras.callbacks.ProgbarLogger):
    """`keras.callbacks.ProgbarLogger` that never counts past the epoch.

    With `steps_per_execution=N`, Keras reports each call into the compiled
    loop as `N` steps, also the last one of an epoch, which runs only the
    batches left: an epoch of 15 batches shows `16/15`, one of 47 shows
    `48/47`. This bar caps the training count at the epoch's length. The
    zoo's `fit` uses it whenever Keras would show its own bar.

    Example:

    >>> bar = StepProgbar()
    >>> bar.set_params({"verbose": 1, "epochs": 1, "steps": 15})
    >>> bar.capped(15)
    14
    """

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def capped(self, batch):
        """`batch` (0-based index of the last batch run), at most the
        epoch's last index when the epoch's length is known."""
        if self.target is not None and batch >= self.target:
            return self.target - 1
        return batch

    def on_train_batch_end(self, batch, logs=None):
        super().on_train_batch_end(self.capped(batch), logs)
