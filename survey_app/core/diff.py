"""Differences between two versions of an instrument, by the comparison's own rule.

Every item is classified with `comparison.comparable`, so an item the diff calls changed
is exactly an item the round comparison leaves out, and an unchanged item is compared.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from survey_app.core.comparison import Reason, comparable
from survey_app.core.instruments import Instrument, Item, Scale


class ChangeKind(StrEnum):
    """What happened to an item between two versions."""

    ADDED = "added"
    REMOVED = "removed"
    REWORDED = "reworded"
    RESCALED = "rescaled"
    MOVED = "moved"
    REKEYED = "rekeyed"
    RETYPED = "retyped"


_KIND_OF_REASON = {
    Reason.TEXT: ChangeKind.REWORDED,
    Reason.SCALE_POINTS: ChangeKind.RESCALED,
    Reason.SCALE_LABELS: ChangeKind.RESCALED,
    Reason.DONT_KNOW: ChangeKind.RESCALED,
    Reason.MEASURE: ChangeKind.MOVED,
    Reason.REVERSE: ChangeKind.REKEYED,
    Reason.KIND: ChangeKind.RETYPED,
}


@dataclass(frozen=True)
class ItemDiff:
    """One item in both versions (None where it does not exist) and how it changed."""

    item_id: str
    before: Item | None
    after: Item | None
    changes: tuple[ChangeKind, ...]
    reasons: tuple[Reason, ...]

    @property
    def changed(self) -> bool:
        """True when the item is not the same in both versions."""
        return bool(self.changes)


@dataclass(frozen=True)
class InstrumentDiff:
    """All items of two versions of one instrument, in the newer version's order."""

    instrument_id: str
    version_a: int
    version_b: int
    items: tuple[ItemDiff, ...]

    @property
    def changed(self) -> tuple[ItemDiff, ...]:
        """Every item that is not the same in both versions."""
        return tuple(item for item in self.items if item.changed)


def _scale(instrument: Instrument, item: Item) -> Scale | None:
    return instrument.scales.get(item.scale) if item.scale else None


def _item_diff(a: Instrument, item_a: Item, b: Instrument, item_b: Item) -> ItemDiff:
    reasons = comparable(item_a, _scale(a, item_a), item_b, _scale(b, item_b)).reasons
    if not (item_a.is_scored and item_b.is_scored) and item_a.kind is item_b.kind:
        # Non-scale items of the same kind are never scored, so the comparison rule marks
        # them KIND; for the diff only a real change of kind counts.
        reasons = tuple(reason for reason in reasons if reason is not Reason.KIND)
    changes = tuple(dict.fromkeys(_KIND_OF_REASON[r] for r in reasons if r in _KIND_OF_REASON))
    return ItemDiff(item_a.id, item_a, item_b, changes, reasons)


def diff_instruments(a: Instrument, b: Instrument) -> InstrumentDiff:
    """Classify every item of two versions: added, removed, reworded, rescaled, moved, ..."""
    if a.id != b.id:
        raise ValueError("only versions of the same instrument can be compared")
    before = {item.id: item for item in a.items()}
    after = {item.id: item for item in b.items()}
    diffs = []
    for item_id, item_b in after.items():
        item_a = before.get(item_id)
        if item_a is None:
            diffs.append(
                ItemDiff(item_id, None, item_b, (ChangeKind.ADDED,), (Reason.ONLY_IN_LATER,))
            )
        else:
            diffs.append(_item_diff(a, item_a, b, item_b))
    diffs.extend(
        ItemDiff(item_id, item_a, None, (ChangeKind.REMOVED,), (Reason.ONLY_IN_EARLIER,))
        for item_id, item_a in before.items()
        if item_id not in after
    )
    return InstrumentDiff(a.id, a.version, b.version, tuple(diffs))
