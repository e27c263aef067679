"""What the assessment report shows, gathered from the one scoring path.

Every number comes from `round_analysis` (through `presenters.dashboard`, the dashboard's
own view model) and `services.comparison.compare`, so the report, the dashboard and the
exports print the same figures with the same suppression. This module only selects and
arranges; it computes no statistic. It runs in the request (or CLI) thread because it
reads the database; the result is plain data that a worker thread can render.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date

from babel.dates import format_date

from survey_app.core.agreement import Agreement
from survey_app.core.analysis import Analysis
from survey_app.core.anonymity import Suppressed
from survey_app.core.messages import format_number
from survey_app.core.scoring import ItemStat, RoundResult
from survey_app.models import Round
from survey_app.services import comparison as comparison_service
from survey_app.services import rounds as round_service
from survey_app.services.comparison import ChangeRow, CompareView
from survey_app.services.results import round_analysis
from survey_app.workspace import presenters

MAX_DIVIDED_ITEMS = 12
MAX_CHANGED_ITEMS = 15
MAX_STEPS = 10
TOPIC_KINDS = ("component", "factor")
SUMMARY_STEPS = 3


@dataclass(frozen=True)
class RoundInfo:
    """A round as the report names it."""

    id: int
    name: str
    period: str


@dataclass(frozen=True)
class ScaleRow:
    """An answer scale of an instrument."""

    instrument: str
    points: int
    labels: tuple[str, ...]
    dont_know: str


@dataclass(frozen=True)
class VersionRow:
    """A framework or instrument version and the rounds that used it."""

    kind: str  # "framework" or "instrument"
    id: str
    title: str
    version: int
    content_hash: str
    rounds: tuple[str, ...]


@dataclass(frozen=True)
class HiddenGroup:
    """A breakdown group hidden somewhere, how often, and why."""

    breakdown: str
    group: str
    below_k: int
    complementary: int


@dataclass(frozen=True)
class Suppression:
    """Everything the report leaves out to protect respondents."""

    elements: tuple[str, ...]
    items: int
    groups: tuple[HiddenGroup, ...]
    comment_blocks: int


@dataclass(frozen=True)
class Thresholds:
    """The framework's thresholds, formatted."""

    strength: str
    discuss: str
    milestone_met: str
    rwg_acceptable: str
    ad_acceptable: str
    ad_share: str
    k: int
    k_comments: int
    min_answered_share: str


@dataclass(frozen=True)
class Report:
    """Plain data behind one report in one language (no database access needed)."""

    language: str
    initiative: str
    round: RoundInfo
    generated_on: str
    codes_used: int
    codes_total: int
    response_rate: str | None
    view: presenters.Dashboard
    comparison: CompareView | None
    compared: tuple[RoundInfo, ...]
    round_labels: tuple[str, ...]
    recent: CompareView | None
    recent_since: str | None
    biggest_change: ChangeRow | None
    topic_changes: tuple[ChangeRow, ...]
    changed_items: tuple[ChangeRow, ...]
    more_changed_items: int
    agenda_questions: tuple[str, ...]
    agenda_divided: tuple[str, ...]
    divided_items: tuple[presenters.ItemRow, ...]
    more_divided: int
    scales: tuple[ScaleRow, ...]
    thresholds: Thresholds
    suppression: Suppression
    versions: tuple[VersionRow, ...]
    earlier_rounds: tuple[RoundInfo, ...] = field(default_factory=tuple)

    @property
    def steps(self) -> list[tuple[int, str, str, str]]:
        """The recommended steps the report prints in full."""
        return self.view.steps[:MAX_STEPS]

    @property
    def summary_steps(self) -> list[tuple[int, str, str, str]]:
        """The most important next steps, for the one-page summary."""
        return self.view.steps[:SUMMARY_STEPS]

    @property
    def more_steps(self) -> int:
        """Steps left out of the report (they are on the dashboard)."""
        return max(len(self.view.steps) - MAX_STEPS, 0)

    @property
    def enough(self) -> bool:
        """True when the round has enough responses to show results at all."""
        return self.view.enough


# --------------------------------------------------------------------------- rounds


def _order_key(round_: Round) -> tuple[date, int]:
    # The order services.comparison.chosen_rounds sorts by.
    return (round_.opened_on or round_.created_at.date(), round_.id)


