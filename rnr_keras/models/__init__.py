"""The zoo: every algorithm of the paper as a Keras 3 model."""

from rnr_keras.models.batch_kind import BatchKind
from rnr_keras.models.bpr import BPR
from rnr_keras.models.cdae import CDAE
from rnr_keras.models.ease import EASE
from rnr_keras.models.multi_task_model import MultiTaskModel
from rnr_keras.models.popularity import Popularity
from rnr_keras.models.recommender import Recommender
from rnr_keras.models.rnr_model import RnRModel
from rnr_keras.models.sasrec import SASRec
from rnr_keras.models.single_task_model import SingleTaskModel
from rnr_keras.models.svd import SVD
from rnr_keras.models.svdpp import SVDpp
from rnr_keras.models.transition import Transition
from rnr_keras.models.vanilla_model import VanillaModel
from rnr_keras.models.wrmf import WRMF

__all__ = [
    "BatchKind",
    "BPR",
    "CDAE",
    "EASE",
    "MultiTaskModel",
    "Popularity",
    "Recommender",
    "RnRModel",
    "SASRec",
    "SingleTaskModel",
    "SVD",
    "SVDpp",
    "Transition",
    "VanillaModel",
    "WRMF",
]
