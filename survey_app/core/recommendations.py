"""Ranked next steps, each with the score, band or agreement that triggered it.

Candidate steps, by tier (the first sort key):

1. PRECONDITION — a precondition that fails the gate: its instrument recommendations,
   else "build this precondition first".
2. CONSENSUS — in phase 1, a consensus or engagement factor that is not present: its
   recommendations, else "build consensus and engagement".
3. HOLDING_CELL — for each component that holds the initiative in its phase: the
   activity of the component's current cell (from the framework) plus the instrument
   recommendations attached to that cell.
4. OTHER_CELL — the same for components that are further along (all-met components
   get the activity of their last cell, to sustain it).
5. RESOURCE — resource factors in the concern or discuss band.
6. COLLABORATION — collaboration factors in the concern band.
7. WEAK_TARGET — any other instrument recommendation whose target (item, factor or
   cell) is in the concern or discuss band.
8. MISSING_DATA — gate factors and current cells hidden because fewer than k answered.

Wherever the topic of a step has weak agreement, a single dialogue step on that topic
replaces its action steps (partners must first agree on the picture).

Within a tier steps are ordered by: phase of the cell (earlier first), severity
(concern, then divided, then discuss, then strength, then no data), the 5-point mean
(lowest first), then topic id, step kind and recommendation id, so the order is fully
deterministic. A step that would repeat an earlier one (same kind, topic and
recommendation) is dropped; ranks are 1, 2, 3, ... after that.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import IntEnum, StrEnum

import pandas as pd

from survey_app.core.agreement import Agreement
from survey_app.core.anonymity import Suppressed
from survey_app.core.instruments import DEFAULT_LANGUAGE, FactorRole, Recommendation, Text
from survey_app.core.messages import Message
from survey_app.core.profile import (
    CellCheck,
    ComponentProfile,
    FactorCheck,
    PhaseProfile,
    Status,
    phase_profile,
)
from survey_app.core.scoring import (
    Band,
    ElementResult,
    Level,
    RoundResult,
    Stat,
    cell_id,
    factor_element_id,
)


class Tier(IntEnum):
    """Priority group of a step; lower comes first."""

    PRECONDITION = 1
    CONSENSUS = 2
    HOLDING_CELL = 3
    OTHER_CELL = 4
    RESOURCE = 5
    COLLABORATION = 6
    WEAK_TARGET = 7
    MISSING_DATA = 8


class StepKind(StrEnum):
    """What kind of step it is."""

    DIALOGUE = "dialogue"
    ACTIVITY = "activity"
    RECOMMENDATION = "recommendation"
    BUILD = "build"
    COLLECT_DATA = "collect_data"


_KIND_ORDER = {kind: n for n, kind in enumerate(StepKind)}
_SEVERITY_DIVIDED = 1
_SEVERITY = {Band.CONCERN: 0, Band.DISCUSS: 2, Band.STRENGTH: 3}
_NO_DATA = 4


@dataclass(frozen=True)
class Topic:
    """What a step is about: a cell, a factor or an item."""

    kind: str  # "cell", "factor" or "item"
    id: str  # cell "component/phase", factor "instrument/factor", item "instrument/item"
    name: Text


@dataclass(frozen=True)
class NextStep:
    """One recommended step with the reason that triggered it."""

    rank: int
    tier: Tier
    kind: StepKind
    topic: Topic
    action: Message
    reason: Message
    recommendation_id: str | None = None
    stat: Stat | None = None
    phase_order: int = 0

    def text(self, language: str = DEFAULT_LANGUAGE) -> str:
        """The step in words."""
        return self.action.text(language)

    def reason_text(self, language: str = DEFAULT_LANGUAGE) -> str:
        """Why the step is recommended, in words."""
        return self.reason.text(language)


# ----------------------------------------------------------------------- building


@dataclass(frozen=True)
class _Context:
    result: RoundResult
    profile: PhaseProfile
    recommendations: dict[tuple[str, str], list[Recommendation]]


def _target_key(instrument_id: str, recommendation: Recommendation) -> tuple[str, str]:
    target = recommendation.target
    if target.item is not None:
        return "item", f"{instrument_id}/{target.item}"
    if target.factor is not None:
        return "factor", factor_element_id(instrument_id, target.factor)
    return "cell", cell_id(str(target.component), str(target.phase))


def _recommendations(result: RoundResult) -> dict[tuple[str, str], list[Recommendation]]:
    by_target: dict[tuple[str, str], list[Recommendation]] = {}
    for instrument in result.instruments:
        for recommendation in instrument.recommendations:
            key = _target_key(instrument.id, recommendation)
            by_target.setdefault(key, []).append(recommendation)
    return by_target


def _stat(element: ElementResult | None) -> Stat | None:
    if element is None or isinstance(element.overall, Suppressed):
        return None
    return element.overall


def _reason(topic: Topic, stat: Stat | None, k: int) -> Message:
    """The figures behind a step: weak agreement, else the band."""
    if stat is None:
        return Message("reason.suppressed", {"topic": topic.name, "k": k})
    figures = {"topic": topic.name, "mean": stat.score_5, "n": stat.n, "band": stat.band}
    if stat.agreement is Agreement.WEAK:
        return Message("reason.divided", {**figures, "rwg": stat.rwg, "ad": stat.ad})
    return Message("reason.band", figures)


def _steps_for(
    ctx: _Context,
    tier: Tier,
    topic: Topic,
    stat: Stat | None,
    default: tuple[StepKind, Message] | None,
    *,
    reason: Message | None = None,
    phase_order: int = 0,
    with_recommendations: bool = True,
) -> list[NextStep]:
    """Dialogue when the topic is divided, else `default` and the topic's recommendations."""
    why = reason or _reason(topic, stat, ctx.result.k)

    def step(kind: StepKind, action: Message, rec_id: str | None = None) -> NextStep:
        return NextStep(0, tier, kind, topic, action, why, rec_id, stat, phase_order)

    if stat is not None and stat.agreement is Agreement.WEAK:
        return [step(StepKind.DIALOGUE, Message("step.dialogue", {"topic": topic.name}))]
    steps = [] if default is None else [step(*default)]
    if with_recommendations:
        steps += [
            step(StepKind.RECOMMENDATION, Message("step.text", {"text": rec.text}), rec.id)
            for rec in ctx.recommendations.get((topic.kind, topic.id), [])
        ]
    return steps


