"""Within-group agreement: r_wg, r_wg(J) and the average deviation AD.

Conventions follow the R package `multilevel` (rwg, rwg.j, ad.m with type = "mean"):
variances use n − 1, a sample variance above the uniform null variance is truncated to
it (so the index is 0), and a group of one respondent has no agreement (NaN).

One deliberate difference for data with gaps: R drops every respondent with a missing
answer (listwise deletion) before rwg.j and ad.m; here each item uses everyone who
answered it (available cases), so a partner who skipped one item still counts on the
others. On complete data the two agree exactly (checked in tests/core/test_agreement.py).
"""

from __future__ import annotations

import math
from enum import StrEnum

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]


class Agreement(StrEnum):
    """Reading of an agreement index against its threshold."""

    ACCEPTABLE = "acceptable"
    WEAK = "weak"
    UNKNOWN = "unknown"


def null_variance(points: int) -> float:
    """Variance of a uniform answer distribution on an A-point scale, (A² − 1) / 12."""
    if points < 2:
        raise ValueError(f"a scale needs at least 2 points, got {points}")
    return (points**2 - 1) / 12


def _finite(values: npt.ArrayLike) -> Array:
    data = np.asarray(values, dtype=float).ravel()
    return data[np.isfinite(data)]


def _as_matrix(matrix: npt.ArrayLike) -> Array:
    data = np.asarray(matrix, dtype=float)
    if data.ndim == 1:
        data = data[:, None]
    if data.ndim != 2:
        raise ValueError("expected a respondents x items matrix")
    return data


def rwg_from_variance(variance: npt.ArrayLike, points: int) -> Array:
    """Vectorised r_wg = 1 − s²/σ²_EU, truncated to 0 when s² > σ²_EU (NaN stays NaN)."""
    ratio = np.minimum(np.asarray(variance, dtype=float) / null_variance(points), 1.0)
    return 1.0 - ratio


def rwg_j_from_mean_variance(
    mean_variance: npt.ArrayLike, n_items: npt.ArrayLike, points: int
) -> Array:
    """Vectorised r_wg(J) from the mean item variance s̄² and the number of items J.

    As in multilevel::rwg.j, s̄² above σ²_EU is set to σ²_EU, which gives 0.
    """
    ratio = np.minimum(np.asarray(mean_variance, dtype=float) / null_variance(points), 1.0)
    j = np.asarray(n_items, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        numerator = j * (1.0 - ratio)
        return np.where(j > 0, numerator / (numerator + ratio), np.nan)


def rwg(values: npt.ArrayLike, points: int) -> float:
    """r_wg of one item for one group; NaN values are skipped, NaN for fewer than 2 answers."""
    data = _finite(values)
    if data.size < 2:
        return math.nan
    return float(rwg_from_variance(data.var(ddof=1), points))


def item_variances(matrix: npt.ArrayLike) -> Array:
    """Sample variance (n − 1) of each item column over its answers; NaN below 2 answers."""
    data = _as_matrix(matrix)
    out = np.full(data.shape[1], np.nan)
    for column in range(data.shape[1]):
        answered = _finite(data[:, column])
        if answered.size >= 2:
            out[column] = answered.var(ddof=1)
    return out


def rwg_j(matrix: npt.ArrayLike, points: int) -> float:
    """r_wg(J) of a respondents × items matrix for one group (items with < 2 answers skipped)."""
    variances = item_variances(matrix)
    variances = variances[np.isfinite(variances)]
    if variances.size == 0:
        return math.nan
    return float(rwg_j_from_mean_variance(variances.mean(), variances.size, points))


def average_deviation(values: npt.ArrayLike) -> float:
    """AD of one item: mean absolute deviation from the item mean; NaN below 2 answers."""
    data = _finite(values)
    if data.size < 2:
        return math.nan
    return float(np.abs(data - data.mean()).mean())


def average_deviation_j(matrix: npt.ArrayLike) -> float:
    """AD of a scale: the mean over items of each item's AD (items with < 2 answers skipped)."""
    data = _as_matrix(matrix)
    per_item = np.array([average_deviation(data[:, c]) for c in range(data.shape[1])])
    per_item = per_item[np.isfinite(per_item)]
    return float(per_item.mean()) if per_item.size else math.nan


def ad_cutoff(points: int, share: float) -> float:
    """Largest AD read as acceptable: share × A (c/6 ≈ 0.83 on a 5-point scale)."""
    return share * points


def rwg_label(value: float, threshold: float) -> Agreement:
    """ACCEPTABLE when r_wg (or r_wg(J)) >= threshold, WEAK below, UNKNOWN when not computable."""
    if not math.isfinite(value):
        return Agreement.UNKNOWN
    return Agreement.ACCEPTABLE if value >= threshold else Agreement.WEAK


def ad_label(value: float, points: int, share: float) -> Agreement:
    """ACCEPTABLE when AD <= share × A, WEAK above, UNKNOWN when not computable."""
    if not math.isfinite(value):
        return Agreement.UNKNOWN
    return Agreement.ACCEPTABLE if value <= ad_cutoff(points, share) else Agreement.WEAK


def agreement_label(
    rwg_value: float, ad_value: float, points: int, rwg_threshold: float, ad_share: float
) -> Agreement:
    """Combined reading: WEAK when either index is weak, ACCEPTABLE when the known ones pass.

    Both indices are required because they fail in opposite places: r_wg(J) grows with
    the number of items (a long scale looks agreed even when partners differ), while a
    single item's r_wg is strict and AD lenient. Requiring both keeps a real split visible.
    """
    labels = (rwg_label(rwg_value, rwg_threshold), ad_label(ad_value, points, ad_share))
    if Agreement.WEAK in labels:
        return Agreement.WEAK
    if Agreement.ACCEPTABLE in labels:
        return Agreement.ACCEPTABLE
    return Agreement.UNKNOWN
