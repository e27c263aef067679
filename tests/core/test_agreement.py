"""r_wg, r_wg(J) and AD: hand-computed golden values and R multilevel reference values."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from survey_app.core.agreement import (
    Agreement,
    ad_label,
    agreement_label,
    average_deviation,
    average_deviation_j,
    null_variance,
    rwg,
    rwg_j,
    rwg_label,
)

REFERENCE = Path(__file__).parent.parent / "reference" / "agreement_reference.json"


def test_null_variance_is_uniform_variance() -> None:
    assert null_variance(5) == (25 - 1) / 12 == 2.0
    assert null_variance(7) == (49 - 1) / 12 == 4.0
    with pytest.raises(ValueError):
        null_variance(1)


def test_rwg_one_item_golden() -> None:
    # answers 4, 4, 5, 3: mean 4, s² = (0 + 0 + 1 + 1) / 3 = 2/3; r_wg = 1 - (2/3) / 2 = 2/3
    assert rwg([4, 4, 5, 3], 5) == pytest.approx(1 - (2 / 3) / 2, abs=1e-12)


def test_rwg_truncated_to_zero_when_variance_exceeds_null() -> None:
    # 1, 5, 1, 5: mean 3, s² = 4 * 4 / 3 = 16/3 > 2, so r_wg is truncated to 0 (not negative)
    assert rwg([1, 5, 1, 5], 5) == 0.0


def test_rwg_skips_missing_and_needs_two_answers() -> None:
    assert rwg([4, math.nan, 4, 5, 3], 5) == pytest.approx(2 / 3, abs=1e-12)
    assert math.isnan(rwg([4], 5))
    assert math.isnan(rwg([], 5))


def test_rwg_j_golden() -> None:
    # item a: 4, 4, 5, 3 -> s² = 2/3; item b: 2, 2, 2, 2 -> s² = 0; s̄² = 1/3, J = 2
    # r_wg(J) = 2 (1 - (1/3)/2) / (2 (1 - (1/3)/2) + (1/3)/2) = (5/3) / (5/3 + 1/6) = 10/11
    matrix = np.array([[4, 2], [4, 2], [5, 2], [3, 2]])
    assert rwg_j(matrix, 5) == pytest.approx(10 / 11, abs=1e-12)


def test_rwg_j_truncates_like_multilevel() -> None:
    # s̄² = (16/3 + 16/3) / 2 > 2: multilevel sets s̄² = σ²_EU, which gives 0
    matrix = np.array([[1, 5], [5, 1], [1, 5], [5, 1]])
    assert rwg_j(matrix, 5) == 0.0


def test_rwg_j_uses_available_cases_per_item() -> None:
    # respondent 3 skipped item b: item a uses 4 answers (s² = 2/3), item b 3 answers (s² = 1/3)
    # s̄² = 0.5, r_wg(J) = 2 * 0.75 / (2 * 0.75 + 0.25) = 1.5 / 1.75
    matrix = np.array([[4, 2], [4, 3], [5, math.nan], [3, 2]])
    assert rwg_j(matrix, 5) == pytest.approx(1.5 / 1.75, abs=1e-12)


def test_ad_golden() -> None:
    # 4, 4, 5, 3: mean 4, |dev| = 0, 0, 1, 1 -> AD = 0.5
    assert average_deviation([4, 4, 5, 3]) == 0.5
    # scale: item a AD 0.5, item b 2, 2, 2, 4 -> mean 2.5, |dev| .5 .5 .5 1.5 -> 0.75
    assert average_deviation_j(np.array([[4, 2], [4, 2], [5, 2], [3, 4]])) == (0.5 + 0.75) / 2
    assert math.isnan(average_deviation([3]))


def test_labels() -> None:
    assert rwg_label(0.70, 0.70) is Agreement.ACCEPTABLE
    assert rwg_label(0.69, 0.70) is Agreement.WEAK
    assert rwg_label(math.nan, 0.70) is Agreement.UNKNOWN
    # AD cut-off = share * points = 0.1667 * 5 = 0.8335
    assert ad_label(0.83, 5, 0.1667) is Agreement.ACCEPTABLE
    assert ad_label(0.84, 5, 0.1667) is Agreement.WEAK
    assert agreement_label(0.9, 1.2, 5, 0.7, 0.1667) is Agreement.WEAK
    assert agreement_label(0.5, 0.2, 5, 0.7, 0.1667) is Agreement.WEAK
    assert agreement_label(0.9, 0.2, 5, 0.7, 0.1667) is Agreement.ACCEPTABLE
    assert agreement_label(math.nan, 0.2, 5, 0.7, 0.1667) is Agreement.ACCEPTABLE
    assert agreement_label(math.nan, math.nan, 5, 0.7, 0.1667) is Agreement.UNKNOWN


def _datasets() -> list[dict]:
    return json.loads(REFERENCE.read_text(encoding="utf-8"))["datasets"]


def _close(python: float, r_value: float | None) -> bool:
    if r_value is None:
        return math.isnan(python)
    return abs(python - r_value) <= 1e-9


@pytest.mark.parametrize("dataset", _datasets(), ids=lambda d: d["name"])
def test_matches_r_multilevel(dataset: dict) -> None:
    data = np.array(dataset["data"], dtype=float)
    groups = np.array(dataset["group"])
    points = dataset["points"]
    assert len(dataset["rwg_j"]) >= 2
    for group, expected in dataset["rwg_j"].items():
        rows = data[groups == group]
        assert _close(rwg_j(rows, points), expected), (group, "rwg.j")
        assert _close(average_deviation_j(rows), dataset["ad_m"][group]), (group, "ad.m")
        for column, item in enumerate(dataset["items"]):
            assert _close(rwg(rows[:, column], points), dataset["rwg"][item][group]), item
            expected_ad = dataset["ad_item"][item][group]
            assert _close(average_deviation(rows[:, column]), expected_ad), item
