"""Phase-readiness profile: where the initiative is, what holds it there, what comes next.

Rules (thresholds from the framework file):

1. A cell is MET when its mean (in 5-point units) >= milestone_met and its agreement
   is acceptable; NOT_MET when the mean is lower or agreement is weak; UNKNOWN when it
   is suppressed (n < k) or agreement cannot be computed; NOT_MEASURED when no item
   of the round's instruments measures it.
2. A component's current phase is the first phase (by number) whose cell is not MET;
   when every cell is met it is the last phase (4, sustain). UNKNOWN and NOT_MEASURED
   stop progression like NOT_MET (a milestone counts only when it is shown to be met).
3. Preconditions gate: a precondition factor in the concern band or with weak
   agreement puts the initiative in phase 1 whatever else scores (FAILED); an unknown
   precondition also keeps it in phase 1, provisionally (UNKNOWN). No precondition
   factor in the instruments: NOT_ASSESSED, which does not gate.
4. The seed's question for leaving phase 1 — is there consensus and engagement to
   carry the work forward? — is answered from the consensus and engagement factors:
   yes when each is met in the sense of rule 1. "No" or "unknown" keeps the initiative
   in phase 1; not measured does not gate.
5. The initiative phase is the earliest current phase across components (weakest
   link), or phase 1 by rules 3–4. Everything that holds it there is listed. The
   placement is provisional when every holder is UNKNOWN or NOT_MEASURED (better data
   could move it up); one definite holder makes it firm.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

import pandas as pd

from survey_app.core.agreement import Agreement
from survey_app.core.anonymity import Suppressed
from survey_app.core.instruments import DEFAULT_LANGUAGE, FactorRole, Phase
from survey_app.core.messages import Message
from survey_app.core.scoring import Band, ElementResult, RoundResult, Stat


class Status(StrEnum):
    """State of a milestone cell or a factor check."""

    MET = "met"
    NOT_MET = "not_met"
    UNKNOWN = "unknown"
    NOT_MEASURED = "not_measured"


UNCERTAIN = (Status.UNKNOWN, Status.NOT_MEASURED)


class GateStatus(StrEnum):
    """Outcome of a gate (preconditions; consensus and engagement)."""

    PASSED = "passed"
    FAILED = "failed"
    UNKNOWN = "unknown"
    NOT_ASSESSED = "not_assessed"


class Readiness(StrEnum):
    """Verdict on moving to the next phase."""

    NOT_READY = "not_ready"  # at least one milestone is shown not to be met
    UNKNOWN = "unknown"  # only missing data stands in the way
    SUSTAIN = "sustain"  # already in the last phase


@dataclass(frozen=True)
class CellCheck:
    """A component × phase milestone with its status and the reason in words."""

    component: str
    phase: str
    phase_number: int
    status: Status
    stat: Stat | None
    reason: Message


@dataclass(frozen=True)
class FactorCheck:
    """A precondition, consensus or engagement factor checked for a gate."""

    element_id: str  # "instrument/factor"
    factor: str
    role: FactorRole
    status: Status
    stat: Stat | None
    reason: Message


@dataclass(frozen=True)
class Gate:
    """A gate and the factor checks behind it."""

    status: GateStatus
    checks: tuple[FactorCheck, ...]

    @property
    def blocking(self) -> tuple[FactorCheck, ...]:
        """Checks that are not met (or unknown), which is what holds the gate shut."""
        return tuple(check for check in self.checks if check.status is not Status.MET)


@dataclass(frozen=True)
class ComponentProfile:
    """A component's cells in phase order and its current phase."""

    component: str
    phase: int
    phase_id: str
    cells: tuple[CellCheck, ...]
    holding: CellCheck | None  # the first cell not met; None when all are met

    @property
    def all_met(self) -> bool:
        """True when every milestone of the component is met."""
        return self.holding is None


@dataclass(frozen=True)
class NextPhase:
    """What stands between the initiative and the next phase."""

    status: Readiness
    target: int | None
    blockers: tuple[CellCheck | FactorCheck, ...]
    message: Message


@dataclass(frozen=True)
class PhaseProfile:
    """The initiative's phase with its explanation; `text(language)` gives it in words."""

    phase: int
    phase_id: str
    provisional: bool
    preconditions: Gate
    consensus_engagement: Gate
    seed_answer: Message
    components: tuple[ComponentProfile, ...]
    held_by: tuple[CellCheck | FactorCheck, ...]
    next_phase: NextPhase
    explanation: tuple[Message, ...]

    def component(self, component_id: str) -> ComponentProfile:
        """The profile of one component (KeyError if unknown)."""
        for profile in self.components:
            if profile.component == component_id:
                return profile
        raise KeyError(component_id)

    def text(self, language: str = DEFAULT_LANGUAGE) -> str:
        """The explanation as one paragraph in `language`."""
        return " ".join(message.text(language) for message in self.explanation)

    def to_frame(self, language: str = DEFAULT_LANGUAGE) -> pd.DataFrame:
        """One row per component × phase cell with status and reason, for exports."""
        rows = [
            {
                "component": cell.component,
                "phase": cell.phase,
                "phase_number": cell.phase_number,
                "status": str(cell.status),
                "current_phase": profile.phase,
                "holding": cell is profile.holding,
                "reason": cell.reason.text(language),
            }
            for profile in self.components
            for cell in profile.cells
        ]
        return pd.DataFrame(rows)


