"""Datasets: MovieLens, Yelp, your own frames, and a seeded synthetic set."""

from rnr_keras.datasets.interactions import Interactions

__all__ = ["Interactions"]
