"""Minimum group sizes and complementary suppression."""

from __future__ import annotations

import pytest

from survey_app.core.anonymity import (
    Suppressed,
    SuppressionReason,
    apply_breakdown,
    check_k,
    gate,
    resolve_comment_k,
    resolve_k,
    suppress_breakdown,
    visible_comments,
)
from tests.core.factories import thresholds

BELOW = SuppressionReason.BELOW_K
COMPLEMENT = SuppressionReason.COMPLEMENTARY


def test_k_floor_is_three() -> None:
    assert check_k(3) == 3
    with pytest.raises(ValueError):
        check_k(2)
    with pytest.raises(TypeError):
        check_k(True)
    assert resolve_k(thresholds(min_group_size=5)) == 5
    assert resolve_k(thresholds(min_group_size=5), 4) == 4
    with pytest.raises(ValueError):
        resolve_k(thresholds(min_group_size=2))


def test_comment_k_is_its_own_and_never_lower() -> None:
    assert resolve_comment_k(thresholds(min_group_size_comments=8), 5) == 8
    assert resolve_comment_k(thresholds(min_group_size_comments=5), 6) == 6


def test_gate() -> None:
    assert gate(3.2, 5, 5) == 3.2
    assert gate(3.2, 4, 5) == Suppressed(BELOW, 5)


def test_no_suppression_when_every_group_meets_k() -> None:
    assert suppress_breakdown({"a": 5, "b": 7}, 5) == {"a": None, "b": None}


def test_single_small_group_takes_the_next_smallest_with_it() -> None:
    # c alone would be total - a - b; hiding b as well leaves b + c = 8 >= 5 recoverable
    reasons = suppress_breakdown({"a": 9, "b": 6, "c": 2}, 5)
    assert reasons == {"a": None, "b": COMPLEMENT, "c": BELOW}


def test_two_small_groups_below_k_together_take_a_third() -> None:
    # b + c = 1 + 2 = 3 < 5 could be recovered as one group of 3 -> hide d (smallest shown)
    reasons = suppress_breakdown({"a": 9, "b": 1, "c": 2, "d": 6}, 5)
    assert reasons == {"a": None, "b": BELOW, "c": BELOW, "d": COMPLEMENT}


def test_two_small_groups_reaching_k_together_need_no_complement() -> None:
    assert suppress_breakdown({"a": 9, "b": 3, "c": 3}, 5) == {"a": None, "b": BELOW, "c": BELOW}


def test_empty_groups_are_hidden_but_protect_nobody() -> None:
    # the empty group cannot be the complement: b (2) still needs c hidden
    reasons = suppress_breakdown({"a": 9, "b": 2, "c": 6, "empty": 0}, 5)
    assert reasons == {"a": None, "b": BELOW, "c": COMPLEMENT, "empty": BELOW}


def test_ties_are_broken_by_group_key() -> None:
    reasons = suppress_breakdown({"zed": 6, "alpha": 6, "small": 1}, 5)
    assert reasons == {"zed": None, "alpha": COMPLEMENT, "small": BELOW}


def test_apply_breakdown_replaces_values() -> None:
    shown = apply_breakdown({"a": 3.1, "b": 4.0, "c": 2.0}, {"a": 9, "b": 6, "c": 2}, 5)
    assert shown == {"a": 3.1, "b": Suppressed(COMPLEMENT, 5), "c": Suppressed(BELOW, 5)}


def test_comments_need_their_group_and_come_sorted() -> None:
    assert visible_comments(["b", None, " a ", ""], 5, 5) == ("a", "b")
    assert visible_comments(["b"], 4, 5) == Suppressed(BELOW, 5)