def period(round_: Round, language: str) -> str:
    """The dates of a round in words ("3. marts 2027 – 24. marts 2027")."""
    start = round_.opened_on or round_.planned_start
    end = round_.closed_on or round_.planned_end
    shown = [format_date(day, format="long", locale=language) for day in (start, end) if day]
    return " – ".join(shown)


def round_info(round_: Round, language: str) -> RoundInfo:
    """A round's id, name and dates."""
    return RoundInfo(round_.id, round_.name, period(round_, language))


def earlier_rounds(round_: Round) -> list[Round]:
    """Rounds of the same initiative that were opened before this one, oldest first."""
    key = _order_key(round_)
    return sorted(
        (
            other
            for other in round_.initiative.rounds
            if other.id != round_.id and other.framework_snapshot_id and _order_key(other) < key
        ),
        key=_order_key,
    )


def chosen_earlier(round_: Round, compare_ids: list[int]) -> list[Round]:
    """The requested earlier rounds; ids of other initiatives or later rounds are ignored."""
    wanted = set(compare_ids)
    return [other for other in earlier_rounds(round_) if other.id in wanted]


# ----------------------------------------------------------------------- selection


def biggest_change(view: CompareView | None) -> ChangeRow | None:
    """The clearly changed topic (not single questions) with the largest change, if any."""
    if view is None:
        return None
    changed = [
        row
        for row in view.changes
        if row.kind != "item" and row.change is not None and row.change.changed
    ]
    return max(changed, key=lambda row: abs(row.change.diff), default=None)  # type: ignore[union-attr]


def topic_changes(view: CompareView | None) -> list[ChangeRow]:
    """Changes of the success components, then of the factors (milestones are profiled)."""
    if view is None:
        return []
    return [row for kind in TOPIC_KINDS for row in view.changes if row.kind == kind]


def clearly_changed_items(view: CompareView | None) -> list[ChangeRow]:
    """Single questions whose change is clear, the largest change first."""
    if view is None:
        return []
    changed = [
        row
        for row in view.changes
        if row.kind == "item" and row.change is not None and row.change.changed
    ]
    return sorted(changed, key=lambda row: -abs(row.change.diff))  # type: ignore[union-attr]


def divided_items(result: RoundResult, rows: list[presenters.ItemRow]) -> list[presenters.ItemRow]:
    """Shown items with weak agreement, most divided (lowest r_wg) first."""
    by_key = {(row.instrument_id, row.id): row for row in rows}
    weak = [
        item
        for item in result.items
        if isinstance(item.stat, ItemStat) and item.stat.agreement is Agreement.WEAK
    ]
    weak.sort(key=lambda item: (item.stat.rwg, -item.stat.ad, item.instrument_id, item.item_id))  # type: ignore[union-attr]
    return [by_key[(item.instrument_id, item.item_id)] for item in weak]


def scales(result: RoundResult, language: str) -> list[ScaleRow]:
    """The answer scales the round's scored items use, instrument by instrument."""
    found = []
    for instrument in result.instruments:
        used = dict.fromkeys(item.scale for item in instrument.scored_items() if item.scale)
        for scale_id in used:
            scale = instrument.scales[str(scale_id)]
            found.append(
                ScaleRow(
                    instrument=instrument.title.get(language),
                    points=scale.points,
                    labels=tuple(scale.label(p, language) for p in range(1, scale.points + 1)),
                    dont_know=scale.dont_know.get(language) if scale.dont_know else "",
                )
            )
    return found


def thresholds(result: RoundResult, language: str) -> Thresholds:
    """The thresholds the round was scored with, formatted like every other number."""
    values = result.thresholds
    return Thresholds(
        strength=format_number(values.strength, language),
        discuss=format_number(values.discuss, language),
        milestone_met=format_number(values.milestone_met, language),
        rwg_acceptable=format_number(values.rwg_acceptable, language),
        ad_acceptable=format_number(values.ad_acceptable_share * 5, language),
        ad_share=format_number(values.ad_acceptable_share, language),
        k=result.k,
        k_comments=result.k_comments,
        min_answered_share=format_number(values.min_answered_share, language),
    )


