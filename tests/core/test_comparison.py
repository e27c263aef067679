"""Comparing rounds: the comparability rule, Welch changes, phase moves, changed items."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from survey_app.core.anonymity import Suppressed
from survey_app.core.comparison import METHOD, Change, Reason, comparable, compare_rounds
from survey_app.core.instruments import FactorRole, Instrument, Item, Measure, Scale, Text
from survey_app.core.scoring import RoundResult, score_round
from survey_app.core.stats import t_quantile
from tests.core.factories import (
    fill,
    framework,
    full_instrument,
    instrument,
    item,
    scale,
    text,
    with_item,
)

FW = framework()


def test_identical_items_are_comparable() -> None:
    a = item("x", factor="f")
    assert comparable(a, scale(), a, scale())


@pytest.mark.parametrize(
    ("changed", "scale_b", "reason"),
    [
        (item("y", factor="f"), scale(), Reason.ID),
        (item("x", factor="f"), scale(points=7), Reason.SCALE_POINTS),
        (item("x", factor="f"), scale(dont_know=False), Reason.DONT_KNOW),
        (item("x", factor="g"), scale(), Reason.MEASURE),
        (item("x", factor="f", reverse=True), scale(), Reason.REVERSE),
        (item("x", factor="f", wording="Nyt udsagn"), scale(), Reason.TEXT),
    ],
)
def test_each_change_breaks_comparability(changed: Item, scale_b: Scale, reason: Reason) -> None:
    verdict = comparable(item("x", factor="f"), scale(), changed, scale_b)
    assert not verdict and reason in verdict.reasons


def test_relabelled_scale_is_not_comparable_but_a_new_language_is() -> None:
    relabelled = replace(
        scale(), labels={"da": ("a", "b", "c", "d", "e"), "en": scale().labels["en"]}
    )
    assert comparable(item("x"), scale(), item("x"), relabelled).reasons == (Reason.SCALE_LABELS,)
    base = item("x")
    danish_only = replace(base, text=Text({"da": base.text.get("da")}))
    assert comparable(danish_only, scale(), base, scale())  # adding English changes nothing
    english_edit = replace(base, text=text(base.text.get("da"), "Reworded"))
    assert comparable(base, scale(), english_edit, scale()).reasons == (Reason.TEXT,)


def _round(
    target: Instrument, answers_by_item: dict[str, list[int | None]], n: int = 6
) -> RoundResult:
    return score_round(FW, [target], fill(target, n, 4, answers_by_item))


def test_changed_mean_with_welch_interval() -> None:
    target = full_instrument()
    earlier = _round(target, {"money_*": [2, 3, 2, 3, 2, 3]})
    later = _round(target, {"money_*": [4, 4, 5, 4, 5, 4]})
    result = compare_rounds(earlier, later)
    money = next(e for e in result.elements if (e.kind, e.id) == ("factor", "readiness/money"))
    assert isinstance(money.change, Change)
    # a: 2, 3, 2, 3, 2, 3 -> mean 2.5, s² = 6 * 0.25 / 5 = 0.3; b: 4, 4, 5, 4, 5, 4 -> mean 26/6
    var_a = 0.3
    mean_b = 26 / 6
    var_b = (4 * (4 - mean_b) ** 2 + 2 * (5 - mean_b) ** 2) / 5
    se2 = var_a / 6 + var_b / 6
    df = se2**2 / ((var_a / 6) ** 2 / 5 + (var_b / 6) ** 2 / 5)
    half = t_quantile(0.975, df) * math.sqrt(se2)
    diff = mean_b - 2.5
    assert money.change.diff == pytest.approx(diff)
    assert money.change.df == pytest.approx(df)
    assert (money.change.ci_low, money.change.ci_high) == pytest.approx((diff - half, diff + half))
    assert money.change.changed
    unchanged = next(e for e in result.elements if e.id == "readiness/urgency")
    assert isinstance(unchanged.change, Change) and not unchanged.change.changed
    assert "Welch" in METHOD and result.method == METHOD


def test_small_difference_inside_the_interval_is_not_flagged() -> None:
    target = full_instrument()
    earlier = _round(target, {"money_*": [3, 4, 5, 3, 4, 5]})
    later = _round(target, {"money_*": [4, 4, 5, 3, 4, 5]})
    compared = compare_rounds(earlier, later).elements
    change = next(e for e in compared if e.id == "readiness/money").change
    assert isinstance(change, Change) and change.diff > 0 and not change.changed


def test_change_is_suppressed_when_a_round_is_below_k() -> None:
    target = full_instrument()
    earlier, later = _round(target, {}, n=4), _round(target, {})
    result = compare_rounds(earlier, later)
    assert all(isinstance(e.change, Suppressed) for e in result.elements + result.items)
    assert result.to_frame()["suppressed"].all()


def test_reworded_item_is_left_out_with_its_elements() -> None:
    before = full_instrument()
    old = before.item("money_1")
    after = with_item(before, "money_1", replace(old, text=text("Pengene rækker")))
    result = compare_rounds(_round(before, {}), _round(after, {}))
    excluded = {(x.kind, x.id): x for x in result.not_comparable}
    assert excluded[("item", "readiness/money_1")].reasons == (Reason.TEXT,)
    factor = excluded[("factor", "readiness/money")]
    assert factor.reasons == (Reason.ITEM_CHANGED,) and factor.items == ("readiness/money_1",)
    assert all(e.id != "readiness/money" for e in result.elements)
    assert any(e.id == "readiness/money_2" for e in result.items)  # the other item still compares


def test_added_item_and_changed_weight() -> None:
    base = instrument(
        "t", [item("a", factor="f"), item("b", factor="f")], factors=[("f", FactorRole.CONSENSUS)]
    )
    heavier = with_item(base, "b", replace(base.item("b"), weight=2.0))
    result = compare_rounds(_round(base, {}), _round(heavier, {}))
    assert {(x.id, x.reasons) for x in result.not_comparable} == {("t/f", (Reason.WEIGHT,))}
    extended = instrument(
        "t",
        [item("a", factor="f"), item("b", factor="f"), item("c", factor="f")],
        factors=[("f", FactorRole.CONSENSUS)],
    )
    result = compare_rounds(_round(base, {}), _round(extended, {}))
    excluded = {x.id: x.reasons for x in result.not_comparable}
    assert excluded == {"t/f": (Reason.ITEMS_DIFFER,), "t/c": (Reason.ONLY_IN_LATER,)}


def test_phase_movement() -> None:
    target = full_instrument()
    earlier = _round(target, {"urgency_*": [2] * 6, "evaluation_initiate_*": [3] * 6})
    later = _round(target, {"evaluation_organise_*": [3] * 6})
    result = compare_rounds(earlier, later)
    assert (result.initiative.phase_a, result.initiative.phase_b) == (1, 3)
    assert result.initiative.movement == 2
    moves = {m.component: (m.phase_a, m.phase_b) for m in result.components}
    assert moves == {
        "governance": (4, 4),
        "strategy": (4, 4),
        "community": (4, 4),
        "evaluation": (2, 3),
    }


def test_measure_change_is_detected_between_cell_and_factor() -> None:
    a = item("x", component="governance", phase="readiness")
    b = replace(a, measures=Measure(component="governance", phase="initiate"))
    assert comparable(a, scale(), b, scale()).reasons == (Reason.MEASURE,)


def test_rounds_of_different_frameworks_are_refused() -> None:
    target = full_instrument()
    other = replace(_round(target, {}), framework=replace(FW, id="other"))
    with pytest.raises(ValueError):
        compare_rounds(_round(target, {}), other)