def _factor_topic(result: RoundResult, element_id: str) -> tuple[Topic, ElementResult]:
    element = result.element(Level.FACTOR, element_id)
    if element is None:  # gate checks exist only for measured factors
        raise KeyError(element_id)
    return Topic("factor", element_id, result.element_name(element)), element


def _gate_steps(
    ctx: _Context, checks: Iterable[FactorCheck], tier: Tier, build_key: str
) -> list[NextStep]:
    steps: list[NextStep] = []
    for check in checks:
        if check.status is not Status.NOT_MET:
            continue
        topic, element = _factor_topic(ctx.result, check.element_id)
        build = (StepKind.BUILD, Message(build_key, {"topic": topic.name}))
        # Instrument recommendations replace the generic "build" step when there are any.
        has_recs = ("factor", check.element_id) in ctx.recommendations
        steps += _steps_for(ctx, tier, topic, _stat(element), None if has_recs else build)
    return steps


def _cell_steps(ctx: _Context, profile: ComponentProfile) -> list[NextStep]:
    result = ctx.result
    cell = profile.holding or profile.cells[-1]
    topic = Topic(
        "cell", cell_id(cell.component, cell.phase), result.cell_name(cell.component, cell.phase)
    )
    holds = profile.phase == ctx.profile.phase and profile.holding is not None
    tier = Tier.HOLDING_CELL if holds else Tier.OTHER_CELL
    activity = result.framework.cell(cell.component, cell.phase).activity
    reason = Message(
        "reason.current_cell",
        {
            "component": result.framework.component(cell.component).name,
            "number": cell.phase_number,
            "detail": cell.reason,
        },
    )
    default = (StepKind.ACTIVITY, Message("step.text", {"text": activity}))
    # A met cell (a component with every milestone met) keeps its sustaining activity, but
    # recommendations are for weak spots only.
    return _steps_for(
        ctx,
        tier,
        topic,
        cell.stat,
        default,
        reason=reason,
        phase_order=cell.phase_number,
        with_recommendations=cell.status is not Status.MET,
    )


def _role_steps(
    ctx: _Context, role: FactorRole, tier: Tier, bands: Sequence[Band], key: str
) -> list[NextStep]:
    steps: list[NextStep] = []
    for element in ctx.result.factors(role):
        stat = _stat(element)
        if stat is None or (stat.band not in bands and stat.agreement is not Agreement.WEAK):
            continue
        topic = Topic("factor", element.id, ctx.result.element_name(element))
        has_recs = ("factor", topic.id) in ctx.recommendations
        default = None if has_recs else (StepKind.BUILD, Message(key, {"topic": topic.name}))
        steps += _steps_for(ctx, tier, topic, stat, default)
    return steps


def _target_stat(result: RoundResult, kind: str, target_id: str) -> tuple[Topic, Stat | None]:
    if kind == "item":
        instrument_id, item_id = target_id.split("/", 1)
        item = result.item(instrument_id, item_id)
        if item is None:
            return Topic(kind, target_id, Text({DEFAULT_LANGUAGE: target_id})), None
        stat = None if isinstance(item.stat, Suppressed) else item.stat
        return Topic(kind, target_id, result.item_name(item)), stat
    level = Level.FACTOR if kind == "factor" else Level.CELL
    element = result.element(level, target_id)
    if element is None:
        return Topic(kind, target_id, Text({DEFAULT_LANGUAGE: target_id})), None
    return Topic(kind, target_id, result.element_name(element)), _stat(element)


