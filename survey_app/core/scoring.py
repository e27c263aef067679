"""Scoring of one survey round: items, respondent scale scores and group aggregates.

`score_round` is the single entry point the dashboard, reports, PDF and exports call.

Rules (thresholds come from the framework file, never from code):

* Scale answers are points 1..A; reverse-keyed items score A + 1 − x. "Don't know" is
  counted in the distribution but never scored.
* A respondent's score on an element (a component × phase cell, a component, a phase
  or a factor) is the weighted mean of the element's items the respondent answered,
  provided at least `min_answered_share` of the element's items (of the instrument(s)
  the response answered) were answered; otherwise the score is missing. "Don't know"
  does not count as answered.
* Cells, components and phases are framework elements: items of several instruments
  that measure the same cell are pooled. Factors are defined per instrument, so a factor
  element belongs to one instrument and its id is "instrument/factor" (the same factor
  id in two instruments is two factors, possibly with different roles).
* An element aggregate is the mean of the respondents' scores with n, SD (n − 1) and a
  95% Student t interval; its agreement is r_wg(J) over the element's items (unweighted,
  item variances over everyone who answered the item) and AD, the mean item AD.
* Bands use the 5-point thresholds; a mean on an A-point scale is first mapped linearly
  onto 1..5 (1 + (mean − 1) · 4 / (A − 1)).
* Anonymity: a group below k shows no statistic; in breakdowns (sector, role, …) the
  complementary rule of `anonymity.suppress_breakdown` applies per element.

Everything is vectorised over responses (bincount on integer codes, dense
respondent × item matrices). Sums run in an order that does not depend on row order or
response ids (counts per answer value; respondent scores summed in value order), so
shuffling the input gives bit-identical results.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

import numpy as np
import numpy.typing as npt
import pandas as pd

from survey_app.core.agreement import (
    Agreement,
    agreement_label,
    rwg_from_variance,
    rwg_j_from_mean_variance,
)
from survey_app.core.anonymity import (
    Suppressed,
    SuppressionReason,
    apply_breakdown,
    resolve_comment_k,
    resolve_k,
    visible_comments,
)
from survey_app.core.instruments import (
    FactorRole,
    Framework,
    Instrument,
    Item,
    ItemKind,
    Measure,
    Text,
    Thresholds,
)
from survey_app.core.stats import CI_METHOD, Summary, mean_ci, summarise

ALL = "all"  # name of the whole-group "breakdown" and of its single group
NOT_STATED = "not_stated"  # group of respondents who left a background question open
MULTIPLE_SEPARATOR = "|"

ANSWER_COLUMNS = ("response_id", "instrument_id", "item_id", "value", "dont_know", "text")
RESPONDENT_COLUMNS = ("response_id",)

Array = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


class Level(StrEnum):
    """What an element aggregates."""

    CELL = "cell"
    COMPONENT = "component"
    PHASE = "phase"
    FACTOR = "factor"


class Band(StrEnum):
    """Reading of a mean against the strength/discuss thresholds (5-point units)."""

    STRENGTH = "strength"
    DISCUSS = "discuss"
    CONCERN = "concern"


def to_five_point(mean: float, points: int) -> float:
    """Map a mean on an A-point scale linearly onto 1..5."""
    return 1.0 + (mean - 1.0) * 4.0 / (points - 1)


def band_of(mean: float, points: int, thresholds: Thresholds) -> Band:
    """Band of a mean: strength >= thresholds.strength > discuss >= thresholds.discuss > concern."""
    score = to_five_point(mean, points)
    if score >= thresholds.strength:
        return Band.STRENGTH
    if score >= thresholds.discuss:
        return Band.DISCUSS
    return Band.CONCERN


def cell_id(component: str, phase: str) -> str:
    """Element id of a component × phase cell."""
    return f"{component}/{phase}"


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Stat:
    """Statistics of one element or item for one group that met k."""

    n: int
    mean: float
    sd: float
    ci_low: float
    ci_high: float
    rwg: float  # r_wg(J) over the element's items (r_wg for a single item)
    ad: float  # mean item AD, in scale points
    score_5: float  # the mean mapped onto 1..5, the units of the bands
    band: Band
    agreement: Agreement


@dataclass(frozen=True)
class ItemStat(Stat):
    """Item statistics plus the answer distribution (raw answers 1..A, before reverse keying)."""

    distribution: tuple[int, ...]
    dont_know: int


StatOrSuppressed = Stat | Suppressed


@dataclass(frozen=True)
class ItemResult:
    """One scale item: overall statistics (suppressed below k)."""

    instrument_id: str
    item_id: str
    points: int
    reverse: bool
    weight: float
    measures: Measure | None
    stat: ItemStat | Suppressed


@dataclass(frozen=True)
class ElementResult:
    """One element (cell, component, phase or factor) with overall and breakdown statistics."""

    level: Level
    id: str
    points: int
    items: tuple[tuple[str, str], ...]  # (instrument_id, item_id)
    overall: StatOrSuppressed
    breakdowns: Mapping[str, Mapping[str, StatOrSuppressed]]
    component: str | None = None
    phase: str | None = None
    factor: str | None = None
    role: FactorRole | None = None
    instrument_id: str | None = None  # factors belong to an instrument; cells etc. do not

    def __post_init__(self) -> None:
        frozen = {name: MappingProxyType(dict(groups)) for name, groups in self.breakdowns.items()}
        object.__setattr__(self, "breakdowns", MappingProxyType(frozen))

    @property
    def stat(self) -> Stat | None:
        """The overall statistics, or None when suppressed."""
        return self.overall if isinstance(self.overall, Stat) else None


@dataclass(frozen=True)
class ChoiceResult:
    """Counts per option of a single- or multiple-choice item (suppressed below k)."""

    instrument_id: str
    item_id: str
    kind: ItemKind
    counts: Mapping[str, int] | Suppressed
    n: int | Suppressed  # responses that answered the item

    def __post_init__(self) -> None:
        if not isinstance(self.counts, Suppressed):
            object.__setattr__(self, "counts", MappingProxyType(dict(self.counts)))


@dataclass(frozen=True)
class NumberResult:
    """Summary of a number item (suppressed below k)."""

    instrument_id: str
    item_id: str
    summary: Summary | Suppressed


@dataclass(frozen=True)
class CommentResult:
    """Free-text comments of one item, sorted; hidden while the instrument has < k_comments."""

    instrument_id: str
    item_id: str
    comments: tuple[str, ...] | Suppressed


@dataclass(frozen=True)
class RoundResult:
    """Everything computed for one round; every view (dashboard, report, export) reads this."""

    framework: Framework
    instruments: tuple[Instrument, ...]
    k: int
    k_comments: int
    n_responses: int
    responses_by_instrument: Mapping[str, int]
    items: tuple[ItemResult, ...]
    elements: tuple[ElementResult, ...]
    choices: tuple[ChoiceResult, ...] = ()
    numbers: tuple[NumberResult, ...] = ()
    comments: tuple[CommentResult, ...] = ()
    breakdown_groups: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    ignored_answers: int = 0  # answer rows for items not in the instruments given
    method: str = CI_METHOD

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "responses_by_instrument", MappingProxyType(dict(self.responses_by_instrument))
        )
        object.__setattr__(self, "breakdown_groups", MappingProxyType(dict(self.breakdown_groups)))

    @property
    def thresholds(self) -> Thresholds:
        """The thresholds the round was scored with."""
        return self.framework.thresholds

    def elements_at(self, level: Level) -> tuple[ElementResult, ...]:
        """Elements of one level, in framework / instrument order."""
        return tuple(element for element in self.elements if element.level is level)

    def element(self, level: Level, element_id: str) -> ElementResult | None:
        """The element with this level and id, or None when no item measures it."""
        for element in self.elements:
            if element.level is level and element.id == element_id:
                return element
        return None

    def cell(self, component: str, phase: str) -> ElementResult | None:
        """The component × phase cell, or None when no item measures it."""
        return self.element(Level.CELL, cell_id(component, phase))

    def factors(self, role: FactorRole | None = None) -> tuple[ElementResult, ...]:
        """Factor elements, optionally only those with `role`."""
        return tuple(
            element
            for element in self.elements_at(Level.FACTOR)
            if role is None or element.role is role
        )

    def factor(self, factor_id: str, instrument_id: str | None = None) -> ElementResult | None:
        """The factor element by factor id; `instrument_id` is needed only when ids repeat.

        Factors are defined per instrument, so their element id is "instrument/factor"
        (the same factor id in two instruments is two factors, e.g. trust as a
        precondition and trust as a collaboration factor). ValueError when ambiguous.
        """
        found = [
            element
            for element in self.elements_at(Level.FACTOR)
            if element.factor == factor_id
            and (instrument_id is None or element.instrument_id == instrument_id)
        ]
        if len(found) > 1:
            raise ValueError(f"factor {factor_id} is in several instruments; give instrument_id")
        return found[0] if found else None

    def item(self, instrument_id: str, item_id: str) -> ItemResult | None:
        """The scale item result, or None."""
        for item in self.items:
            if (item.instrument_id, item.item_id) == (instrument_id, item_id):
                return item
        return None

    def instrument(self, instrument_id: str) -> Instrument:
        """The instrument with this id (KeyError if it was not scored)."""
        for instrument in self.instruments:
            if instrument.id == instrument_id:
                return instrument
        raise KeyError(instrument_id)

    def element_name(self, element: ElementResult) -> Text:
        """Display name of an element in every language (a cell is "component – phase")."""
        framework = self.framework
        if element.level is Level.FACTOR:
            return self.instrument(str(element.instrument_id)).factor(str(element.factor)).name
        if element.level is Level.COMPONENT:
            return framework.component(str(element.component)).name
        if element.level is Level.PHASE:
            return framework.phase(str(element.phase)).name
        return self.cell_name(str(element.component), str(element.phase))

    def cell_name(self, component_id: str, phase_id: str) -> Text:
        """Display name of a component × phase cell, "component – phase", in every language."""
        component = self.framework.component(component_id).name
        phase = self.framework.phase(phase_id).name
        languages = set(component.by_language) | set(phase.by_language)
        return Text({lang: f"{component.get(lang)} – {phase.get(lang)}" for lang in languages})

    def item_name(self, item: ItemResult) -> Text:
        """The wording of a scale item."""
        return self.instrument(item.instrument_id).item(item.item_id).text

    def to_frame(self, table: str = "elements") -> pd.DataFrame:
        """A flat view for exports: "elements", "items", "choices", "numbers" or "comments".

        Suppressed statistics are <NA> with `suppressed` set and the reason given; they
        are never written as numbers.
        """
        builders = {
            "elements": _elements_frame,
            "items": _items_frame,
            "choices": _choices_frame,
            "numbers": _numbers_frame,
            "comments": _comments_frame,
        }
        if table not in builders:
            raise ValueError(f"unknown table {table!r}; choose one of {sorted(builders)}")
        return builders[table](self)

    def to_frames(self) -> dict[str, pd.DataFrame]:
        """Every flat view, keyed by table name."""
        tables = ("elements", "items", "choices", "numbers", "comments")
        return {name: self.to_frame(name) for name in tables}


# ----------------------------------------------------------------------- catalogue


@dataclass(frozen=True)
class _ElementSpec:
    level: Level
    id: str
    columns: tuple[int, ...]  # scored-item columns
    component: str | None = None
    phase: str | None = None
    factor: str | None = None
    role: FactorRole | None = None
    instrument_id: str | None = None


def factor_element_id(instrument_id: str, factor_id: str) -> str:
    """Element id of a factor: factors are defined per instrument."""
    return f"{instrument_id}/{factor_id}"


@dataclass
class _Catalogue:
    """Every item of the instruments, with integer positions for the vectorised code."""

    framework: Framework
    instruments: tuple[Instrument, ...]
    items: list[tuple[Instrument, Item]]  # all items, any kind
    index: dict[tuple[str, str], int]  # (instrument_id, item_id) -> position in items
    scored: list[int]  # positions (in items) of scale items, in order
    points: IntArray  # per scored column
    reverse: npt.NDArray[np.bool_]
    weight: Array
    instrument_of: IntArray  # instrument position per scored column
    item_instrument: IntArray  # instrument position per item, then a spare entry for -1
    column_of: IntArray  # scored column per item (-1 if not scored), then a spare -1
    elements: list[_ElementSpec]

    @classmethod
    def build(cls, framework: Framework, instruments: Sequence[Instrument]) -> _Catalogue:
        instruments = tuple(instruments)
        ids = [instrument.id for instrument in instruments]
        if len(set(ids)) != len(ids):
            raise ValueError(f"an instrument is given twice: {ids}")
        items = [(instrument, item) for instrument in instruments for item in instrument.items()]
        index = {(instrument.id, item.id): pos for pos, (instrument, item) in enumerate(items)}
        if len(index) != len(items):
            raise ValueError("an item id occurs twice within one instrument")
        scored = [pos for pos, (_, item) in enumerate(items) if item.is_scored]
        position = {instrument.id: n for n, instrument in enumerate(instruments)}
        points = [items[pos][0].scale_of(items[pos][1]).points for pos in scored]
        return cls(
            framework=framework,
            instruments=instruments,
            items=items,
            index=index,
            scored=scored,
            points=np.array(points, dtype=np.int64),
            reverse=np.array([items[pos][1].reverse for pos in scored], dtype=bool),
            weight=np.array([float(items[pos][1].weight) for pos in scored]),
            instrument_of=np.array([position[items[pos][0].id] for pos in scored], dtype=np.int64),
            item_instrument=np.array(
                [position[inst.id] for inst, _ in items] + [len(instruments)], dtype=np.int64
            ),
            column_of=_column_of(len(items), scored),
            elements=_element_specs(framework, items, scored),
        )

    @property
    def max_points(self) -> int:
        return int(self.points.max()) if self.points.size else 1


def _column_of(n_items: int, scored: list[int]) -> IntArray:
    """Scored column of each item position, -1 when not scored; index -1 is a spare -1."""
    column_of = np.full(n_items + 1, -1, dtype=np.int64)
    column_of[np.array(scored, dtype=np.int64)] = np.arange(len(scored))
    return column_of


def _element_specs(
    framework: Framework, items: list[tuple[Instrument, Item]], scored: list[int]
) -> list[_ElementSpec]:
    """Elements measured by at least one scale item, in framework / instrument order."""
    components = [component.id for component in framework.components]
    phases = [phase.id for phase in framework.ordered_phases()]
    cells: dict[str, list[int]] = {}
    by_component: dict[str, list[int]] = {}
    by_phase: dict[str, list[int]] = {}
    factors: dict[tuple[str, str], list[int]] = {}
    for column, pos in enumerate(scored):
        instrument, item = items[pos]
        measure = item.measures
        if measure is None:
            continue
        if measure.component is not None and measure.component not in components:
            raise ValueError(f"{instrument.id}/{item.id}: unknown component {measure.component}")
        if measure.phase is not None and measure.phase not in phases:
            raise ValueError(f"{instrument.id}/{item.id}: unknown phase {measure.phase}")
        if measure.component is not None and measure.phase is not None:
            cells.setdefault(cell_id(measure.component, measure.phase), []).append(column)
        if measure.component is not None:
            by_component.setdefault(measure.component, []).append(column)
        if measure.phase is not None:
            by_phase.setdefault(measure.phase, []).append(column)
        if measure.factor is not None:
            instrument.factor(measure.factor)  # KeyError for a factor the instrument lacks
            factors.setdefault((instrument.id, measure.factor), []).append(column)
    specs = [
        _ElementSpec(Level.CELL, cell_id(c, p), tuple(cells[cell_id(c, p)]), component=c, phase=p)
        for c in components
        for p in phases
        if cell_id(c, p) in cells
    ]
    specs += [
        _ElementSpec(Level.COMPONENT, c, tuple(by_component[c]), component=c)
        for c in components
        if c in by_component
    ]
    specs += [
        _ElementSpec(Level.PHASE, p, tuple(by_phase[p]), phase=p) for p in phases if p in by_phase
    ]
    roles = {
        (instrument.id, factor.id): factor.role
        for instrument in {inst.id: inst for inst, _ in items}.values()
        for factor in instrument.factors
    }
    specs += [
        _ElementSpec(
            Level.FACTOR,
            factor_element_id(inst, f),
            tuple(cols),
            factor=f,
            role=roles[(inst, f)],
            instrument_id=inst,
        )
        for (inst, f), cols in factors.items()
    ]
    return specs


# ------------------------------------------------------------------------ the input


@dataclass
class _Answers:
    """The answers as a dense scored-item × respondent matrix plus what else scoring needs."""

    response_ids: npt.NDArray[np.object_]  # one per respondent code
    # Items × respondents (item-major, so one item's answers are contiguous), reverse
    # keying applied, 0 = no scored answer.
    keyed: npt.NDArray[np.integer]
    dont_know: IntArray  # per scored column
    presence: npt.NDArray[np.bool_]  # respondents × instruments: the response answered it
    other_rows: pd.DataFrame  # answers to non-scale items, with `pos` (catalogue position)
    ignored: int


def _require_columns(frame: pd.DataFrame, columns: Sequence[str], name: str) -> None:
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise ValueError(f"{name} lacks columns {missing}")


def _factorize(column: pd.Series) -> tuple[IntArray, npt.NDArray[np.object_]]:
    """Integer codes (-1 for missing) and distinct values of a string column."""
    # Factorising the plain object array is about a third faster than the string dtype.
    codes, values = pd.factorize(column.to_numpy(dtype=object))
    return codes.astype(np.int64, copy=False), np.asarray(values, dtype=object)


def _positions(answers: pd.DataFrame, catalogue: _Catalogue) -> IntArray:
    """Catalogue position of each answer row, -1 for items not in the instruments."""
    inst_codes, inst_values = _factorize(answers["instrument_id"])
    item_codes, item_values = _factorize(answers["item_id"])
    # Look up each distinct (instrument, item) pair once instead of once per row.
    table = np.full((len(inst_values) + 1, len(item_values) + 1), -1, dtype=np.int64)
    for i, instrument_id in enumerate(inst_values):
        for j, item_id in enumerate(item_values):
            table[i, j] = catalogue.index.get((instrument_id, item_id), -1)
    return table[inst_codes, item_codes]  # code -1 (missing id) hits the spare -1 row/column


def _prepare(answers: pd.DataFrame, catalogue: _Catalogue) -> _Answers:
    _require_columns(answers, ANSWER_COLUMNS, "answers")
    pos = _positions(answers, catalogue)
    resp_codes, response_ids = _factorize(answers["response_id"])
    if resp_codes.size and resp_codes.min() < 0:
        raise ValueError("answers contain a row without response_id")
    n_resp = len(response_ids)
    column = catalogue.column_of[pos]  # -1 for unknown items and items that are not scored
    values = answers["value"].to_numpy(dtype=float, na_value=np.nan)
    dont_know = answers["dont_know"].to_numpy(dtype=bool, na_value=False)
    is_value = (column >= 0) & ~dont_know & ~np.isnan(values)
    keyed = _dense_answers(catalogue, values, is_value, column, resp_codes, n_resp)
    dk_rows = np.flatnonzero((column >= 0) & dont_know)
    _check_dont_know(keyed, column[dk_rows], resp_codes[dk_rows])
    other = (pos >= 0) & (column < 0)
    return _Answers(
        response_ids=np.asarray(response_ids, dtype=object),
        keyed=keyed,
        dont_know=np.bincount(column[dk_rows], minlength=len(catalogue.scored)).astype(np.int64),
        presence=_presence(catalogue, pos, resp_codes, n_resp),
        other_rows=answers.loc[other, ["response_id", "value", "text"]].assign(pos=pos[other]),
        ignored=int((pos < 0).sum()),
    )


def _dense_answers(
    catalogue: _Catalogue,
    values: Array,
    is_value: npt.NDArray[np.bool_],
    column: IntArray,
    resp_codes: IntArray,
    n_resp: int,
) -> npt.NDArray[np.integer]:
    """Scatter the scale answers into an items × respondents matrix, checked and keyed."""
    n_cols = len(catalogue.scored)
    cells = n_cols * n_resp
    # Scatter respondent-major (answers usually arrive grouped by response, so the writes
    # are nearly sequential), then transpose. Rows that are not scale answers all land
    # in one spare cell, which is dropped; this avoids boolean-mask gathers.
    flat = resp_codes * n_cols
    flat += column
    np.putmask(flat, ~is_value, cells)
    dense = np.full(cells + 1, np.nan)
    dense[flat] = values
    dense = dense[:cells].reshape(n_resp, n_cols)
    answered = ~np.isnan(dense)
    repeated = int(is_value.sum()) - int(answered.sum())  # a repeated pair overwrites its cell
    if repeated:
        raise ValueError(f"{repeated} answers repeat an item already answered in the response")
    points = catalogue.points[None, :]
    bad = _off_scale(dense, points)
    bad &= answered
    if bad.any():
        raise ValueError(f"{int(bad.sum())} scale answers are not whole points within their scale")
    dtype = np.int8 if catalogue.max_points < np.iinfo(np.int8).max else np.int16
    raw = np.where(answered, dense, 0).astype(dtype)
    keyed = np.where(catalogue.reverse[None, :] & answered, (points + 1 - raw).astype(dtype), raw)
    return np.ascontiguousarray(keyed.T)


def _off_scale(dense: Array, points: IntArray) -> npt.NDArray[np.bool_]:
    """True where a value is not a whole number in 1..points (NaN cells are True too)."""
    # In-place steps: on 7 million cells fresh temporaries cost more than the arithmetic.
    bad = np.not_equal(dense, np.floor(dense))
    step = np.less(dense, 1)
    bad |= step
    np.greater(dense, points, out=step)
    bad |= step
    return bad


def _check_dont_know(
    keyed: npt.NDArray[np.integer], columns: IntArray, respondents: IntArray
) -> None:
    """ValueError when "don't know" repeats an item, or comes with an answer to it."""
    if not columns.size:
        return
    cells = columns * keyed.shape[1] + respondents  # keyed is items × respondents
    repeated = columns.size - np.unique(cells).size + int((keyed.ravel()[cells] > 0).sum())
    if repeated:
        raise ValueError(f"{repeated} answers repeat an item already answered in the response")


def _presence(
    catalogue: _Catalogue, pos: IntArray, resp_codes: IntArray, n_resp: int
) -> npt.NDArray[np.bool_]:
    """Respondents × instruments: True when the response holds an answer to the instrument."""
    n_inst = len(catalogue.instruments)
    # Unknown items (pos -1) map to a spare instrument column that is dropped.
    instrument = catalogue.item_instrument[pos]
    flat = np.zeros(n_resp * (n_inst + 1), dtype=bool)
    flat[resp_codes * (n_inst + 1) + instrument] = True
    return flat.reshape(n_resp, n_inst + 1)[:, :n_inst]


# ------------------------------------------------------------------------ groups


@dataclass(frozen=True)
class _Grouping:
    """One breakdown: a group code per respondent and the group labels."""

    name: str
    labels: tuple[str, ...]
    codes: IntArray


def _groupings(
    framework: Framework, respondents: pd.DataFrame | None, response_ids: npt.NDArray[np.object_]
) -> list[_Grouping]:
    n = len(response_ids)
    groupings = [_Grouping(ALL, (ALL,), np.zeros(n, dtype=np.int64))]
    if respondents is None:
        return groupings
    _require_columns(respondents, RESPONDENT_COLUMNS, "respondents")
    if respondents["response_id"].duplicated().any():
        raise ValueError("respondents lists a response_id twice")
    where = pd.Index(response_ids).get_indexer(respondents["response_id"])
    found = where >= 0
    for question in framework.background:
        if question.id not in respondents.columns:
            continue
        stated = np.full(n, NOT_STATED, dtype=object)
        column = respondents[question.id].astype(object)
        column = column.where(column.notna() & (column != ""), NOT_STATED).astype(str)
        stated[where[found]] = column.to_numpy(dtype=object)[found]
        options = [option.value for option in question.options]
        extra = sorted(set(stated) - set(options) - {NOT_STATED})
        labels = tuple(options + extra + [NOT_STATED])
        codes = pd.Index(labels).get_indexer(stated).astype(np.int64)
        groupings.append(_Grouping(question.id, labels, codes))
    return groupings


# ------------------------------------------------------------------- item statistics


@dataclass
class _ItemTable:
    """Per group × scored item: n, mean, variance, AD and raw answer counts."""

    n: IntArray  # groups × columns
    mean: Array
    var: Array
    ad: Array
    counts: IntArray  # groups × columns × max points, by keyed value


def _item_table(answers: _Answers, catalogue: _Catalogue, grouping: _Grouping) -> _ItemTable:
    n_groups, n_cols, width = len(grouping.labels), len(catalogue.scored), catalogue.max_points
    slots = width + 1  # slot 0 counts "no answer" and is dropped
    key = (grouping.codes[None, :] * n_cols + np.arange(n_cols)[:, None]) * slots + answers.keyed
    counts = np.bincount(key.ravel(), minlength=n_groups * n_cols * slots)
    counts = counts.reshape(n_groups, n_cols, slots)[:, :, 1:]  # by keyed value 1..width
    keyed = np.arange(1, width + 1, dtype=float)[None, None, :]
    n = counts.sum(axis=2)
    with np.errstate(invalid="ignore", divide="ignore"):
        # Statistics from counts per answer value: exact, and independent of row order.
        mean = (counts * keyed).sum(axis=2) / n
        deviation = keyed - mean[:, :, None]
        var = np.where(n >= 2, (counts * deviation**2).sum(axis=2) / (n - 1), np.nan)
        ad = np.where(n >= 2, (counts * np.abs(deviation)).sum(axis=2) / n, np.nan)
    return _ItemTable(n=n, mean=np.where(n > 0, mean, np.nan), var=var, ad=ad, counts=counts)


def _raw_distribution(counts: IntArray, points: int, reverse: bool) -> tuple[int, ...]:
    """Counts per raw answer 1..A from counts per keyed value (reverse keying undone)."""
    keyed = counts[:points]
    return tuple(int(x) for x in (keyed[::-1] if reverse else keyed))


# --------------------------------------------------------------- respondent scores


def _respondent_scores(
    answers: _Answers, catalogue: _Catalogue, spec: _ElementSpec, min_share: float
) -> Array:
    """Weighted mean per respondent over the element's answered items (NaN if too few)."""
    n_resp = answers.keyed.shape[1]
    weighted = np.zeros(n_resp)
    weights = np.zeros(n_resp)
    answered = np.zeros(n_resp, dtype=np.int64)
    # Columns in a fixed order so each respondent's sum is formed the same way every time.
    for column in spec.columns:
        values = answers.keyed[column]
        has = values > 0
        weight = catalogue.weight[column]
        weighted += values * weight  # unanswered cells hold 0 and add nothing
        weights += has * weight
        answered += has
    per_instrument = np.bincount(
        catalogue.instrument_of[list(spec.columns)], minlength=len(catalogue.instruments)
    )
    expected = answers.presence.astype(np.int64) @ per_instrument
    enough = (answered > 0) & (answered >= min_share * expected)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(enough, weighted / weights, np.nan)


