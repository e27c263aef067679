"""Small builders for test frameworks, instruments and answer frames (no YAML, no files)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

import pandas as pd

from survey_app.core.instruments import (
    BackgroundQuestion,
    Cell,
    Component,
    Factor,
    FactorRole,
    Framework,
    Instrument,
    Item,
    ItemKind,
    Measure,
    Option,
    Phase,
    Recommendation,
    Scale,
    Section,
    Target,
    Text,
    Thresholds,
)

COMPONENTS = ("governance", "strategy", "community", "evaluation")
PHASES = ("readiness", "initiate", "organise", "sustain")
SECTORS = ("public", "private", "civil_society", "citizen", "other")
ROLES = ("steering_group", "working_group", "partner", "backbone")
DK = "dk"  # marks a "don't know" answer in the helpers below


def text(da: str, en: str | None = None) -> Text:
    """A two-language text; English defaults to '<da> (en)'."""
    return Text({"da": da, "en": en if en is not None else f"{da} (en)"})


def thresholds(**overrides: float) -> Thresholds:
    """The thresholds of FORMAT.md, with overrides."""
    values: dict[str, float] = {
        "strength": 4.0,
        "discuss": 3.0,
        "milestone_met": 3.5,
        "rwg_acceptable": 0.70,
        "ad_acceptable_share": 0.1667,
        "min_group_size": 5,
        "min_group_size_comments": 5,
        "min_answered_share": 0.6,
    }
    values.update(overrides)
    return Thresholds(**values)  # type: ignore[arg-type]


def framework(limits: Thresholds | None = None) -> Framework:
    """The four components, four phases, sixteen cells and the sector/role questions."""
    return Framework(
        id="collective-impact",
        version=1,
        languages=("da", "en"),
        components=tuple(
            Component(c, text(f"Komponent {c}", f"Component {c}"), text(c)) for c in COMPONENTS
        ),
        phases=tuple(
            Phase(p, n, text(f"Fase {p}", f"Phase {p}"), text(p), (text(f"Spørgsmål {p}"),))
            for n, p in enumerate(PHASES, start=1)
        ),
        cells=tuple(
            Cell(c, p, text(f"Aktivitet {c} {p}", f"Activity {c} {p}"))
            for c in COMPONENTS
            for p in PHASES
        ),
        thresholds=limits or thresholds(),
        background=(
            BackgroundQuestion(
                "sector", text("Sektor"), tuple(Option(v, text(v)) for v in SECTORS)
            ),
            BackgroundQuestion("role", text("Rolle"), tuple(Option(v, text(v)) for v in ROLES)),
        ),
    )


def scale(scale_id: str = "agree5", points: int = 5, dont_know: bool = True) -> Scale:
    """An agreement scale with numbered labels."""
    labels = {
        "da": tuple(f"{n} da" for n in range(1, points + 1)),
        "en": tuple(f"{n} en" for n in range(1, points + 1)),
    }
    return Scale(scale_id, points, labels, text("Ved ikke", "Don't know") if dont_know else None)


def item(
    item_id: str,
    *,
    component: str | None = None,
    phase: str | None = None,
    factor: str | None = None,
    reverse: bool = False,
    weight: float = 1.0,
    scale_id: str = "agree5",
    kind: ItemKind = ItemKind.SCALE,
    wording: str | None = None,
    options: Sequence[str] = (),
) -> Item:
    """A scale item measuring a cell/component/phase or a factor (or another kind of item)."""
    measured = component is not None or phase is not None or factor is not None
    return Item(
        id=item_id,
        kind=kind,
        text=text(wording or f"Udsagn {item_id}"),
        scale=scale_id if kind is ItemKind.SCALE else None,
        measures=Measure(component, phase, factor) if measured else None,
        reverse=reverse,
        weight=weight,
        options=tuple(Option(v, text(v)) for v in options),
    )


def cell_items(component: str, phase: str, count: int = 2) -> list[Item]:
    """`count` items measuring one cell, ids like governance_readiness_1."""
    return [
        item(f"{component}_{phase}_{n}", component=component, phase=phase)
        for n in range(1, count + 1)
    ]


def instrument(
    instrument_id: str,
    items: Iterable[Item],
    *,
    factors: Iterable[tuple[str, FactorRole]] = (),
    recommendations: Iterable[Recommendation] = (),
    scales: Iterable[Scale] | None = None,
    version: int = 1,
) -> Instrument:
    """An instrument with one section holding `items`."""
    all_scales = tuple(scales) if scales is not None else (scale(),)
    return Instrument(
        id=instrument_id,
        version=version,
        languages=("da", "en"),
        title=text(f"Titel {instrument_id}"),
        description=text("Beskrivelse"),
        intro=text("Intro {k}"),
        minutes=5,
        scales={s.id: s for s in all_scales},
        factors=tuple(Factor(f, role, text(f"Faktor {f}", f"Factor {f}")) for f, role in factors),
        sections=(Section("main", text("Sektion"), tuple(items)),),
        recommendations=tuple(recommendations),
        content_hash=f"{instrument_id}-v{version}",
    )


def recommendation(rec_id: str, **target: str) -> Recommendation:
    """A recommendation with a target given as item=, factor= or component= and phase=."""
    return Recommendation(rec_id, Target(**target), text(f"Anbefaling {rec_id}", f"Do {rec_id}"))


def with_item(base: Instrument, old_id: str, new: Item) -> Instrument:
    """`base` with item `old_id` replaced by `new` (for comparison tests)."""
    sections = tuple(
        replace(s, items=tuple(new if i.id == old_id else i for i in s.items))
        for s in base.sections
    )
    return replace(base, sections=sections, version=base.version + 1)


Answer = float | int | str | None


def answers(
    instrument_id: str,
    item_ids: Sequence[str],
    rows: Sequence[Sequence[Answer]],
    *,
    prefix: str = "r",
) -> pd.DataFrame:
    """Long answers frame from a respondents × items table; None = skipped, DK = don't know."""
    records = []
    for n, row in enumerate(rows):
        for item_id, value in zip(item_ids, row, strict=True):
            if value is None:
                continue
            is_dk = value == DK
            records.append(
                {
                    "response_id": f"{prefix}{n}",
                    "instrument_id": instrument_id,
                    "item_id": item_id,
                    "value": math.nan if is_dk else float(value),  # type: ignore[arg-type]
                    "dont_know": is_dk,
                    "text": None,
                }
            )
    return answers_frame(records)