def suppression(result: RoundResult, language: str) -> Suppression:
    """What is hidden and why: topics, questions, breakdown groups and comments."""
    hidden_elements = [
        result.element_name(element).get(language)
        for element in result.elements
        if isinstance(element.overall, Suppressed)
    ]
    reasons: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for element in result.elements:
        for breakdown, groups in element.breakdowns.items():
            for group, value in groups.items():
                if isinstance(value, Suppressed):
                    reasons[(breakdown, group)][str(value.reason)] += 1
    groups = tuple(
        HiddenGroup(breakdown, group, counts["below_k"], counts["complementary"])
        for (breakdown, group), counts in reasons.items()
    )
    return Suppression(
        elements=tuple(hidden_elements),
        items=sum(isinstance(item.stat, Suppressed) for item in result.items),
        groups=groups,
        comment_blocks=sum(isinstance(comment.comments, Suppressed) for comment in result.comments),
    )


def versions(analysed: list[tuple[Round, Analysis]], language: str) -> list[VersionRow]:
    """Framework and instrument versions with content hashes, and which rounds used them."""
    used: dict[tuple[str, str, int, str], list[str]] = {}
    titles: dict[tuple[str, str, int, str], str] = {}
    for round_, analysis in analysed:
        framework = analysis.result.framework
        key = ("framework", framework.id, framework.version, framework.content_hash)
        used.setdefault(key, []).append(round_.name)
        titles[key] = framework.id
        for instrument in analysis.result.instruments:
            key = ("instrument", instrument.id, instrument.version, instrument.content_hash)
            used.setdefault(key, []).append(round_.name)
            titles[key] = instrument.title.get(language)
    return [
        VersionRow(kind, id_, titles[key], version, content_hash, tuple(dict.fromkeys(names)))
        for key, names in used.items()
        for kind, id_, version, content_hash in [key]
    ]


def agenda_questions(analysis: Analysis, language: str) -> list[str]:
    """The framework's questions for the initiative's current phase."""
    phase = analysis.result.framework.phase(analysis.profile.phase_id)
    return [question.get(language) for question in phase.questions]


# --------------------------------------------------------------------------- build


def _comparisons(
    round_: Round, earlier: list[Round], language: str
) -> tuple[CompareView | None, CompareView | None]:
    """Trends over every chosen round, and the change since the most recent of them."""
    if not earlier:
        return None, None
    initiative = round_.initiative
    ids = [other.id for other in earlier] + [round_.id]
    overall = comparison_service.compare(initiative, ids, language)
    if len(earlier) == 1:
        return overall, overall
    recent = comparison_service.compare(initiative, [earlier[-1].id, round_.id], language)
    return overall, recent


def _response_rate(used: int, total: int, language: str) -> str | None:
    if not total:
        return None
    shown = f"{100 * used / total:.0f}"
    return f"{shown} %" if language == "da" else f"{shown}%"


def build_report(
    round_: Round, compare_ids: list[int], language: str, today: date | None = None
) -> Report:
    """Gather everything the report shows for `round_` in `language`."""
    analysis = round_analysis(round_)
    view = presenters.dashboard(analysis, language)
    earlier = chosen_earlier(round_, compare_ids)
    overall, recent = _comparisons(round_, earlier, language)
    used, total = round_service.used_code_count(round_.id)
    divided = divided_items(analysis.result, view.items)
    analysed = [(other, round_analysis(other)) for other in earlier] + [(round_, analysis)]
    changed = clearly_changed_items(overall)
    return Report(
        language=language,
        initiative=round_.initiative.name,
        round=round_info(round_, language),
        generated_on=format_date(today or date.today(), format="long", locale=language),
        codes_used=used,
        codes_total=total,
        response_rate=_response_rate(used, total, language),
        view=view,
        comparison=overall,
        compared=tuple(round_info(other, language) for other in earlier),
        round_labels=tuple(chosen.name for chosen in overall.chosen) if overall else (),
        recent=recent,
        recent_since=earlier[-1].name if earlier else None,
        biggest_change=biggest_change(recent),
        topic_changes=tuple(topic_changes(overall)),
        changed_items=tuple(changed[:MAX_CHANGED_ITEMS]),
        more_changed_items=max(len(changed) - MAX_CHANGED_ITEMS, 0),
        agenda_questions=tuple(agenda_questions(analysis, language)),
        agenda_divided=tuple(name for name, _figure in view.divided),
        divided_items=tuple(divided[:MAX_DIVIDED_ITEMS]),
        more_divided=max(len(divided) - MAX_DIVIDED_ITEMS, 0),
        scales=tuple(scales(analysis.result, language)),
        thresholds=thresholds(analysis.result, language),
        suppression=suppression(analysis.result, language),
        versions=tuple(versions(analysed, language)),
        earlier_rounds=tuple(round_info(other, language) for other in earlier_rounds(round_)),
    )
