"""Comparing rounds of an initiative: trends over rounds and the change between two."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from survey_app.core.anonymity import Suppressed
from survey_app.core.comparison import (
    Change,
    NotComparable,
    Reason,
    RoundComparison,
    compare_rounds,
)
from survey_app.core.instruments import Text
from survey_app.core.messages import format_number
from survey_app.core.scoring import Level, RoundResult, Stat
from survey_app.models import Initiative, Round
from survey_app.services.results import round_analysis

MAX_ROUNDS = 12

# Why a question or topic is left out, in the words a steering group reads.
REASON_WORDS = {
    Reason.ID: _l("another id"),
    Reason.KIND: _l("another kind of question"),
    Reason.SCALE_POINTS: _l("another number of answers"),
    Reason.SCALE_LABELS: _l("other answer labels"),
    Reason.DONT_KNOW: _l("“don’t know” offered in one round only"),
    Reason.MEASURE: _l("measures something else"),
    Reason.REVERSE: _l("reversed in one round only"),
    Reason.TEXT: _l("the wording changed"),
    Reason.ONLY_IN_EARLIER: _l("only in the earlier round"),
    Reason.ONLY_IN_LATER: _l("only in the later round"),
    Reason.ITEMS_DIFFER: _l("made of other questions"),
    Reason.ITEM_CHANGED: _l("one of its questions changed"),
    Reason.WEIGHT: _l("its questions are weighted differently"),
}


@dataclass(frozen=True)
class Trend:
    """One element's mean in each chosen round (None where hidden or not measured)."""

    id: str
    name: str
    means: list[float | None]
    shown: list[str]


@dataclass(frozen=True)
class LeftOut:
    """A question or topic left out of the comparison: its name and why (lazy texts)."""

    kind: str
    name: str
    reasons: tuple[object, ...]


@dataclass(frozen=True)
class ChangeRow:
    """One element's change between the first and the last chosen round."""

    kind: str
    name: str
    change: Change | None
    diff: str
    ci: str
    means: str


@dataclass(frozen=True)
class CompareView:
    """Everything the comparison page shows."""

    rounds: list[Round]
    chosen: list[Round]
    component_trends: list[Trend]
    cell_trends: list[Trend]
    changes: list[ChangeRow]
    phase_moves: list[tuple[str, int, int]]
    initiative_move: tuple[int, int] | None
    not_comparable: list[LeftOut]
    method: str


def _mean_of(result: RoundResult, level: Level, element_id: str) -> float | None:
    element = result.element(level, element_id)
    return element.overall.mean if element and isinstance(element.overall, Stat) else None


def _trends(results: list[RoundResult], level: Level, language: str) -> list[Trend]:
    latest = results[-1]
    trends = []
    for element in latest.elements_at(level):
        means = [_mean_of(result, level, element.id) for result in results]
        shown = [format_number(mean, language) if mean is not None else "–" for mean in means]
        trends.append(Trend(element.id, latest.element_name(element).get(language), means, shown))
    return trends


def _change_rows(comparison: RoundComparison, language: str) -> list[ChangeRow]:
    rows = []
    for change in (*comparison.elements, *comparison.items):
        if isinstance(change.change, Suppressed):
            rows.append(ChangeRow(change.kind, change.name.get(language), None, "", "", ""))
            continue
        value = change.change
        low, high = format_number(value.ci_low, language), format_number(value.ci_high, language)
        before, after = format_number(value.mean_a, language), format_number(value.mean_b, language)
        rows.append(
            ChangeRow(
                kind=change.kind,
                name=change.name.get(language),
                change=value,
                diff=format_number(value.diff, language),
                ci=f"{low} – {high}",
                means=f"{before} → {after}",
            )
        )
    return rows


def _left_out(entry: NotComparable, results: tuple[RoundResult, ...], language: str) -> LeftOut:
    """The entry named as partners read it (its id only if no round names it)."""
    name = next(filter(None, (_name_in(result, entry) for result in results)), None)
    reasons = tuple(REASON_WORDS.get(reason, str(reason)) for reason in entry.reasons)
    return LeftOut(entry.kind, name.get(language) if name else entry.id, reasons)


def _name_in(result: RoundResult, entry: NotComparable) -> Text | None:
    if entry.kind == "item":
        instrument_id, item_id = entry.id.split("/", 1)
        try:
            return result.instrument(instrument_id).item(item_id).text
        except KeyError:
            return None
    element = result.element(Level(entry.kind), entry.id)
    return result.element_name(element) if element is not None else None


def chosen_rounds(initiative: Initiative, chosen_ids: list[int]) -> list[Round]:
    """The chosen rounds of this initiative in order; default: every round with answers."""
    by_id = {round_.id: round_ for round_ in initiative.rounds}
    chosen = [by_id[round_id] for round_id in dict.fromkeys(chosen_ids) if round_id in by_id]
    if len(chosen) < 2:
        chosen = [round_ for round_ in initiative.rounds if round_.framework_snapshot_id]
    return sorted(
        chosen, key=lambda round_: (round_.opened_on or round_.created_at.date(), round_.id)
    )[-MAX_ROUNDS:]


def compare(initiative: Initiative, chosen_ids: list[int], language: str) -> CompareView:
    """Trends over the chosen rounds and the change from the first to the last."""
    chosen = chosen_rounds(initiative, chosen_ids)
    analyses = [round_analysis(round_) for round_ in chosen]
    results = [analysis.result for analysis in analyses]
    if len(chosen) < 2:
        return CompareView(list(initiative.rounds), chosen, [], [], [], [], None, [], "")
    comparison = compare_rounds(
        results[0],
        results[-1],
        profile_earlier=analyses[0].profile,
        profile_later=analyses[-1].profile,
    )
    framework = results[-1].framework
    moves = [
        (framework.component(move.component).name.get(language), move.phase_a, move.phase_b)
        for move in comparison.components
        if move.component is not None
    ]
    return CompareView(
        rounds=list(initiative.rounds),
        chosen=chosen,
        component_trends=_trends(results, Level.COMPONENT, language),
        cell_trends=_trends(results, Level.CELL, language),
        changes=_change_rows(comparison, language),
        phase_moves=moves,
        initiative_move=(comparison.initiative.phase_a, comparison.initiative.phase_b),
        not_comparable=[
            _left_out(entry, (results[-1], results[0]), language)
            for entry in comparison.not_comparable
        ],
        method=comparison.method,
    )