def answers_frame(records: Sequence[Mapping[str, object]]) -> pd.DataFrame:
    """An answers frame with the FORMAT.md columns and dtypes."""
    frame = pd.DataFrame(
        list(records),
        columns=["response_id", "instrument_id", "item_id", "value", "dont_know", "text"],
    )
    frame["value"] = frame["value"].astype(float)
    frame["dont_know"] = frame["dont_know"].astype(bool)
    return frame


def respondents(background: Mapping[str, tuple[str | None, str | None]]) -> pd.DataFrame:
    """Respondents frame from {response_id: (sector, role)}."""
    return pd.DataFrame(
        [
            {"response_id": rid, "sector": sector, "role": role}
            for rid, (sector, role) in background.items()
        ],
        columns=["response_id", "sector", "role"],
    )


PRECONDITIONS = ("urgency", "trust")
FULL_FACTORS: tuple[tuple[str, FactorRole], ...] = (
    ("urgency", FactorRole.PRECONDITION),
    ("trust", FactorRole.PRECONDITION),
    ("consensus", FactorRole.CONSENSUS),
    ("engagement", FactorRole.ENGAGEMENT),
    ("money", FactorRole.RESOURCE),
    ("teamwork", FactorRole.COLLABORATION),
)


def full_instrument(
    recommendations: Iterable[Recommendation] = (), per_cell: int = 2, per_factor: int = 2
) -> Instrument:
    """A readiness instrument: `per_cell` items on each of the 16 cells and 2 per factor."""
    items = [entry for c in COMPONENTS for p in PHASES for entry in cell_items(c, p, per_cell)]
    items += [
        item(f"{factor}_{n}", factor=factor)
        for factor, _ in FULL_FACTORS
        for n in range(1, per_factor + 1)
    ]
    return instrument("readiness", items, factors=FULL_FACTORS, recommendations=recommendations)


def fill(
    target: Instrument,
    n: int,
    default: Answer = 4,
    overrides: Mapping[str, Sequence[Answer]] | None = None,
) -> pd.DataFrame:
    """Answers of n respondents: every scale item `default`, except per-item `overrides`.

    An override key may be an item id or a prefix ending in "*" (e.g. "governance_*").
    """
    overrides = overrides or {}
    ids = [i.id for i in target.scored_items()]
    columns = []
    for item_id in ids:
        chosen: Sequence[Answer] = [default] * n
        for key, values in overrides.items():
            if key == item_id or (key.endswith("*") and item_id.startswith(key[:-1])):
                chosen = values
        if len(chosen) != n:
            raise ValueError(f"override for {item_id} needs {n} answers")
        columns.append(chosen)
    rows = [[column[r] for column in columns] for r in range(n)]
    return answers(target.id, ids, rows)
