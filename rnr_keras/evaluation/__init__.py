"""Evaluation: full-ranking and rating metrics, and a training callback."""

from rnr_keras.evaluation.mrr_at_k import MRRAtK
from rnr_keras.evaluation.ranking import evaluate_ranking
from rnr_keras.evaluation.ranking import heldout_ranks
from rnr_keras.evaluation.ranking import metric_log_name
from rnr_keras.evaluation.ranking import ranking_metrics_from_ranks
from rnr_keras.evaluation.ranking_metrics_callback import RankingMetricsCallback
from rnr_keras.evaluation.rating import evaluate_rating
from rnr_keras.evaluation.recall_at_k import RecallAtK

__all__ = [
    "MRRAtK",
    "RankingMetricsCallback",
    "RecallAtK",
    "evaluate_ranking",
    "evaluate_rating",
    "heldout_ranks",
    "metric_log_name",
    "ranking_metrics_from_ranks",
]
