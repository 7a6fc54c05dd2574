"""The shipped zoo presets, one folder each (`<model>_<dataset>/`).

A package only so that setuptools installs the preset files with it; the
folders are written by `python -m rnr_keras.zoo.build_presets`. They hold
model weights, id maps and metadata, never the training data: loading
rebuilds each model's training history from the user's copy of the dataset
(see `rnr_keras.zoo`).
"""
