"""Strengths, weaknesses and divided topics."""

from __future__ import annotations

from survey_app.core.highlights import strengths_and_weaknesses
from survey_app.core.scoring import score_round
from tests.core.factories import fill, framework, full_instrument

FULL = full_instrument()


def test_divided_is_reported_apart_from_weak() -> None:
    answers = fill(
        FULL,
        6,
        4,
        {
            "money_*": [2, 2, 2, 2, 2, 2],  # weak, agreed
            "teamwork_*": [3, 3, 3, 3, 3, 3],  # discuss, agreed
            "trust_*": [5, 5, 5, 1, 1, 5],  # divided (r_wg 0) though its mean is 3.67
            "urgency_*": [5, 5, 5, 5, 5, 4],  # strongest
        },
    )
    result = score_round(framework(), [FULL], answers)
    factors = strengths_and_weaknesses(result, top=2).factors
    ids = {h: h.id.removeprefix("readiness/") for h in factors.weaknesses + factors.strengths}
    assert [ids[h] for h in factors.weaknesses] == ["money", "teamwork"]  # lowest mean first
    assert [h.id for h in factors.divided] == ["readiness/trust"]
    assert "trust" not in ids.values()
    assert [ids[h] for h in factors.strengths] == ["urgency", "consensus"]  # 4.83, then 4 by id
    assert factors.strengths[0].n == 6
    items = strengths_and_weaknesses(result, top=1).items
    assert [h.id for h in items.divided] in (["readiness/trust_1"], ["readiness/trust_2"])


def test_suppressed_groups_never_appear() -> None:
    result = score_round(framework(), [FULL], fill(FULL, 4, 2))  # 4 < k = 5
    highlights = strengths_and_weaknesses(result)
    for ranking in (highlights.factors, highlights.cells, highlights.items):
        assert not (ranking.strengths or ranking.weaknesses or ranking.divided)
