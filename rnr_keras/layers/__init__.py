"""Building blocks of the zoo models: heads and post-consumption."""

from rnr_keras.layers.bpr_ranker import BPRRanker
from rnr_keras.layers.cdae_ranker import CDAERanker
from rnr_keras.layers.head_context import HeadContext
from rnr_keras.layers.post_consumption import PostConsumption
from rnr_keras.layers.ranker import Ranker
from rnr_keras.layers.rater import Rater
from rnr_keras.layers.sasrec_ranker import SASRecRanker
from rnr_keras.layers.sequence_ranker import SequenceRanker
from rnr_keras.layers.svd_rater import SVDRater
from rnr_keras.layers.svdpp_rater import SVDppRater
from rnr_keras.layers.wrmf_ranker import WRMFRanker

__all__ = [
    "BPRRanker",
    "CDAERanker",
    "HeadContext",
    "PostConsumption",
    "Ranker",
    "Rater",
    "SASRecRanker",
    "SequenceRanker",
    "SVDRater",
    "SVDppRater",
    "WRMFRanker",
]
