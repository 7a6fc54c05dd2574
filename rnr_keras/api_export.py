"""Registration of public classes for Keras serialization."""

import keras

PACKAGE = "rnr_keras"


def rnr_export(cls):
    """Registers `cls` with Keras so `.keras` files that contain it load.

    The registered name is `rnr_keras>ClassName`, so a saved model loads with
    `keras.saving.load_model(path)` once `rnr_keras` has been imported.
    """
    return keras.saving.register_keras_serializable(package=PACKAGE)(cls)
