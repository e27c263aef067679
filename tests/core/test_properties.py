"""Hypothesis properties of score_round: bounds, permutation invariance, anonymity."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from survey_app.core.anonymity import Suppressed
from survey_app.core.instruments import FactorRole
from survey_app.core.scoring import ALL, ItemStat, RoundResult, Stat, score_round
from tests.core.factories import DK, answers, framework, instrument, item, respondents, scale

FW = framework()
TARGET = instrument(
    "t",
    [
        item("a", component="governance", phase="readiness"),
        item("b", component="governance", phase="readiness", reverse=True, weight=2.0),
        item("c", component="strategy", phase="readiness", weight=0.7),
        item("d", factor="f", scale_id="agree7"),
        item("e", factor="f", scale_id="agree7", reverse=True),
    ],
    factors=[("f", FactorRole.RESOURCE)],
    scales=[scale(), scale("agree7", 7)],
)
ITEMS = ["a", "b", "c", "d", "e"]
POINTS = [5, 5, 5, 7, 7]
SECTORS = ["public", "private", "citizen", None]
ROLES = ["partner", "backbone", None]
PROPERTY_SETTINGS = settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@st.composite
def rounds(draw: st.DrawFn) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """A random round: 1–16 respondents, skips, "don't know", background, and k."""
    n = draw(st.integers(1, 16))
    rows = [
        [draw(st.one_of(st.none(), st.just(DK), st.integers(1, p))) for p in POINTS]
        for _ in range(n)
    ]
    background = {
        f"r{i}": (draw(st.sampled_from(SECTORS)), draw(st.sampled_from(ROLES))) for i in range(n)
    }
    return answers("t", ITEMS, rows), respondents(background), draw(st.integers(3, 6))


def _stats(result: RoundResult) -> Iterator[tuple[Stat, int]]:
    """Every shown statistic with its scale's number of points."""
    for element in result.elements:
        groups = [element.overall] + [s for g in element.breakdowns.values() for s in g.values()]
        yield from ((s, element.points) for s in groups if isinstance(s, Stat))
    yield from ((i.stat, i.points) for i in result.items if isinstance(i.stat, ItemStat))


@PROPERTY_SETTINGS
@given(rounds())
def test_scores_stay_within_scale_bounds(case: tuple[pd.DataFrame, pd.DataFrame, int]) -> None:
    frame, people, k = case
    result = score_round(FW, [TARGET], frame, people, k=k)
    for stat, points in _stats(result):
        assert 1 <= stat.mean <= points
        assert 1 <= stat.score_5 <= 5
        assert stat.sd >= 0 and 0 <= stat.rwg <= 1 and stat.ad >= 0
        assert stat.ci_low <= stat.mean <= stat.ci_high


@PROPERTY_SETTINGS
@given(rounds(), st.data())
def test_permuting_respondents_changes_nothing(
    case: tuple[pd.DataFrame, pd.DataFrame, int], data: st.DataObject
) -> None:
    frame, people, k = case
    ids = people["response_id"].tolist()
    new_ids = data.draw(st.permutations([f"id-{n:03d}" for n in range(len(ids))]))
    relabel = dict(zip(ids, new_ids, strict=True))
    row_order = data.draw(st.permutations(range(len(frame))))
    shuffled = frame.iloc[list(row_order)].assign(
        response_id=lambda f: f["response_id"].map(relabel)
    )
    shuffled_people = people.iloc[::-1].assign(response_id=lambda f: f["response_id"].map(relabel))
    before = score_round(FW, [TARGET], frame, people, k=k).to_frames()
    after = score_round(FW, [TARGET], shuffled.reset_index(drop=True), shuffled_people, k=k)
    for name, table in after.to_frames().items():
        pd.testing.assert_frame_equal(table, before[name], check_exact=True)


@PROPERTY_SETTINGS
@given(rounds())
def test_no_statistic_for_a_group_below_k(case: tuple[pd.DataFrame, pd.DataFrame, int]) -> None:
    frame, people, k = case
    result = score_round(FW, [TARGET], frame, people, k=k)
    assert all(stat.n >= k for stat, _ in _stats(result))
    for element in result.elements:
        total = element.overall.n if isinstance(element.overall, Stat) else None
        for groups in element.breakdowns.values():
            shown = [s.n for s in groups.values() if isinstance(s, Stat)]
            if total is None:
                assert not shown  # every group is smaller than a total below k
                continue
            # what subtraction recovers (total minus shown groups) covers 0 or >= k people
            remainder = total - sum(shown)
            assert remainder == 0 or remainder >= k
            hidden = [s for s in groups.values() if isinstance(s, Suppressed)]
            assert remainder == 0 or len(hidden) >= 2
    table = result.to_frame("elements")
    assert (table.loc[table["mean"].notna(), "n"] >= k).all()
    numbers = table.loc[~table["suppressed"], ["breakdown", "group"]]
    assert set(numbers["group"][numbers["breakdown"] == ALL]) <= {ALL}


def test_empty_round() -> None:
    result = score_round(FW, [TARGET], answers("t", ITEMS, []), k=3)
    assert result.n_responses == 0
    assert result.elements and all(isinstance(e.overall, Suppressed) for e in result.elements)
    assert all(isinstance(i.stat, Suppressed) for i in result.items)