def _weak_target_steps(ctx: _Context) -> list[NextStep]:
    steps: list[NextStep] = []
    for kind, target_id in sorted(ctx.recommendations):
        topic, stat = _target_stat(ctx.result, kind, target_id)
        weak = stat is not None and (
            stat.band in (Band.CONCERN, Band.DISCUSS) or stat.agreement is Agreement.WEAK
        )
        if weak:
            steps += _steps_for(ctx, Tier.WEAK_TARGET, topic, stat, None)
    return steps


def _missing_data_steps(ctx: _Context) -> list[NextStep]:
    result, k = ctx.result, ctx.result.k
    topics: list[Topic] = []
    checks = ctx.profile.preconditions.checks + ctx.profile.consensus_engagement.checks
    for check in checks:
        if check.status is Status.UNKNOWN and check.stat is None:
            topics.append(_factor_topic(result, check.element_id)[0])
    for profile in ctx.profile.components:
        cell: CellCheck | None = profile.holding
        if cell is not None and cell.status is Status.UNKNOWN and cell.stat is None:
            name = result.cell_name(cell.component, cell.phase)
            topics.append(Topic("cell", cell_id(cell.component, cell.phase), name))
    return [
        NextStep(
            0,
            Tier.MISSING_DATA,
            StepKind.COLLECT_DATA,
            topic,
            Message("step.collect_data", {"topic": topic.name, "k": k}),
            Message("reason.suppressed", {"topic": topic.name, "k": k}),
        )
        for topic in topics
    ]


# ------------------------------------------------------------------------ ranking


def _severity(step: NextStep) -> int:
    if step.stat is None:
        return _NO_DATA
    if step.stat.band is Band.CONCERN:
        return _SEVERITY[Band.CONCERN]
    if step.stat.agreement is Agreement.WEAK:
        return _SEVERITY_DIVIDED
    return _SEVERITY[step.stat.band]


def _sort_key(step: NextStep) -> tuple[object, ...]:
    score = step.stat.score_5 if step.stat is not None else math.inf
    return (
        step.tier,
        step.phase_order,
        _severity(step),
        score,
        step.topic.kind,
        step.topic.id,
        _KIND_ORDER[step.kind],
        step.recommendation_id or "",
    )


def _identity(step: NextStep) -> tuple[object, ...]:
    if step.kind is StepKind.DIALOGUE:
        return (step.kind, step.topic.kind, step.topic.id)
    return (step.kind, step.topic.kind, step.topic.id, step.recommendation_id)


def rank_steps(steps: Iterable[NextStep]) -> tuple[NextStep, ...]:
    """Sort by the documented key, drop repeats, number the ranks from 1."""
    seen: set[tuple[object, ...]] = set()
    ranked: list[NextStep] = []
    for step in sorted(steps, key=_sort_key):
        identity = _identity(step)
        if identity in seen:
            continue
        seen.add(identity)
        ranked.append(NextStep(len(ranked) + 1, *_fields_after_rank(step)))
    return tuple(ranked)


def _fields_after_rank(step: NextStep) -> tuple[object, ...]:
    return (
        step.tier,
        step.kind,
        step.topic,
        step.action,
        step.reason,
        step.recommendation_id,
        step.stat,
        step.phase_order,
    )


def next_steps(
    result: RoundResult, profile: PhaseProfile | None = None, *, limit: int | None = None
) -> tuple[NextStep, ...]:
    """The ranked next steps for a round (see the module docstring for the rule)."""
    profile = profile or phase_profile(result)
    ctx = _Context(result, profile, _recommendations(result))
    steps = _gate_steps(
        ctx, profile.preconditions.checks, Tier.PRECONDITION, "step.build_precondition"
    )
    steps += _gate_steps(
        ctx, profile.consensus_engagement.checks, Tier.CONSENSUS, "step.build_consensus"
    )
    for component in profile.components:
        steps += _cell_steps(ctx, component)
    steps += _role_steps(
        ctx, FactorRole.RESOURCE, Tier.RESOURCE, (Band.CONCERN, Band.DISCUSS), "step.resource_gap"
    )
    steps += _role_steps(
        ctx, FactorRole.COLLABORATION, Tier.COLLABORATION, (Band.CONCERN,), "step.collaboration"
    )
    steps += _weak_target_steps(ctx)
    steps += _missing_data_steps(ctx)
    ranked = rank_steps(steps)
    return ranked if limit is None else ranked[:limit]


def steps_frame(steps: Sequence[NextStep], language: str = DEFAULT_LANGUAGE) -> pd.DataFrame:
    """A flat view of ranked steps for exports."""
    return pd.DataFrame(
        [
            {
                "rank": step.rank,
                "tier": step.tier.name.lower(),
                "kind": str(step.kind),
                "topic_kind": step.topic.kind,
                "topic_id": step.topic.id,
                "topic": step.topic.name.get(language),
                "step": step.text(language),
                "reason": step.reason_text(language),
                "recommendation_id": step.recommendation_id,
            }
            for step in steps
        ]
    )