# ------------------------------------------------------------------------- checks

Check = tuple[Status, Stat | None, Message]


def _figures(stat: Stat, topic: object) -> dict[str, object]:
    return {
        "topic": topic,
        "mean": stat.score_5,
        "n": stat.n,
        "rwg": stat.rwg,
        "ad": stat.ad,
        "band": stat.band,
        "agreement": stat.agreement,
    }


def milestone_check(element: ElementResult, result: RoundResult, prefix: str) -> Check:
    """Rule 1 for a cell (`prefix` "cell") or a consensus/engagement factor ("factor")."""
    topic = result.element_name(element)
    if isinstance(element.overall, Suppressed):
        return (
            Status.UNKNOWN,
            None,
            Message(f"{prefix}.suppressed", {"topic": topic, "k": result.k}),
        )
    stat = element.overall
    figures = _figures(stat, topic)
    if stat.agreement is Agreement.UNKNOWN:
        return Status.UNKNOWN, stat, Message(f"{prefix}.no_agreement", figures)
    if stat.agreement is Agreement.WEAK:
        return Status.NOT_MET, stat, Message(f"{prefix}.divided", figures)
    if stat.score_5 < result.thresholds.milestone_met:
        figures["threshold"] = float(result.thresholds.milestone_met)
        return Status.NOT_MET, stat, Message(f"{prefix}.low", figures)
    return Status.MET, stat, Message("cell.met" if prefix == "cell" else "factor.ok", figures)


def precondition_check(element: ElementResult, result: RoundResult) -> Check:
    """Rule 3 for one precondition: not met in the concern band or with weak agreement."""
    topic = result.element_name(element)
    if isinstance(element.overall, Suppressed):
        return Status.UNKNOWN, None, Message("factor.suppressed", {"topic": topic, "k": result.k})
    stat = element.overall
    figures = _figures(stat, topic)
    if stat.band is Band.CONCERN:
        return Status.NOT_MET, stat, Message("factor.concern", figures)
    if stat.agreement is Agreement.WEAK:
        return Status.NOT_MET, stat, Message("factor.divided", figures)
    if stat.agreement is Agreement.UNKNOWN:
        return Status.UNKNOWN, stat, Message("factor.no_agreement", figures)
    return Status.MET, stat, Message("factor.ok", figures)


def _gate(checks: Sequence[FactorCheck]) -> Gate:
    statuses = {check.status for check in checks}
    if not checks:
        status = GateStatus.NOT_ASSESSED
    elif Status.NOT_MET in statuses:
        status = GateStatus.FAILED
    elif Status.UNKNOWN in statuses:
        status = GateStatus.UNKNOWN
    else:
        status = GateStatus.PASSED
    return Gate(status, tuple(checks))


def _factor_check(element: ElementResult, check: Check) -> FactorCheck:
    status, stat, reason = check
    role = FactorRole(str(element.role))
    return FactorCheck(element.id, str(element.factor), role, status, stat, reason)


def precondition_gate(result: RoundResult) -> Gate:
    """The preconditions gate (rule 3)."""
    return _gate(
        [
            _factor_check(element, precondition_check(element, result))
            for element in result.factors(FactorRole.PRECONDITION)
        ]
    )


def consensus_engagement_gate(result: RoundResult) -> Gate:
    """The seed's question for leaving phase 1 (rule 4)."""
    elements = result.factors(FactorRole.CONSENSUS) + result.factors(FactorRole.ENGAGEMENT)
    return _gate(
        [_factor_check(element, milestone_check(element, result, "factor")) for element in elements]
    )


def seed_answer(gate: Gate) -> Message:
    """The answer to "is there consensus and engagement to carry the work forward?"."""
    reasons = tuple(check.reason for check in gate.blocking)
    if gate.status is GateStatus.PASSED:
        return Message("seed.yes")
    if gate.status is GateStatus.NOT_ASSESSED:
        return Message("seed.not_assessed")
    if gate.status is GateStatus.UNKNOWN:
        return Message("seed.unknown", {"topics": reasons})
    return Message("seed.no", {"topics": reasons})


