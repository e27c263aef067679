"""Turn an Analysis into plain rows for templates (dashboard and report share these).

Nothing here computes a statistic: every number comes from the core's result objects,
so the dashboard, the report, the PDF and the exports show the same figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from survey_app.core.analysis import Analysis
from survey_app.core.anonymity import Suppressed
from survey_app.core.highlights import Highlight
from survey_app.core.instruments import FactorRole, ItemKind
from survey_app.core.messages import format_number
from survey_app.core.scoring import ElementResult, ItemStat, Level, RoundResult, Stat

BREAKDOWNS = ("sector", "role")


@dataclass(frozen=True)
class Figure:
    """A statistic ready to print, or the reason it is hidden."""

    n: int | None
    mean: str
    ci: str
    band: str | None
    agreement: str | None
    rwg: str
    ad: str
    score_5: float | None = None
    hidden: bool = False


def figure(value: Stat | Suppressed | None, language: str) -> Figure:
    """Format a statistic (or its suppression) in `language`."""
    if not isinstance(value, Stat):
        return Figure(None, "", "", None, None, "", "", None, hidden=isinstance(value, Suppressed))
    return Figure(
        n=value.n,
        mean=format_number(value.mean, language),
        ci=f"{format_number(value.ci_low, language)}–{format_number(value.ci_high, language)}",
        band=str(value.band),
        agreement=str(value.agreement),
        rwg=format_number(value.rwg, language),
        ad=format_number(value.ad, language),
        score_5=value.score_5,
    )


@dataclass(frozen=True)
class HeatCell:
    """One component x phase cell of the profile."""

    phase_number: int
    name: str
    figure: Figure
    status: str
    is_current: bool


@dataclass(frozen=True)
class HeatRow:
    """A component with its cells in phase order and its current phase."""

    component: str
    name: str
    phase: int
    phase_name: str
    cells: list[HeatCell]


def heatmap(analysis: Analysis, language: str) -> list[HeatRow]:
    """The component x phase profile as rows."""
    result, profile = analysis.result, analysis.profile
    framework = result.framework
    rows = []
    for component in profile.components:
        cells = [
            HeatCell(
                phase_number=check.phase_number,
                name=framework.phase(check.phase).name.get(language),
                figure=figure(_cell_overall(result, check.component, check.phase), language),
                status=str(check.status),
                is_current=check is component.holding,
            )
            for check in component.cells
        ]
        rows.append(
            HeatRow(
                component=component.component,
                name=framework.component(component.component).name.get(language),
                phase=component.phase,
                phase_name=framework.phase(component.phase_id).name.get(language),
                cells=cells,
            )
        )
    return rows


def _cell_overall(result: RoundResult, component: str, phase: str) -> Stat | Suppressed | None:
    element = result.cell(component, phase)
    return element.overall if element is not None else None


@dataclass(frozen=True)
class ElementRow:
    """A factor, component or cell with its figures and, if asked, its breakdowns."""

    id: str
    name: str
    figure: Figure
    breakdowns: dict[str, list[tuple[str, Figure]]] = field(default_factory=dict)


def element_rows(
    result: RoundResult, elements: tuple[ElementResult, ...], language: str
) -> list[ElementRow]:
    """Rows of elements with their sector and role breakdowns."""
    rows = []
    for element in elements:
        breakdowns = {
            name: [
                (group, figure(value, language))
                for group, value in element.breakdowns.get(name, {}).items()
            ]
            for name in BREAKDOWNS
            if name in element.breakdowns
        }
        rows.append(
            ElementRow(
                id=element.id,
                name=result.element_name(element).get(language),
                figure=figure(element.overall, language),
                breakdowns=breakdowns,
            )
        )
    return rows


def factor_rows(analysis: Analysis, role: FactorRole, language: str) -> list[ElementRow]:
    """Factors of one role (preconditions, consensus, resources, ...)."""
    return element_rows(analysis.result, analysis.result.factors(role), language)


@dataclass(frozen=True)
class ItemRow:
    """A scale item with its answer distribution (raw answers 1..A) and figures."""

    instrument_id: str
    id: str
    text: str
    reverse: bool
    figure: Figure
    labels: list[str]
    distribution: list[int]
    dont_know: int
    total: int


def item_rows(result: RoundResult, language: str) -> list[ItemRow]:
    """Every scale item, instrument by instrument, with its distribution when shown."""
    rows = []
    for item in result.items:
        instrument = result.instrument(item.instrument_id)
        definition = instrument.item(item.item_id)
        scale = instrument.scale_of(definition)
        labels = [scale.label(point, language) for point in range(1, scale.points + 1)]
        stat = item.stat
        distribution = list(stat.distribution) if isinstance(stat, ItemStat) else []
        dont_know = stat.dont_know if isinstance(stat, ItemStat) else 0
        rows.append(
            ItemRow(
                instrument_id=item.instrument_id,
                id=item.item_id,
                text=definition.text.get(language),
                reverse=item.reverse,
                figure=figure(stat, language),
                labels=labels,
                distribution=distribution,
                dont_know=dont_know,
                total=sum(distribution) + dont_know,
            )
        )
    return rows


@dataclass(frozen=True)
class CommentBlock:
    """Comments of one free-text item, or the fact that they are hidden."""

    instrument: str
    question: str
    comments: list[str]
    hidden: bool


def comment_blocks(result: RoundResult, language: str) -> list[CommentBlock]:
    """Free-text comments per item; hidden below the comment threshold."""
    blocks = []
    for comment in result.comments:
        instrument = result.instrument(comment.instrument_id)
        item = instrument.item(comment.item_id)
        if item.kind is not ItemKind.COMMENT:
            continue
        hidden = isinstance(comment.comments, Suppressed)
        blocks.append(
            CommentBlock(
                instrument=instrument.title.get(language),
                question=item.text.get(language),
                comments=[] if hidden else list(comment.comments),  # type: ignore[arg-type]
                hidden=hidden,
            )
        )
    return blocks


def components(analysis: Analysis, language: str) -> list[ElementRow]:
    """The four components overall, with breakdowns."""
    return element_rows(analysis.result, analysis.result.elements_at(Level.COMPONENT), language)


@dataclass(frozen=True)
class Dashboard:
    """Everything the dashboard and the report show, formatted in one language."""

    analysis: Analysis
    n_responses: int
    k: int
    enough: bool
    phase: int
    phase_name: str
    provisional: bool
    explanation: list[str]
    next_status: str
    next_target: int | None
    next_name: str
    next_blockers: list[str]
    seed_status: str
    seed_blockers: list[str]
    heatmap: list[HeatRow]
    phase_names: list[str]
    components: list[ElementRow]
    preconditions: list[ElementRow]
    consensus: list[ElementRow]
    collaboration: list[ElementRow]
    resources: list[ElementRow]
    items: list[ItemRow]
    comments: list[CommentBlock]
    steps: list[tuple[int, str, str, str]]  # rank, kind, action, reason
    strengths: list[tuple[str, Figure]]
    weaknesses: list[tuple[str, Figure]]
    divided: list[tuple[str, Figure]]


def dashboard(analysis: Analysis, language: str) -> Dashboard:
    """Format an analysis for the dashboard (and the report) in `language`."""
    result, profile = analysis.result, analysis.profile
    phase = result.framework.phase(profile.phase_id)
    return Dashboard(
        analysis=analysis,
        n_responses=result.n_responses,
        k=result.k,
        enough=result.n_responses >= result.k,
        phase=profile.phase,
        phase_name=phase.name.get(language),
        provisional=profile.provisional,
        explanation=[message.text(language) for message in profile.explanation],
        next_status=str(profile.next_phase.status),
        next_target=profile.next_phase.target,
        next_name=(
            result.framework.ordered_phases()[profile.next_phase.target - 1].name.get(language)
            if profile.next_phase.target
            else ""
        ),
        next_blockers=[blocker.reason.text(language) for blocker in profile.next_phase.blockers],
        seed_status=str(profile.consensus_engagement.status),
        seed_blockers=[
            check.reason.text(language) for check in profile.consensus_engagement.blocking
        ],
        heatmap=heatmap(analysis, language),
        phase_names=[
            f"{phase.number}. {phase.name.get(language)}"
            for phase in result.framework.ordered_phases()
        ],
        components=components(analysis, language),
        preconditions=factor_rows(analysis, FactorRole.PRECONDITION, language),
        consensus=[
            *factor_rows(analysis, FactorRole.CONSENSUS, language),
            *factor_rows(analysis, FactorRole.ENGAGEMENT, language),
        ],
        collaboration=factor_rows(analysis, FactorRole.COLLABORATION, language),
        resources=factor_rows(analysis, FactorRole.RESOURCE, language),
        items=item_rows(result, language),
        comments=comment_blocks(result, language),
        steps=[
            (step.rank, str(step.kind), step.text(language), step.reason_text(language))
            for step in analysis.steps
        ],
        strengths=_highlighted(analysis.highlights.factors.strengths, language),
        weaknesses=_highlighted(analysis.highlights.factors.weaknesses, language),
        divided=_highlighted(
            analysis.highlights.factors.divided + analysis.highlights.items.divided, language
        ),
    )


def _highlighted(highlights: tuple[Highlight, ...], language: str) -> list[tuple[str, Figure]]:
    return [
        (highlight.name.get(language), figure(highlight.stat, language)) for highlight in highlights
    ]
