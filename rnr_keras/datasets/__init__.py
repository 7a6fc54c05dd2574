"""Datasets: MovieLens, Yelp, your own frames, and a seeded synthetic set."""

from rnr_keras.datasets.frame import from_frame
from rnr_keras.datasets.interactions import Interactions
from rnr_keras.datasets.loader import DATASETS
from rnr_keras.datasets.loader import load
from rnr_keras.datasets.movielens import movielens_titles
from rnr_keras.datasets.synthetic import synthetic

__all__ = [
    "DATASETS",
    "Interactions",
    "from_frame",
    "load",
    "movielens_titles",
    "synthetic",
]
