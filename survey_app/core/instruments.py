"""Immutable model of the framework and the instruments, as read from their data files.

Nothing here reads files: the loader turns YAML text into these objects and the
application decides where the text comes from.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import TypeVar

DEFAULT_LANGUAGE = "da"

_Key = TypeVar("_Key")
_Value = TypeVar("_Value")


class FrozenMapping(Mapping[_Key, _Value]):
    """A read-only mapping that compares and hashes by its content.

    Frozen dataclasses holding one get their generated __eq__ and __hash__ right, which
    a MappingProxyType (unhashable) would not allow.
    """

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[_Key, _Value]) -> None:
        self._data = dict(data)

    def __getitem__(self, key: _Key) -> _Value:
        return self._data[key]

    def __iter__(self) -> Iterator[_Key]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    # Direct, as the abstract Mapping versions go through __getitem__ and an exception.
    def __contains__(self, key: object) -> bool:
        return key in self._data

    def get(self, key: _Key, default: _Value | None = None) -> _Value | None:  # type: ignore[override]
        """The value of `key`, or `default`."""
        return self._data.get(key, default)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mapping):
            return self._data == dict(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(frozenset(self._data.items()))

    def __repr__(self) -> str:
        return f"FrozenMapping({self._data!r})"


class ItemKind(StrEnum):
    """What kind of answer an item asks for."""

    SCALE = "scale"
    SINGLE = "single"
    MULTIPLE = "multiple"
    COMMENT = "comment"
    NUMBER = "number"


class FactorRole(StrEnum):
    """How the profile uses a named factor or area."""

    PRECONDITION = "precondition"
    CONSENSUS = "consensus"
    ENGAGEMENT = "engagement"
    COLLABORATION = "collaboration"
    RESOURCE = "resource"


@dataclass(frozen=True)
class Text:
    """A text in several languages; falls back to Danish, then to any language."""

    by_language: Mapping[str, str]

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_language", FrozenMapping(self.by_language))

    def get(self, language: str) -> str:
        """Return the text in `language`, or the best available fallback."""
        if language in self.by_language:
            return self.by_language[language]
        if DEFAULT_LANGUAGE in self.by_language:
            return self.by_language[DEFAULT_LANGUAGE]
        return next(iter(self.by_language.values()), "")


@dataclass(frozen=True)
class Scale:
    """A response scale with `points` ordered answers, 1 = lowest."""

    id: str
    points: int
    labels: Mapping[str, tuple[str, ...]]
    dont_know: Text | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "labels", FrozenMapping(self.labels))

    def label(self, value: int, language: str) -> str:
        """Label of answer `value` (1-based) in `language`."""
        labels = self.labels.get(language) or self.labels.get(DEFAULT_LANGUAGE)
        if labels is None:
            labels = next(iter(self.labels.values()))
        return labels[value - 1]

    @property
    def null_variance(self) -> float:
        """Variance of a uniform answer distribution, sigma^2_EU = (A^2 - 1) / 12."""
        return (self.points**2 - 1) / 12


@dataclass(frozen=True)
class Option:
    """One choice of a single- or multiple-choice item."""

    value: str
    label: Text


@dataclass(frozen=True)
class Measure:
    """What a scale item measures: a component x phase cell or a named factor."""

    component: str | None = None
    phase: str | None = None
    factor: str | None = None


@dataclass(frozen=True)
class Item:
    """One question of an instrument."""

    id: str
    kind: ItemKind
    text: Text
    help: Text | None = None
    scale: str | None = None
    measures: Measure | None = None
    reverse: bool = False
    weight: float = 1.0
    options: tuple[Option, ...] = ()
    minimum: float | None = None
    maximum: float | None = None

    @property
    def is_scored(self) -> bool:
        """True for a scale item that feeds a score."""
        return self.kind is ItemKind.SCALE


@dataclass(frozen=True)
class Section:
    """One page of an instrument."""

    id: str
    title: Text
    items: tuple[Item, ...]
    intro: Text | None = None


@dataclass(frozen=True)
class Factor:
    """A named factor or area that items measure, with the role the profile gives it."""

    id: str
    role: FactorRole
    name: Text
    description: Text | None = None


@dataclass(frozen=True)
class Target:
    """What a recommendation is attached to: an item, a factor, or a cell."""

    item: str | None = None
    factor: str | None = None
    component: str | None = None
    phase: str | None = None


@dataclass(frozen=True)
class Recommendation:
    """A next step to suggest when its target is weak."""

    id: str
    target: Target
    text: Text


@dataclass(frozen=True)
class Instrument:
    """A versioned questionnaire."""

    id: str
    version: int
    languages: tuple[str, ...]
    title: Text
    description: Text
    intro: Text
    minutes: int
    scales: Mapping[str, Scale]
    factors: tuple[Factor, ...]
    sections: tuple[Section, ...]
    recommendations: tuple[Recommendation, ...] = ()
    content_hash: str = ""
    source: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "scales", MappingProxyType(dict(self.scales)))

    def __hash__(self) -> int:
        return hash((self.id, self.version, self.content_hash))

    def items(self) -> Iterator[Item]:
        """Every item, section by section."""
        for section in self.sections:
            yield from section.items

    def item(self, item_id: str) -> Item:
        """The item with id `item_id` (KeyError if none)."""
        for item in self.items():
            if item.id == item_id:
                return item
        raise KeyError(item_id)

    def scored_items(self) -> tuple[Item, ...]:
        """The scale items, which feed scores."""
        return tuple(item for item in self.items() if item.is_scored)

    def factor(self, factor_id: str) -> Factor:
        """The factor with id `factor_id` (KeyError if none)."""
        for factor in self.factors:
            if factor.id == factor_id:
                return factor
        raise KeyError(factor_id)

    def scale_of(self, item: Item) -> Scale:
        """The scale a scale item answers on."""
        if item.scale is None:
            raise ValueError(f"item {item.id} has no scale")
        return self.scales[item.scale]


@dataclass(frozen=True)
class Component:
    """A success component present in every phase."""

    id: str
    name: Text
    description: Text


@dataclass(frozen=True)
class Phase:
    """A phase of the initiative; `number` orders them from 1."""

    id: str
    number: int
    name: Text
    description: Text
    questions: tuple[Text, ...]


@dataclass(frozen=True)
class Cell:
    """A component x phase cell with the activity that fits it."""

    component: str
    phase: str
    activity: Text


@dataclass(frozen=True)
class Thresholds:
    """Every threshold the scoring uses; data, never constants in code.

    Bands are in the units of a 5-point scale; scores on other scales are mapped
    linearly onto 1..5 before banding.
    """

    strength: float
    discuss: float
    milestone_met: float
    rwg_acceptable: float
    ad_acceptable_share: float
    min_group_size: int
    min_group_size_comments: int
    min_answered_share: float


@dataclass(frozen=True)
class BackgroundQuestion:
    """An optional question about the respondent, used for breakdowns."""

    id: str
    text: Text
    options: tuple[Option, ...]


@dataclass(frozen=True)
class Framework:
    """The collective impact model: components, phases, cells, thresholds, background."""

    id: str
    version: int
    languages: tuple[str, ...]
    components: tuple[Component, ...]
    phases: tuple[Phase, ...]
    cells: tuple[Cell, ...]
    thresholds: Thresholds
    background: tuple[BackgroundQuestion, ...]
    content_hash: str = ""
    source: str = field(default="", compare=False)

    def __hash__(self) -> int:
        return hash((self.id, self.version, self.content_hash))

    def component(self, component_id: str) -> Component:
        """The component with id `component_id` (KeyError if none)."""
        for component in self.components:
            if component.id == component_id:
                return component
        raise KeyError(component_id)

    def phase(self, phase_id: str) -> Phase:
        """The phase with id `phase_id` (KeyError if none)."""
        for phase in self.phases:
            if phase.id == phase_id:
                return phase
        raise KeyError(phase_id)

    def cell(self, component_id: str, phase_id: str) -> Cell:
        """The cell of a component in a phase (KeyError if none)."""
        for cell in self.cells:
            if (cell.component, cell.phase) == (component_id, phase_id):
                return cell
        raise KeyError((component_id, phase_id))

    def ordered_phases(self) -> tuple[Phase, ...]:
        """Phases in their order, phase 1 first."""
        return tuple(sorted(self.phases, key=lambda phase: phase.number))
