"""Paired significance tests between two models on the same test users."""

import numpy as np
from scipy import stats


def paired_test(ours, baseline, n_bootstrap=10000, confidence=0.95, seed=0):
    """Is `ours` better than `baseline` on the same cases?

    Both arrays hold one value per test case (e.g. the reciprocal rank@10
    of each test user's held-out item), aligned case by case, possibly
    pooled over several seeds' splits. Reports the mean difference, a
    paired bootstrap confidence interval of it (resampling cases), and the
    two-sided Wilcoxon signed-rank p-value (zero differences dropped, the
    usual "wilcox" treatment; p = 1 when every difference is zero).

    Args:
        ours: 1-D float array.
        baseline: 1-D float array of the same length.
        n_bootstrap: int. Bootstrap resamples. Defaults to 10000.
        confidence: float in (0, 1). Interval level. Defaults to 0.95.
        seed: int. Bootstrap seed. Defaults to 0.

    Returns:
        dict with `n`, `mean_difference`, `ci_low`, `ci_high`,
        `confidence`, `p_value` (Wilcoxon), `wins`, `losses`, `ties`.

    Example:

    >>> r = paired_test([1.0, 0.5, 0.0, 1.0], [0.5, 0.5, 0.0, 0.0])
    >>> r["mean_difference"], r["wins"], r["losses"]
    (0.375, 2, 0)
    """
    ours = np.asarray(ours, dtype=np.float64)
    baseline = np.asarray(baseline, dtype=np.float64)
    if ours.ndim != 1 or ours.shape != baseline.shape:
        raise ValueError(
            "`ours` and `baseline` must be 1-D arrays of equal length. "
            f"Received shapes {ours.shape} and {baseline.shape}"
        )
    if len(ours) == 0:
        raise ValueError("`ours` and `baseline` are empty")
    if not 0.0 < confidence < 1.0:
        raise ValueError(
            f"`confidence` must be in (0, 1). Received: confidence={confidence!r}"
        )
    diff = ours - baseline
    rng = np.random.default_rng(seed)
    # Resample in chunks so memory stays bounded for many cases.
    means = np.empty(n_bootstrap)
    chunk = max(1, 2_000_000 // len(diff))
    for start in range(0, n_bootstrap, chunk):
        stop = min(start + chunk, n_bootstrap)
        picks = rng.integers(0, len(diff), size=(stop - start, len(diff)))
        means[start:stop] = diff[picks].mean(axis=1)
    tail = (1.0 - confidence) / 2.0
    if np.any(diff != 0):
        p_value = float(stats.wilcoxon(diff, zero_method="wilcox").pvalue)
    else:
        p_value = 1.0
    return {
        "n": int(len(diff)),
        "mean_difference": float(diff.mean()),
        "ci_low": float(np.quantile(means, tail)),
        "ci_high": float(np.quantile(means, 1.0 - tail)),
        "confidence": float(confidence),
        "p_value": p_value,
        "wins": int(np.sum(diff > 0)),
        "losses": int(np.sum(diff < 0)),
        "ties": int(np.sum(diff == 0)),
    }
