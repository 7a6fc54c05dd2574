"""The shipped zoo presets, one folder each (`<model>_<dataset>/`).

A package only so that setuptools installs the preset files with it; the
folders are written by `python -m rnr_keras.zoo.build_presets`.
"""
