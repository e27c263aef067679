"""Next steps: selection, the reason behind each, dialogue instead of action, ranking."""

from __future__ import annotations

from survey_app.core.recommendations import NextStep, StepKind, Tier, next_steps, steps_frame
from survey_app.core.scoring import score_round
from tests.core.factories import fill, framework, full_instrument, recommendation

FW = framework()
RECS = [
    recommendation("rec_urgency", factor="urgency"),
    recommendation("rec_money", factor="money"),
    recommendation("rec_cell", component="strategy", phase="initiate"),
    recommendation("rec_item", item="teamwork_1"),
    recommendation("rec_strong_item", item="governance_readiness_1"),
]
FULL = full_instrument(RECS)
DIVIDED = [5, 5, 5, 1, 1, 5]
LOW = [3, 3, 3, 3, 3, 3]
CONCERN = [2, 2, 2, 2, 2, 2]
FEW = [4, 4, 4, None, None, None]


def _steps(overrides: dict[str, list[int | None]] | None = None) -> tuple[NextStep, ...]:
    return next_steps(score_round(FW, [FULL], fill(FULL, 6, 4, overrides)))


def _ids(steps: tuple[NextStep, ...]) -> list[tuple[str, str, str | None]]:
    return [(str(s.kind), s.topic.id, s.recommendation_id) for s in steps]


def test_current_cell_activity_with_its_reason() -> None:
    steps = _steps({"strategy_initiate_*": LOW})
    first, second = steps[0], steps[1]
    assert (first.tier, first.kind, first.topic.id) == (
        Tier.HOLDING_CELL,
        StepKind.ACTIVITY,
        "strategy/initiate",
    )
    assert first.text("en") == "Activity strategy initiate"  # the framework cell's activity
    assert "mean 3.00 (n = 6) is below the milestone of 3.50" in first.reason_text("en")
    assert first.reason_text("en").startswith("Component strategy is in phase 2.")
    # the instrument recommendation attached to that cell comes right after it
    assert (second.kind, second.recommendation_id) == (StepKind.RECOMMENDATION, "rec_cell")
    assert [s.rank for s in steps] == list(range(1, len(steps) + 1))


def test_dialogue_replaces_the_step_when_agreement_is_weak() -> None:
    steps = _steps({"strategy_initiate_*": DIVIDED})
    on_cell = [s for s in steps if s.topic.id == "strategy/initiate"]
    assert [s.kind for s in on_cell] == [StepKind.DIALOGUE]  # no activity, no rec_cell
    assert "Hold a dialogue on" in on_cell[0].text("en")
    assert "r_wg = 0.00" in on_cell[0].reason_text("en")
    assert "Tag en dialog om" in on_cell[0].text("da")


def test_failing_precondition_comes_first_with_its_recommendation() -> None:
    steps = _steps({"urgency_*": CONCERN, "strategy_initiate_*": LOW})
    assert (steps[0].tier, steps[0].recommendation_id) == (Tier.PRECONDITION, "rec_urgency")
    assert "mean 2.00 (concern), n = 6" in steps[0].reason_text("en")


def test_failing_precondition_without_recommendation_gets_a_build_step() -> None:
    steps = _steps({"trust_*": CONCERN})
    assert (steps[0].tier, steps[0].kind, steps[0].topic.id) == (
        Tier.PRECONDITION,
        StepKind.BUILD,
        "readiness/trust",
    )


def test_resource_gap_and_collaboration_concern() -> None:
    steps = _steps({"money_*": LOW, "teamwork_*": CONCERN})
    tiers = {s.topic.id: s.tier for s in steps}
    assert tiers["readiness/money"] is Tier.RESOURCE
    assert tiers["readiness/teamwork"] is Tier.COLLABORATION
    money = next(s for s in steps if s.topic.id == "readiness/money")
    assert money.recommendation_id == "rec_money"  # instrument recommendation, not generic
    teamwork = next(s for s in steps if s.topic.id == "readiness/teamwork")
    assert teamwork.kind is StepKind.BUILD and "Strengthen the collaboration" in teamwork.text("en")
    # the weak item's own recommendation follows in the weak-target tier
    item_step = next(s for s in steps if s.recommendation_id == "rec_item")
    assert item_step.tier is Tier.WEAK_TARGET
    assert _ids(steps).index(("build", "readiness/teamwork", None)) < _ids(steps).index(
        ("recommendation", "readiness/teamwork_1", "rec_item")
    )


def test_recommendations_on_strong_targets_are_not_triggered() -> None:
    steps = _steps()
    assert all(s.recommendation_id != "rec_strong_item" for s in steps)
    assert all(s.recommendation_id != "rec_money" for s in steps)


def test_missing_data_step_for_suppressed_current_cell() -> None:
    steps = _steps({"community_organise_*": FEW})
    collect = [s for s in steps if s.kind is StepKind.COLLECT_DATA]
    assert [s.topic.id for s in collect] == ["community/organise"]
    assert collect[0].tier is Tier.MISSING_DATA and steps[-1] is collect[0]
    assert "at least 5 answers" in collect[0].text("en")


def test_ranking_is_deterministic_and_ordered_by_tier() -> None:
    overrides = {"urgency_*": CONCERN, "money_*": LOW, "evaluation_readiness_*": DIVIDED}
    first, again = _steps(overrides), _steps(overrides)
    assert _ids(first) == _ids(again)
    tiers = [s.tier for s in first]
    assert tiers == sorted(tiers)
    frame = steps_frame(first, "da")
    assert frame["rank"].tolist() == list(range(1, len(first) + 1))
    assert next_steps(score_round(FW, [FULL], fill(FULL, 6, 4, overrides)), limit=2) == first[:2]
