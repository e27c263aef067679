"""Phase profile: every gate path, missing data, and the explanation in both languages.

Six respondents (k = 5). `fill` gives every item the answer 4 (mean 4 >= milestone 3.5,
all agree: met) unless overridden.
"""

from __future__ import annotations

from survey_app.core.instruments import Instrument
from survey_app.core.profile import (
    CellCheck,
    FactorCheck,
    GateStatus,
    PhaseProfile,
    Readiness,
    Status,
    phase_profile,
)
from survey_app.core.scoring import score_round
from tests.core.factories import (
    COMPONENTS,
    PHASES,
    cell_items,
    fill,
    framework,
    full_instrument,
    instrument,
)

FW = framework()
FULL = full_instrument()
DIVIDED = [5, 5, 5, 1, 1, 5]  # mean 22/6 = 3.67 >= 3.5, but s² = 4.27 > 2: r_wg 0
LOW = [3, 3, 3, 3, 3, 3]  # mean 3 < 3.5, perfect agreement
CONCERN = [2, 2, 2, 2, 2, 2]  # mean 2 < 3.0: concern band
FEW = [4, 4, 4, None, None, None]  # three answers < k = 5: suppressed


def _profile(
    overrides: dict[str, list[int | None]] | None = None, target: Instrument = FULL, n: int = 6
) -> PhaseProfile:
    return phase_profile(score_round(FW, [target], fill(target, n, 4, overrides)))


def test_all_met_is_phase_four_sustain() -> None:
    profile = _profile()
    assert profile.phase == 4 and profile.phase_id == "sustain"
    assert not profile.held_by and not profile.provisional
    assert all(c.all_met and c.phase == 4 for c in profile.components)
    assert profile.preconditions.status is GateStatus.PASSED
    assert profile.next_phase.status is Readiness.SUSTAIN and profile.next_phase.target is None
    assert "Every milestone is met" in profile.text("en")
    assert "Alle milepæle er nået" in profile.text("da")


def test_failed_precondition_keeps_phase_one_whatever_else_scores() -> None:
    profile = _profile({"urgency_*": CONCERN})
    assert profile.phase == 1
    assert profile.preconditions.status is GateStatus.FAILED
    assert [h.factor for h in profile.held_by if isinstance(h, FactorCheck)] == ["urgency"]
    assert all(c.phase == 4 for c in profile.components)  # the cells themselves are all met
    assert profile.next_phase.status is Readiness.NOT_READY and profile.next_phase.target == 2
    assert "The preconditions are not in place" in profile.text("en")
    assert "Factor urgency: mean 2.00 (n = 6) is in the concern band." in profile.text("en")
    assert "gennemsnit 2,00" in profile.text("da")  # Danish decimal comma


def test_precondition_with_weak_agreement_fails_the_gate() -> None:
    profile = _profile({"trust_*": DIVIDED})
    assert profile.phase == 1 and profile.preconditions.status is GateStatus.FAILED
    (check,) = profile.preconditions.blocking
    assert check.factor == "trust" and check.reason.key == "factor.divided"


def test_precondition_in_discuss_band_with_agreement_passes() -> None:
    profile = _profile({"urgency_*": LOW})  # mean 3.0: discuss band, not concern
    assert profile.preconditions.status is GateStatus.PASSED and profile.phase == 4


def test_cell_with_weak_agreement_is_not_met_despite_its_mean() -> None:
    profile = _profile({"community_initiate_*": DIVIDED})
    community = profile.component("community")
    assert community.phase == 2
    assert community.holding is not None and community.holding.status is Status.NOT_MET
    assert community.holding.reason.key == "cell.divided"
    assert profile.phase == 2
    assert "partners disagree" in profile.text("en")


def test_one_lagging_component_sets_the_initiative_phase() -> None:
    profile = _profile({"evaluation_organise_*": LOW})
    assert [c.phase for c in profile.components] == [4, 4, 4, 3]
    assert profile.phase == 3 and profile.phase_id == "organise"
    (holder,) = profile.held_by
    assert isinstance(holder, CellCheck)
    assert (holder.component, holder.phase) == ("evaluation", "organise")
    text = profile.text("en")
    assert "Component evaluation holds the initiative in phase 3." in text
    assert "below the milestone of 3.50" in text
    assert "Komponent evaluation holder initiativet i fase 3." in profile.text("da")
    assert profile.next_phase.status is Readiness.NOT_READY and profile.next_phase.target == 4


def test_component_phase_is_the_first_unmet_phase_not_the_last() -> None:
    # readiness low but later phases met: the component is still in phase 1
    profile = _profile({"strategy_readiness_*": LOW})
    assert profile.component("strategy").phase == 1
    assert profile.phase == 1
    # phase 1: the seed's question is answered too
    assert profile.seed_answer.key == "seed.yes"
    assert "consensus and engagement" in profile.text("en")


def test_seed_question_no_keeps_phase_one() -> None:
    profile = _profile({"consensus_*": LOW})
    assert profile.consensus_engagement.status is GateStatus.FAILED
    assert profile.phase == 1 and not profile.provisional
    assert profile.seed_answer.key == "seed.no"
    assert "Not yet." in profile.text("en") and "Ikke endnu." in profile.text("da")


def test_suppressed_cell_is_unknown_and_makes_the_phase_provisional() -> None:
    profile = _profile({"governance_organise_*": FEW})
    governance = profile.component("governance")
    assert governance.phase == 3
    assert governance.holding is not None and governance.holding.status is Status.UNKNOWN
    assert profile.phase == 3 and profile.provisional
    assert profile.next_phase.status is Readiness.UNKNOWN
    assert "provisional" in profile.text("en") and "foreløbig" in profile.text("da")


def test_definite_holder_makes_the_phase_firm_despite_unknown_cells() -> None:
    profile = _profile({"governance_organise_*": FEW, "strategy_organise_*": LOW})
    assert profile.phase == 3 and not profile.provisional
    assert profile.next_phase.status is Readiness.NOT_READY


def test_unknown_precondition_keeps_phase_one_provisionally() -> None:
    profile = _profile({"urgency_*": FEW})
    assert profile.preconditions.status is GateStatus.UNKNOWN
    assert profile.phase == 1 and profile.provisional


def test_cells_not_measured_stop_progression_provisionally() -> None:
    only_early = instrument(
        "early",
        [i for c in COMPONENTS for p in PHASES[:2] for i in cell_items(c, p)],
    )
    profile = _profile(target=only_early)
    assert {c.phase for c in profile.components} == {3}
    assert all(
        c.holding is not None and c.holding.status is Status.NOT_MEASURED
        for c in profile.components
    )
    assert profile.phase == 3 and profile.provisional
    # no precondition or consensus factors in this instrument: not assessed, not gating
    assert profile.preconditions.status is GateStatus.NOT_ASSESSED
    assert profile.consensus_engagement.status is GateStatus.NOT_ASSESSED
    assert "not measured in this round" in profile.text("en")


def test_too_few_responses_overall() -> None:
    profile = _profile(n=4)
    assert profile.phase == 1 and profile.provisional
    assert profile.preconditions.status is GateStatus.UNKNOWN


def test_profile_frame_has_every_cell() -> None:
    frame = _profile({"evaluation_organise_*": LOW}).to_frame("en")
    assert len(frame) == 16
    holding = frame[frame["holding"]]
    assert holding[["component", "phase"]].values.tolist() == [["evaluation", "organise"]]