def cell_check(result: RoundResult, component: str, phase: Phase) -> CellCheck:
    """Rule 1 for one cell, NOT_MEASURED when no item measures it."""
    element = result.cell(component, phase.id)
    if element is None:
        topic = result.cell_name(component, phase.id)
        check: Check = (Status.NOT_MEASURED, None, Message("cell.not_measured", {"topic": topic}))
    else:
        check = milestone_check(element, result, "cell")
    status, stat, reason = check
    return CellCheck(component, phase.id, phase.number, status, stat, reason)


def component_profile(result: RoundResult, component: str) -> ComponentProfile:
    """Rule 2 for one component."""
    phases = result.framework.ordered_phases()
    cells = tuple(cell_check(result, component, phase) for phase in phases)
    holding = next((cell for cell in cells if cell.status is not Status.MET), None)
    last = phases[-1]
    if holding is None:
        return ComponentProfile(component, last.number, last.id, cells, None)
    return ComponentProfile(component, holding.phase_number, holding.phase, cells, holding)


# ------------------------------------------------------------------------ profile


def _holders(
    phase: int,
    first: int,
    components: Sequence[ComponentProfile],
    gates: Iterable[Gate],
) -> tuple[CellCheck | FactorCheck, ...]:
    """Everything that holds the initiative in `phase` (rule 5)."""
    held: list[CellCheck | FactorCheck] = []
    if phase == first:
        for gate in gates:
            if gate.status in (GateStatus.FAILED, GateStatus.UNKNOWN):
                held.extend(gate.blocking)
    held.extend(
        profile.holding
        for profile in components
        if profile.phase == phase and profile.holding is not None
    )
    return tuple(held)


def _explain_holders(
    held_by: Sequence[CellCheck | FactorCheck], result: RoundResult
) -> list[Message]:
    """One sentence per gate (with all its reasons) and one per holding cell."""
    messages = []
    preconditions = tuple(
        h.reason
        for h in held_by
        if isinstance(h, FactorCheck) and h.role is FactorRole.PRECONDITION
    )
    if preconditions:
        messages.append(Message("profile.held_by_precondition", {"reason": preconditions}))
    if any(isinstance(h, FactorCheck) and h.role is not FactorRole.PRECONDITION for h in held_by):
        # the reasons follow in the answer to the seed's question
        messages.append(Message("profile.held_by_consensus"))
    for holder in held_by:
        if isinstance(holder, CellCheck):
            name = result.framework.component(holder.component).name
            params = {"component": name, "number": holder.phase_number, "reason": holder.reason}
            messages.append(Message("profile.held_by_cell", params))
    return messages


def _next_phase(
    phase: Phase, phases: Sequence[Phase], held_by: tuple[CellCheck | FactorCheck, ...]
) -> NextPhase:
    later = [candidate for candidate in phases if candidate.number > phase.number]
    reasons = tuple(holder.reason for holder in held_by)
    if not later:
        message = Message("next.sustain", {"number": phase.number})
        return NextPhase(Readiness.SUSTAIN, None, held_by, message)
    target = later[0]
    definite = any(holder.status is Status.NOT_MET for holder in held_by)
    status = Readiness.NOT_READY if definite else Readiness.UNKNOWN
    key = "next.not_ready" if definite else "next.unknown"
    params = {"target": target.number, "name": target.name, "blockers": reasons}
    return NextPhase(status, target.number, held_by, Message(key, params))


def phase_profile(result: RoundResult) -> PhaseProfile:
    """Place the initiative in a phase and explain why (rules 1–5 of this module)."""
    phases = result.framework.ordered_phases()
    first = phases[0].number
    components = tuple(component_profile(result, c.id) for c in result.framework.components)
    preconditions = precondition_gate(result)
    consensus = consensus_engagement_gate(result)
    number = min(profile.phase for profile in components)
    for gate in (preconditions, consensus):
        if gate.status in (GateStatus.FAILED, GateStatus.UNKNOWN):
            number = first
    phase = next(p for p in phases if p.number == number)
    held_by = _holders(number, first, components, (preconditions, consensus))
    provisional = bool(held_by) and all(holder.status in UNCERTAIN for holder in held_by)
    answer = seed_answer(consensus)
    explanation = [Message("profile.phase", {"number": number, "phase": phase.name})]
    if provisional:
        explanation.append(Message("profile.provisional"))
    if not held_by:
        explanation.append(Message("profile.all_met"))
    explanation += _explain_holders(held_by, result)
    if number == first:
        explanation += [Message("seed.question"), answer]
    if preconditions.status is GateStatus.NOT_ASSESSED:
        explanation.append(Message("profile.preconditions_not_assessed"))
    return PhaseProfile(
        phase=number,
        phase_id=phase.id,
        provisional=provisional,
        preconditions=preconditions,
        consensus_engagement=consensus,
        seed_answer=answer,
        components=components,
        held_by=held_by,
        next_phase=_next_phase(phase, phases, held_by),
        explanation=tuple(explanation),
    )
