"""Strengths and weaknesses: top and bottom factors, cells and items, divided apart from weak.

* divided — weak agreement (r_wg / AD), whatever the mean: partners see it differently;
  most divided (lowest r_wg) first.
* weak — not divided, in the concern or discuss band; lowest 5-point mean first.
* strengths — not divided, in the strength band; highest mean first.

Ties are broken by larger n, then id, so the lists are deterministic. Suppressed groups
(n < k) never appear.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from survey_app.core.agreement import Agreement
from survey_app.core.anonymity import Suppressed
from survey_app.core.instruments import Text
from survey_app.core.scoring import Band, Level, RoundResult, Stat


@dataclass(frozen=True)
class Highlight:
    """One factor, cell or item with the figures a reader needs."""

    kind: str  # "factor", "cell" or "item"
    id: str
    name: Text
    stat: Stat

    @property
    def n(self) -> int:
        """Number of respondents behind the figures."""
        return self.stat.n


@dataclass(frozen=True)
class Ranking:
    """Strengths, weaknesses and divided topics of one kind."""

    strengths: tuple[Highlight, ...]
    weaknesses: tuple[Highlight, ...]
    divided: tuple[Highlight, ...]


@dataclass(frozen=True)
class Highlights:
    """Rankings for factors, cells and items."""

    factors: Ranking
    cells: Ranking
    items: Ranking


def _rank(candidates: Iterable[Highlight], top: int) -> Ranking:
    shown = list(candidates)
    divided = [h for h in shown if h.stat.agreement is Agreement.WEAK]
    agreed = [h for h in shown if h.stat.agreement is not Agreement.WEAK]
    strengths = [h for h in agreed if h.stat.band is Band.STRENGTH]
    weaknesses = [h for h in agreed if h.stat.band in (Band.CONCERN, Band.DISCUSS)]
    strengths.sort(key=lambda h: (-h.stat.score_5, -h.n, h.id))
    weaknesses.sort(key=lambda h: (h.stat.score_5, -h.n, h.id))
    divided.sort(key=lambda h: (h.stat.rwg, -h.stat.ad, -h.n, h.id))
    return Ranking(tuple(strengths[:top]), tuple(weaknesses[:top]), tuple(divided[:top]))


def _elements(result: RoundResult, level: Level, kind: str) -> Iterable[Highlight]:
    for element in result.elements_at(level):
        if not isinstance(element.overall, Suppressed):
            yield Highlight(kind, element.id, result.element_name(element), element.overall)


def _items(result: RoundResult) -> Iterable[Highlight]:
    for item in result.items:
        if not isinstance(item.stat, Suppressed):
            item_key = f"{item.instrument_id}/{item.item_id}"
            yield Highlight("item", item_key, result.item_name(item), item.stat)


def strengths_and_weaknesses(result: RoundResult, *, top: int = 3) -> Highlights:
    """The `top` strengths, weaknesses and divided topics among factors, cells and items."""
    return Highlights(
        factors=_rank(_elements(result, Level.FACTOR, "factor"), top),
        cells=_rank(_elements(result, Level.CELL, "cell"), top),
        items=_rank(_items(result), top),
    )
