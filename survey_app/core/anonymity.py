"""Anonymity rules every output applies: minimum group sizes and complementary suppression.

A hidden value is a `Suppressed` object, never a number (not even NaN or 0), so a
template or an export has to decide explicitly how to show it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from survey_app.core.instruments import Thresholds

# The floor used by Qualtrics, Culture Amp, Glint and Lattice; below it a statistic
# describes one or two identifiable people.
K_FLOOR = 3

T = TypeVar("T")


class SuppressionReason(StrEnum):
    """Why a value is hidden."""

    BELOW_K = "below_k"  # the group has fewer than k respondents
    COMPLEMENTARY = "complementary"  # hidden so a small group cannot be found by subtraction


@dataclass(frozen=True)
class Suppressed:
    """Stands in for a hidden statistic; `n_needed` is the minimum group size k in force.

    The group's own n is deliberately not stored: "2 of 5" already says too much.
    """

    reason: SuppressionReason
    n_needed: int


def check_k(k: int) -> int:
    """Return k if it is a valid minimum group size; raise ValueError below the floor of 3."""
    if isinstance(k, bool) or not isinstance(k, int):
        raise TypeError(f"k must be an int, got {k!r}")
    if k < K_FLOOR:
        raise ValueError(f"minimum group size k={k} is below the floor of {K_FLOOR}")
    return k


def resolve_k(thresholds: Thresholds, k: int | None = None) -> int:
    """k for scores: the explicit k, else the framework's min_group_size; never below 3."""
    return check_k(thresholds.min_group_size if k is None else k)


def resolve_comment_k(thresholds: Thresholds, k: int) -> int:
    """k for free-text comments: never lower than the k for scores."""
    return check_k(max(k, thresholds.min_group_size_comments))


def reportable(n: int, k: int) -> bool:
    """True when a group of n respondents may be shown with minimum group size k."""
    return n >= check_k(k)


def gate(value: T, n: int, k: int) -> T | Suppressed:
    """`value` when n >= k, else Suppressed(BELOW_K)."""
    return value if reportable(n, k) else Suppressed(SuppressionReason.BELOW_K, k)


def suppress_breakdown(counts: Mapping[str, int], k: int) -> dict[str, SuppressionReason | None]:
    """Which groups of one breakdown (e.g. by sector) to hide, and why.

    Every group with n < k is hidden. The groups of a breakdown add up to the total,
    which is shown, so the hidden groups together are recoverable by subtraction
    (total minus the shown groups). Hence, while the hidden groups with respondents
    hold fewer than k respondents together, the smallest shown group with respondents
    is hidden too (ties broken by group key). With one hidden group this always hides
    a second one (Glint's "next smallest group" rule); it never leaves a recoverable
    remainder of 1..k-1 respondents. Groups without respondents never serve as the
    complement, since hiding them protects nobody.
    """
    check_k(k)
    result: dict[str, SuppressionReason | None] = {
        group: (SuppressionReason.BELOW_K if n < k else None) for group, n in counts.items()
    }
    hidden_total = sum(n for group, n in counts.items() if result[group] is not None)
    shown = sorted(
        ((n, group) for group, n in counts.items() if result[group] is None and n > 0),
    )
    for n, group in shown:
        if hidden_total == 0 or hidden_total >= k:
            break
        result[group] = SuppressionReason.COMPLEMENTARY
        hidden_total += n
    return result


def apply_breakdown(
    values: Mapping[str, T], counts: Mapping[str, int], k: int
) -> dict[str, T | Suppressed]:
    """Replace each value of a breakdown by Suppressed where `suppress_breakdown` says so."""
    reasons = suppress_breakdown(counts, k)
    return {
        group: values[group] if reasons[group] is None else Suppressed(reasons[group], k)
        for group in counts
    }


def visible_comments(
    texts: Iterable[str | None], n_responses: int, k_comments: int
) -> tuple[str, ...] | Suppressed:
    """Non-empty comments, sorted, when the responding group has at least k_comments people.

    Sorting (instead of keeping submission order) prevents re-linking a comment to a
    response through its position.
    """
    if not reportable(n_responses, k_comments):
        return Suppressed(SuppressionReason.BELOW_K, k_comments)
    cleaned: Sequence[str] = [text.strip() for text in texts if text and text.strip()]
    return tuple(sorted(cleaned))
