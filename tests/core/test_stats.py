"""t quantiles, mean intervals and Welch intervals against golden values and R."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from survey_app.core.stats import (
    mean_ci,
    summarise,
    t_cdf,
    t_critical_array,
    t_quantile,
    welch_interval,
)

REFERENCE = json.loads(
    (Path(__file__).parent.parent / "reference" / "stats_reference.json").read_text("utf-8")
)


def test_t_quantile_known_values() -> None:
    # df = 1 is the Cauchy distribution: t = tan(π (p − ½)) exactly
    assert t_quantile(0.975, 1) == pytest.approx(math.tan(math.pi * 0.475), rel=1e-12)
    # df = 2 has the closed form t = (2p − 1) / sqrt(2 p (1 − p))
    assert t_quantile(0.975, 2) == pytest.approx(0.95 / math.sqrt(2 * 0.975 * 0.025), rel=1e-12)
    assert t_quantile(0.025, 4) == -t_quantile(0.975, 4)
    assert t_cdf(t_quantile(0.9, 7.5), 7.5) == pytest.approx(0.9, abs=1e-13)


@pytest.mark.parametrize("case", REFERENCE["qt"], ids=lambda c: f"p{c['p']}-df{c['df']}")
def test_t_quantile_matches_r_qt(case: dict) -> None:
    assert t_quantile(case["p"], case["df"]) == pytest.approx(case["q"], rel=1e-9, abs=1e-9)


@pytest.mark.parametrize("case", REFERENCE["welch"])
def test_welch_and_mean_ci_match_r_t_test(case: dict) -> None:
    a, b = np.array(case["a"]), np.array(case["b"])
    interval = welch_interval(a.mean(), a.std(ddof=1), a.size, b.mean(), b.std(ddof=1), b.size)
    assert interval.diff == pytest.approx(case["diff"], abs=1e-9)
    assert interval.df == pytest.approx(case["df"], abs=1e-9)
    assert (interval.ci_low, interval.ci_high) == pytest.approx(case["ci"], abs=1e-9)
    assert (summarise(a).ci_low, summarise(a).ci_high) == pytest.approx(case["ci_a"], abs=1e-9)
    assert (summarise(b).ci_low, summarise(b).ci_high) == pytest.approx(case["ci_b"], abs=1e-9)


def test_mean_ci_golden() -> None:
    # 2, 4, 4, 4, 5, 5, 7, 9: mean 5, SD = sqrt(32/7); half = t(.975, 7) * SD / sqrt(8)
    summary = summarise([2, 4, 4, 4, 5, 5, 7, 9])
    half = 2.3646242515927853 * math.sqrt(32 / 7) / math.sqrt(8)
    assert summary.n == 8 and summary.mean == 5.0
    assert summary.sd == pytest.approx(math.sqrt(32 / 7), rel=1e-12)
    assert (summary.ci_low, summary.ci_high) == pytest.approx((5 - half, 5 + half), rel=1e-9)


def test_interval_edge_cases() -> None:
    low, high = mean_ci(np.array([3.0]), np.array([math.nan]), np.array([1]))
    assert math.isnan(low[0]) and math.isnan(high[0])
    assert np.isnan(t_critical_array([0, -1, math.nan])).all()
    constant = welch_interval(3.0, 0.0, 4, 4.0, 0.0, 5)
    assert (constant.ci_low, constant.ci_high) == (1.0, 1.0) and constant.excludes_zero()
    with pytest.raises(ValueError):
        welch_interval(3.0, 1.0, 1, 4.0, 1.0, 5)
