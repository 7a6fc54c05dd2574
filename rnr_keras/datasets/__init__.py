"""Datasets: MovieLens, Yelp, your own frames and files, and a seeded
synthetic set."""

from rnr_keras.datasets.data_file import read_file
from rnr_keras.datasets.frame import from_frame
from rnr_keras.datasets.interactions import Interactions
from rnr_keras.datasets.loader import DATASETS
from rnr_keras.datasets.loader import load
from rnr_keras.datasets.movielens import movielens_titles
from rnr_keras.datasets.synthetic import synthetic
from rnr_keras.datasets.time_resolution import RESOLUTIONS
from rnr_keras.datasets.time_resolution import order_statistics
from rnr_keras.datasets.time_resolution import round_timestamps

__all__ = [
    "DATASETS",
    "Interactions",
    "RESOLUTIONS",
    "from_frame",
    "load",
    "movielens_titles",
    "order_statistics",
    "read_file",
    "round_timestamps",
    "synthetic",
]
