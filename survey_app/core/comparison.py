"""Comparing two rounds: which items and elements can be compared, and what changed.

Comparability rule (shared with the instrument diff, so a form edit never silently
breaks a trend): two scale items are comparable when they have

* the same item id,
* the same scale: number of points, answer labels in every language both versions
  have, and the same offer (or not) of "don't know",
* the same measure (component / phase / factor),
* the same reverse-keying flag,
* the same wording in every language both versions have.

Any change of wording — even a small one — makes the item not comparable; adding a
translation does not. An element (cell, component, phase, factor) is comparable when
it is measured in both rounds by the same items, each comparable, with the same weights.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

import pandas as pd

from survey_app.core.agreement import Agreement
from survey_app.core.anonymity import Suppressed, SuppressionReason
from survey_app.core.instruments import Item, Scale, Text
from survey_app.core.profile import UNCERTAIN, PhaseProfile, phase_profile
from survey_app.core.scoring import Band, ElementResult, ItemResult, RoundResult, Stat
from survey_app.core.stats import welch_interval

METHOD = (
    "Change = mean in the later round minus mean in the earlier round, for each element "
    "and item that is comparable. 95% confidence interval of the change: Welch's "
    "interval, t(0.975; df) with Welch–Satterthwaite degrees of freedom. The rounds are "
    "treated as independent samples: answers are anonymous, so partners who answered "
    "both rounds cannot be paired; with such overlap the interval is conservative "
    "(too wide rather than too narrow). A change is flagged only when the interval "
    "excludes 0 and both rounds have at least k respondents."
)


class Reason(StrEnum):
    """Why an item or element cannot be compared."""

    ID = "id"
    KIND = "kind"
    SCALE_POINTS = "scale_points"
    SCALE_LABELS = "scale_labels"
    DONT_KNOW = "dont_know"
    MEASURE = "measure"
    REVERSE = "reverse"
    TEXT = "text"
    ONLY_IN_EARLIER = "only_in_earlier_round"
    ONLY_IN_LATER = "only_in_later_round"
    ITEMS_DIFFER = "items_differ"
    ITEM_CHANGED = "item_changed"
    WEIGHT = "weight"


@dataclass(frozen=True)
class Comparability:
    """Whether two versions can be compared; `reasons` says why not (empty when they can)."""

    reasons: tuple[Reason, ...]

    @property
    def comparable(self) -> bool:
        """True when nothing stands in the way."""
        return not self.reasons

    def __bool__(self) -> bool:
        return self.comparable


def _same_texts(a: Mapping[str, object], b: Mapping[str, object]) -> bool:
    """Equal in every language both have (and at least one language in common)."""
    common = set(a) & set(b)
    return bool(common) and all(a[lang] == b[lang] for lang in common)


def _scale_reasons(scale_a: Scale | None, scale_b: Scale | None) -> list[Reason]:
    if scale_a is None or scale_b is None:
        return [Reason.KIND]
    reasons = []
    if scale_a.points != scale_b.points:
        reasons.append(Reason.SCALE_POINTS)
    elif not _same_texts(scale_a.labels, scale_b.labels):
        reasons.append(Reason.SCALE_LABELS)
    if (scale_a.dont_know is None) != (scale_b.dont_know is None):
        reasons.append(Reason.DONT_KNOW)
    return reasons


def comparable(
    item_a: Item, scale_a: Scale | None, item_b: Item, scale_b: Scale | None
) -> Comparability:
    """Apply the comparability rule of this module to two versions of an item."""
    reasons: list[Reason] = []
    if item_a.id != item_b.id:
        reasons.append(Reason.ID)
    if item_a.kind is not item_b.kind or not (item_a.is_scored and item_b.is_scored):
        reasons.append(Reason.KIND)
    else:
        reasons += _scale_reasons(scale_a, scale_b)
    if item_a.measures != item_b.measures:
        reasons.append(Reason.MEASURE)
    if item_a.reverse != item_b.reverse:
        reasons.append(Reason.REVERSE)
    if not _same_texts(item_a.text.by_language, item_b.text.by_language):
        reasons.append(Reason.TEXT)
    return Comparability(tuple(dict.fromkeys(reasons)))


# ----------------------------------------------------------------------- results


@dataclass(frozen=True)
class Change:
    """Change of one element or item between rounds (earlier a, later b)."""

    n_a: int
    n_b: int
    mean_a: float
    mean_b: float
    diff: float
    ci_low: float
    ci_high: float
    df: float
    changed: bool
    rwg_a: float
    rwg_b: float
    rwg_change: float
    ad_a: float
    ad_b: float
    ad_change: float
    band_a: Band
    band_b: Band
    agreement_a: Agreement
    agreement_b: Agreement


@dataclass(frozen=True)
class ElementChange:
    """A comparable element or item and its change (Suppressed when a round is below k)."""

    kind: str  # "cell", "component", "phase", "factor" or "item"
    id: str
    name: Text
    change: Change | Suppressed


@dataclass(frozen=True)
class NotComparable:
    """An element or item left out of the comparison, with the reasons."""

    kind: str
    id: str
    reasons: tuple[Reason, ...]
    items: tuple[str, ...] = ()  # for elements: the items that differ


@dataclass(frozen=True)
class PhaseMove:
    """Phase of a component (None = the initiative) in both rounds."""

    component: str | None
    phase_a: int
    phase_b: int
    provisional_a: bool
    provisional_b: bool

    @property
    def movement(self) -> int:
        """Phases moved forward (negative: back)."""
        return self.phase_b - self.phase_a


@dataclass(frozen=True)
class RoundComparison:
    """Everything compare_rounds finds; `method` describes the statistics in words."""

    elements: tuple[ElementChange, ...]
    items: tuple[ElementChange, ...]
    components: tuple[PhaseMove, ...]
    initiative: PhaseMove
    not_comparable: tuple[NotComparable, ...]
    method: str = METHOD

    def to_frame(self) -> pd.DataFrame:
        """One row per compared element or item; suppressed changes are <NA>."""
        rows = []
        for entry in self.elements + self.items:
            row: dict[str, object] = {"kind": entry.kind, "id": entry.id}
            if isinstance(entry.change, Suppressed):
                row.update(suppressed=True, suppressed_reason=str(entry.change.reason))
            else:
                row.update({k: _plain(v) for k, v in entry.change.__dict__.items()})
                row.update(suppressed=False, suppressed_reason="")
            rows.append(row)
        return pd.DataFrame(rows)


def _plain(value: object) -> object:
    return str(value) if isinstance(value, StrEnum) else value


# ------------------------------------------------------------------- comparing


def _change(a: Stat, b: Stat) -> Change:
    interval = welch_interval(a.mean, a.sd, a.n, b.mean, b.sd, b.n)
    return Change(
        n_a=a.n,
        n_b=b.n,
        mean_a=a.mean,
        mean_b=b.mean,
        diff=interval.diff,
        ci_low=interval.ci_low,
        ci_high=interval.ci_high,
        df=interval.df,
        changed=interval.excludes_zero(),
        rwg_a=a.rwg,
        rwg_b=b.rwg,
        rwg_change=b.rwg - a.rwg,
        ad_a=a.ad,
        ad_b=b.ad,
        ad_change=b.ad - a.ad,
        band_a=a.band,
        band_b=b.band,
        agreement_a=a.agreement,
        agreement_b=b.agreement,
    )


def _change_or_suppressed(
    a: Stat | Suppressed, b: Stat | Suppressed, k: int
) -> Change | Suppressed:
    """A change only when both rounds met k (otherwise nothing is said about it)."""
    if isinstance(a, Suppressed):
        return a
    if isinstance(b, Suppressed):
        return b
    if a.n < k or b.n < k:
        return Suppressed(SuppressionReason.BELOW_K, k)
    return _change(a, b)


def _item_versions(result: RoundResult) -> dict[tuple[str, str], tuple[Item, Scale | None]]:
    versions = {}
    for instrument in result.instruments:
        for item in instrument.scored_items():
            versions[(instrument.id, item.id)] = (item, instrument.scale_of(item))
    return versions


def _compare_items(
    a: RoundResult, b: RoundResult, k: int
) -> tuple[list[ElementChange], list[NotComparable], dict[tuple[str, str], Comparability]]:
    versions_a, versions_b = _item_versions(a), _item_versions(b)
    results_a = {(i.instrument_id, i.item_id): i for i in a.items}
    results_b = {(i.instrument_id, i.item_id): i for i in b.items}
    changes, excluded, verdicts = [], [], {}
    for key in list(versions_a) + [key for key in versions_b if key not in versions_a]:
        label = "/".join(key)
        if key not in versions_b or key not in versions_a:
            only = Reason.ONLY_IN_EARLIER if key in versions_a else Reason.ONLY_IN_LATER
            verdicts[key] = Comparability((only,))
            excluded.append(NotComparable("item", label, (only,)))
            continue
        verdict = comparable(*versions_a[key], *versions_b[key])
        verdicts[key] = verdict
        if not verdict:
            excluded.append(NotComparable("item", label, verdict.reasons))
            continue
        item_a: ItemResult = results_a[key]
        item_b: ItemResult = results_b[key]
        change = _change_or_suppressed(item_a.stat, item_b.stat, k)
        changes.append(ElementChange("item", label, b.item_name(item_b), change))
    return changes, excluded, verdicts


def _weights(result: RoundResult, element: ElementResult) -> dict[tuple[str, str], float]:
    return {key: float(result.instrument(key[0]).item(key[1]).weight) for key in element.items}


def _element_reasons(
    a: RoundResult,
    b: RoundResult,
    element_a: ElementResult,
    element_b: ElementResult,
    verdicts: Mapping[tuple[str, str], Comparability],
) -> tuple[list[Reason], tuple[str, ...]]:
    reasons: list[Reason] = []
    if set(element_a.items) != set(element_b.items):
        reasons.append(Reason.ITEMS_DIFFER)
    differing = sorted(set(element_a.items) ^ set(element_b.items))
    changed = sorted(
        key
        for key in set(element_a.items) & set(element_b.items)
        if not verdicts.get(key, Comparability(()))
    )
    if changed:
        reasons.append(Reason.ITEM_CHANGED)
    if not reasons and _weights(a, element_a) != _weights(b, element_b):
        reasons.append(Reason.WEIGHT)
    return reasons, tuple("/".join(key) for key in differing + changed)


def _compare_elements(
    a: RoundResult, b: RoundResult, verdicts: Mapping[tuple[str, str], Comparability], k: int
) -> tuple[list[ElementChange], list[NotComparable]]:
    by_key_b = {(e.level, e.id): e for e in b.elements}
    keys_a = {(e.level, e.id) for e in a.elements}
    changes, excluded = [], []
    for element_a in a.elements:
        element_b = by_key_b.get((element_a.level, element_a.id))
        kind = str(element_a.level)
        if element_b is None:
            excluded.append(NotComparable(kind, element_a.id, (Reason.ONLY_IN_EARLIER,)))
            continue
        reasons, items = _element_reasons(a, b, element_a, element_b, verdicts)
        if reasons:
            excluded.append(NotComparable(kind, element_a.id, tuple(reasons), items))
            continue
        change = _change_or_suppressed(element_a.overall, element_b.overall, k)
        changes.append(ElementChange(kind, element_a.id, b.element_name(element_b), change))
    excluded += [
        NotComparable(str(e.level), e.id, (Reason.ONLY_IN_LATER,))
        for e in b.elements
        if (e.level, e.id) not in keys_a
    ]
    return changes, excluded


def _moves(profile_a: PhaseProfile, profile_b: PhaseProfile) -> Iterable[PhaseMove]:
    for component_a in profile_a.components:
        component_b = profile_b.component(component_a.component)
        yield PhaseMove(
            component_a.component,
            component_a.phase,
            component_b.phase,
            component_a.holding is not None and component_a.holding.status in UNCERTAIN,
            component_b.holding is not None and component_b.holding.status in UNCERTAIN,
        )


def compare_rounds(
    earlier: RoundResult,
    later: RoundResult,
    *,
    profile_earlier: PhaseProfile | None = None,
    profile_later: PhaseProfile | None = None,
) -> RoundComparison:
    """Compare two rounds of the same framework: changes, phase moves, non-comparables.

    A change is reported only when both rounds meet the larger of their two k values.
    """
    if earlier.framework.id != later.framework.id:
        raise ValueError("rounds of different frameworks cannot be compared")
    k = max(earlier.k, later.k)
    items, excluded_items, verdicts = _compare_items(earlier, later, k)
    elements, excluded_elements = _compare_elements(earlier, later, verdicts, k)
    profile_a = profile_earlier or phase_profile(earlier)
    profile_b = profile_later or phase_profile(later)
    initiative = PhaseMove(
        None, profile_a.phase, profile_b.phase, profile_a.provisional, profile_b.provisional
    )
    return RoundComparison(
        elements=tuple(elements),
        items=tuple(items),
        components=tuple(_moves(profile_a, profile_b)),
        initiative=initiative,
        not_comparable=tuple(excluded_elements + excluded_items),
    )