@dataclass
class _GroupAggregate:
    n: IntArray
    mean: Array
    sd: Array


def _in_value_order(scores: Array) -> tuple[Array, IntArray]:
    """The non-missing scores sorted, and the respondent of each."""
    respondents = np.flatnonzero(~np.isnan(scores))
    # Adding in value order makes the group sums independent of respondent order.
    order = np.argsort(scores[respondents], kind="stable")
    return scores[respondents[order]], respondents[order]


def _aggregate(values: Array, groups: IntArray, n_groups: int) -> _GroupAggregate:
    """n, mean and SD of respondent scores (in value order) per group code."""
    n = np.bincount(groups, minlength=n_groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.bincount(groups, weights=values, minlength=n_groups) / n
        squares = np.bincount(groups, weights=(values - mean[groups]) ** 2, minlength=n_groups)
        sd = np.where(n >= 2, np.sqrt(squares / (n - 1)), np.nan)
    return _GroupAggregate(n=n, mean=np.where(n > 0, mean, np.nan), sd=sd)


def _element_agreement(
    table: _ItemTable, columns: Sequence[int], points: int
) -> tuple[Array, Array]:
    """r_wg(J) and AD per group over the element's items with at least two answers."""
    var = table.var[:, list(columns)]
    ad = table.ad[:, list(columns)]
    n_items = np.isfinite(var).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_var = np.where(n_items > 0, np.nansum(var, axis=1) / n_items, np.nan)
        mean_ad = np.where(n_items > 0, np.nansum(ad, axis=1) / n_items, np.nan)
    return rwg_j_from_mean_variance(mean_var, n_items, points), mean_ad


# --------------------------------------------------------------------- assembling


def _stat(
    n: int,
    mean: float,
    sd: float,
    ci: tuple[float, float],
    agreement: tuple[float, float],
    points: int,
    thresholds: Thresholds,
) -> Stat:
    rwg, ad = agreement
    return Stat(
        n=int(n),
        mean=float(mean),
        sd=float(sd),
        ci_low=float(ci[0]),
        ci_high=float(ci[1]),
        rwg=float(rwg),
        ad=float(ad),
        score_5=to_five_point(float(mean), points),
        band=band_of(float(mean), points, thresholds),
        agreement=agreement_label(
            float(rwg), float(ad), points, thresholds.rwg_acceptable, thresholds.ad_acceptable_share
        ),
    )


def _element_result(
    spec: _ElementSpec,
    scores: Array,
    catalogue: _Catalogue,
    groupings: list[_Grouping],
    tables: list[_ItemTable],
    k: int,
) -> ElementResult:
    points_used = {int(catalogue.points[c]) for c in spec.columns}
    if len(points_used) != 1:
        raise ValueError(f"{spec.level} {spec.id} mixes scales with {sorted(points_used)} points")
    points = points_used.pop()
    thresholds = catalogue.framework.thresholds
    per_grouping: dict[str, dict[str, StatOrSuppressed]] = {}
    values, respondents = _in_value_order(scores)
    for grouping, table in zip(groupings, tables, strict=True):
        agg = _aggregate(values, grouping.codes[respondents], len(grouping.labels))
        low, high = mean_ci(agg.mean, agg.sd, agg.n)
        rwg, ad = _element_agreement(table, spec.columns, points)
        stats = {
            label: _stat(
                agg.n[g],
                agg.mean[g],
                agg.sd[g],
                (low[g], high[g]),
                (rwg[g], ad[g]),
                points,
                thresholds,
            )
            if agg.n[g] >= k
            else None
            for g, label in enumerate(grouping.labels)
        }
        counts = {label: int(agg.n[g]) for g, label in enumerate(grouping.labels)}
        per_grouping[grouping.name] = apply_breakdown(stats, counts, k)
    overall = per_grouping.pop(ALL)[ALL]
    items = tuple(
        (catalogue.items[catalogue.scored[c]][0].id, catalogue.items[catalogue.scored[c]][1].id)
        for c in spec.columns
    )
    return ElementResult(
        level=spec.level,
        id=spec.id,
        points=points,
        items=items,
        overall=overall,
        breakdowns=per_grouping,
        component=spec.component,
        phase=spec.phase,
        factor=spec.factor,
        role=spec.role,
        instrument_id=spec.instrument_id,
    )


def _item_results(
    catalogue: _Catalogue, table: _ItemTable, dont_know: IntArray, k: int
) -> tuple[ItemResult, ...]:
    thresholds = catalogue.framework.thresholds
    sd = np.sqrt(table.var[0])
    low, high = mean_ci(table.mean[0], sd, table.n[0])
    results = []
    for column, pos in enumerate(catalogue.scored):
        instrument, item = catalogue.items[pos]
        points = int(catalogue.points[column])
        n = int(table.n[0, column])
        stat: ItemStat | Suppressed
        if n >= k:
            base = _stat(
                n,
                table.mean[0, column],
                sd[column],
                (low[column], high[column]),
                (float(rwg_from_variance(table.var[0, column], points)), table.ad[0, column]),
                points,
                thresholds,
            )
            stat = ItemStat(
                **base.__dict__,
                distribution=_raw_distribution(table.counts[0, column], points, item.reverse),
                dont_know=int(dont_know[column]),
            )
        else:
            stat = Suppressed(SuppressionReason.BELOW_K, k)
        results.append(
            ItemResult(
                instrument_id=instrument.id,
                item_id=item.id,
                points=points,
                reverse=item.reverse,
                weight=float(item.weight),
                measures=item.measures,
                stat=stat,
            )
        )
    return tuple(results)


def _other_results(
    catalogue: _Catalogue, answers: _Answers, responses: Mapping[str, int], k: int, k_comments: int
) -> tuple[tuple[ChoiceResult, ...], tuple[NumberResult, ...], tuple[CommentResult, ...]]:
    rows_by_pos = dict(tuple(answers.other_rows.groupby("pos", sort=True)))
    choices, numbers, comments = [], [], []
    for pos, (instrument, item) in enumerate(catalogue.items):
        rows = rows_by_pos.get(pos)
        if item.kind in (ItemKind.SINGLE, ItemKind.MULTIPLE):
            choices.append(_choice_result(instrument.id, item, rows, k))
        elif item.kind is ItemKind.NUMBER:
            values = rows["value"].to_numpy(dtype=float) if rows is not None else np.array([])
            summary = summarise(values)
            shown = summary if summary.n >= k else Suppressed(SuppressionReason.BELOW_K, k)
            numbers.append(NumberResult(instrument.id, item.id, shown))
        elif item.kind is ItemKind.COMMENT:
            texts = rows["text"].tolist() if rows is not None else []
            visible = visible_comments(texts, responses.get(instrument.id, 0), k_comments)
            comments.append(CommentResult(instrument.id, item.id, visible))
    return tuple(choices), tuple(numbers), tuple(comments)


def _choice_result(
    instrument_id: str, item: Item, rows: pd.DataFrame | None, k: int
) -> ChoiceResult:
    texts = pd.Series([], dtype=object) if rows is None else rows["text"].astype(object)
    texts = texts[texts.notna() & (texts != "")].astype(str)
    n = len(texts)
    if n < k:
        hidden = Suppressed(SuppressionReason.BELOW_K, k)
        return ChoiceResult(instrument_id, item.id, item.kind, hidden, hidden)
    if item.kind is ItemKind.MULTIPLE:
        texts = texts.str.split(MULTIPLE_SEPARATOR).explode()
    found = texts.value_counts(sort=False)
    counts = {option.value: int(found.get(option.value, 0)) for option in item.options}
    # values no option declares are still counted, after the options, in sorted order
    counts.update(
        {str(value): int(found[value]) for value in sorted(set(found.index) - set(counts))}
    )
    return ChoiceResult(instrument_id, item.id, item.kind, counts, n)


def score_round(
    framework: Framework,
    instruments: Sequence[Instrument],
    answers: pd.DataFrame,
    respondents: pd.DataFrame | None = None,
    *,
    k: int | None = None,
) -> RoundResult:
    """Score one round: item, element and breakdown statistics with anonymity applied.

    `answers` and `respondents` follow docs FORMAT ("Scoring input"); `k` defaults to the
    framework's min_group_size and may not be below 3. Answer rows for items that are
    not in `instruments` are ignored and counted in `ignored_answers`.
    """
    thresholds = framework.thresholds
    k = resolve_k(thresholds, k)
    k_comments = resolve_comment_k(thresholds, k)
    catalogue = _Catalogue.build(framework, instruments)
    prepared = _prepare(answers, catalogue)
    groupings = _groupings(framework, respondents, prepared.response_ids)
    tables = [_item_table(prepared, catalogue, grouping) for grouping in groupings]
    elements = tuple(
        _element_result(
            spec,
            _respondent_scores(prepared, catalogue, spec, thresholds.min_answered_share),
            catalogue,
            groupings,
            tables,
            k,
        )
        for spec in catalogue.elements
    )
    responses = {
        instrument.id: int(count)
        for instrument, count in zip(
            catalogue.instruments, prepared.presence.sum(axis=0), strict=True
        )
    }
    choices, numbers, comments = _other_results(catalogue, prepared, responses, k, k_comments)
    all_ids = set(prepared.response_ids.tolist())
    if respondents is not None:
        all_ids |= set(respondents["response_id"].tolist())
    return RoundResult(
        framework=framework,
        instruments=catalogue.instruments,
        k=k,
        k_comments=k_comments,
        n_responses=len(all_ids),
        responses_by_instrument=responses,
        items=_item_results(catalogue, tables[0], prepared.dont_know, k),
        elements=elements,
        choices=choices,
        numbers=numbers,
        comments=comments,
        breakdown_groups={grouping.name: grouping.labels for grouping in groupings[1:]},
        ignored_answers=prepared.ignored,
    )


# ------------------------------------------------------------------------ frames

_STAT_COLUMNS = ("n", "mean", "sd", "ci_low", "ci_high", "rwg", "ad", "score_5")


def _stat_columns(stat: StatOrSuppressed) -> dict[str, object]:
    if isinstance(stat, Suppressed):
        row: dict[str, object] = {name: pd.NA for name in _STAT_COLUMNS}
        row.update(band=pd.NA, agreement=pd.NA, suppressed=True, suppressed_reason=str(stat.reason))
        return row
    row = {name: getattr(stat, name) for name in _STAT_COLUMNS}
    row.update(
        band=str(stat.band), agreement=str(stat.agreement), suppressed=False, suppressed_reason=""
    )
    return row


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    """Nullable dtypes so a suppressed value is <NA>, not a float NaN that looks like data."""
    kinds = {"n": "Int64", "dont_know": "Int64"}
    for column in frame.columns:
        if column in kinds or column.startswith("count_"):
            frame[column] = frame[column].astype("Int64")
        elif column in _STAT_COLUMNS:
            frame[column] = frame[column].astype("Float64")
    return frame


def _iter_element_rows(result: RoundResult) -> Iterator[dict[str, object]]:
    for element in result.elements:
        base = {
            "level": str(element.level),
            "element_id": element.id,
            "component": element.component,
            "phase": element.phase,
            "factor": element.factor,
            "instrument_id": element.instrument_id,
            "role": None if element.role is None else str(element.role),
            "points": element.points,
            "n_items": len(element.items),
        }
        yield {**base, "breakdown": ALL, "group": ALL, **_stat_columns(element.overall)}
        for name, groups in element.breakdowns.items():
            for group, stat in groups.items():
                yield {**base, "breakdown": name, "group": group, **_stat_columns(stat)}


def _elements_frame(result: RoundResult) -> pd.DataFrame:
    return _typed(pd.DataFrame(list(_iter_element_rows(result))))


def _items_frame(result: RoundResult) -> pd.DataFrame:
    width = max((item.points for item in result.items), default=0)
    rows = []
    for item in result.items:
        measure = item.measures or Measure()
        row: dict[str, object] = {
            "instrument_id": item.instrument_id,
            "item_id": item.item_id,
            "points": item.points,
            "reverse": item.reverse,
            "weight": item.weight,
            "component": measure.component,
            "phase": measure.phase,
            "factor": measure.factor,
            **_stat_columns(item.stat),
        }
        shown = isinstance(item.stat, ItemStat)
        for value in range(1, width + 1):
            count = item.stat.distribution[value - 1] if shown and value <= item.points else pd.NA
            row[f"count_{value}"] = count
        row["dont_know"] = item.stat.dont_know if shown else pd.NA
        rows.append(row)
    return _typed(pd.DataFrame(rows))


def _choices_frame(result: RoundResult) -> pd.DataFrame:
    rows = []
    for choice in result.choices:
        base = {"instrument_id": choice.instrument_id, "item_id": choice.item_id}
        if isinstance(choice.counts, Suppressed):
            rows.append(
                {
                    **base,
                    "option": pd.NA,
                    "count": pd.NA,
                    "suppressed": True,
                    "suppressed_reason": str(choice.counts.reason),
                }
            )
            continue
        for option, count in choice.counts.items():
            rows.append(
                {
                    **base,
                    "option": option,
                    "count": count,
                    "suppressed": False,
                    "suppressed_reason": "",
                }
            )
    frame = pd.DataFrame(
        rows,
        columns=["instrument_id", "item_id", "option", "count", "suppressed", "suppressed_reason"],
    )
    frame["count"] = frame["count"].astype("Int64")
    return frame


def _numbers_frame(result: RoundResult) -> pd.DataFrame:
    rows = []
    for number in result.numbers:
        base: dict[str, object] = {"instrument_id": number.instrument_id, "item_id": number.item_id}
        if isinstance(number.summary, Suppressed):
            base.update(
                n=pd.NA,
                mean=pd.NA,
                sd=pd.NA,
                ci_low=pd.NA,
                ci_high=pd.NA,
                suppressed=True,
                suppressed_reason=str(number.summary.reason),
            )
        else:
            base.update(number.summary.__dict__, suppressed=False, suppressed_reason="")
        rows.append(base)
    columns = [
        "instrument_id",
        "item_id",
        "n",
        "mean",
        "sd",
        "ci_low",
        "ci_high",
        "suppressed",
        "suppressed_reason",
    ]
    return _typed(pd.DataFrame(rows, columns=columns))


def _comments_frame(result: RoundResult) -> pd.DataFrame:
    rows = []
    for comment in result.comments:
        base = {"instrument_id": comment.instrument_id, "item_id": comment.item_id}
        if isinstance(comment.comments, Suppressed):
            rows.append(
                {
                    **base,
                    "text": pd.NA,
                    "suppressed": True,
                    "suppressed_reason": str(comment.comments.reason),
                }
            )
            continue
        rows.extend(
            {**base, "text": text, "suppressed": False, "suppressed_reason": ""}
            for text in comment.comments
        )
    return pd.DataFrame(
        rows, columns=["instrument_id", "item_id", "text", "suppressed", "suppressed_reason"]
    )
