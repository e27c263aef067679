"""score_round: golden values computed by hand, with the arithmetic written out."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from survey_app.core.agreement import Agreement, average_deviation_j, rwg, rwg_j
from survey_app.core.anonymity import Suppressed, SuppressionReason
from survey_app.core.instruments import FactorRole, ItemKind
from survey_app.core.scoring import (
    ALL,
    NOT_STATED,
    Band,
    ItemStat,
    Level,
    RoundResult,
    Stat,
    band_of,
    score_round,
    to_five_point,
)
from survey_app.core.stats import t_quantile
from tests.core.factories import (
    DK,
    answers,
    answers_frame,
    cell_items,
    framework,
    instrument,
    item,
    respondents,
    scale,
    thresholds,
)

FW = framework()


def _stat(value: object) -> Stat:
    assert isinstance(value, Stat), value
    return value


def _factor(result: RoundResult, factor_id: str) -> Stat:
    element = result.factor(factor_id)
    assert element is not None
    return _stat(element.overall)


def test_reverse_keying_scores_points_plus_one_minus_answer() -> None:
    target = instrument(
        "t",
        [item("a", factor="f"), item("r", factor="f", reverse=True)],
        factors=[("f", FactorRole.CONSENSUS)],
    )
    # answers to r: 1, 2, 5 -> keyed 6-1=5, 6-2=4, 6-5=1
    result = score_round(FW, [target], answers("t", ["a", "r"], [[4, 1], [2, 2], [3, 5]]), k=3)
    reversed_item = result.item("t", "r")
    assert reversed_item is not None and isinstance(reversed_item.stat, ItemStat)
    assert reversed_item.stat.mean == pytest.approx((5 + 4 + 1) / 3)
    # the distribution shows what people answered (raw 1, 2, 5), not the keyed values
    assert reversed_item.stat.distribution == (1, 1, 0, 0, 1)
    # respondent scores: (4+5)/2 = 4.5, (2+4)/2 = 3, (3+1)/2 = 2
    assert _factor(result, "f").mean == pytest.approx((4.5 + 3 + 2) / 3)


def test_missing_data_rule_and_dont_know() -> None:
    # min_answered_share 0.6 of 3 items: a respondent needs 2 answered items
    target = instrument(
        "t", [item(i, factor="f") for i in "abc"], factors=[("f", FactorRole.PRECONDITION)]
    )
    rows = [
        [5, 4, 3],  # 3 answered -> (5+4+3)/3 = 4
        [2, None, 4],  # 2 answered -> 3
        [5, None, None],  # 1 answered -> no score
        [DK, DK, 4],  # "don't know" is not an answer -> 1 answered -> no score
        [3, 3, DK],  # 2 answered -> 3
    ]
    result = score_round(FW, [target], answers("t", list("abc"), rows), k=3)
    stat = _factor(result, "f")
    assert stat.n == 3
    assert stat.mean == pytest.approx((4 + 3 + 3) / 3)
    item_c = result.item("t", "c")
    assert item_c is not None and isinstance(item_c.stat, ItemStat)
    assert (item_c.stat.n, item_c.stat.dont_know) == (3, 1)  # 3, 4, 4 answered; one DK
    assert item_c.stat.distribution == (0, 0, 1, 2, 0)  # one 3, two 4s


def test_missing_share_comes_from_thresholds() -> None:
    target = instrument(
        "t", [item(i, factor="f") for i in "abc"], factors=[("f", FactorRole.PRECONDITION)]
    )
    rows = [[5, None, None], [4, None, None], [3, None, None]]
    strict = score_round(FW, [target], answers("t", list("abc"), rows), k=3)
    assert isinstance(strict.element(Level.FACTOR, "t/f").overall, Suppressed)  # type: ignore[union-attr]
    lenient_fw = framework(thresholds(min_answered_share=0.3))
    lenient = score_round(lenient_fw, [target], answers("t", list("abc"), rows), k=3)
    assert _factor(lenient, "f").mean == pytest.approx(4.0)  # 1 of 3 = 0.33 >= 0.3


def test_weighted_respondent_score() -> None:
    target = instrument(
        "t",
        [item("a", factor="f", weight=2.0), item("b", factor="f")],
        factors=[("f", FactorRole.RESOURCE)],
    )
    rows = [[5, 2], [5, 2], [4, 1]]
    result = score_round(FW, [target], answers("t", ["a", "b"], rows), k=3)
    # (2*5 + 1*2) / 3 = 4, twice; (2*4 + 1*1) / 3 = 3
    assert _factor(result, "f").mean == pytest.approx((4 + 4 + 3) / 3)


def test_element_agreement_equals_agreement_module_with_gaps() -> None:
    target = instrument(
        "t", [item(i, factor="f") for i in "abc"], factors=[("f", FactorRole.CONSENSUS)]
    )
    rows = [[4, 5, 4], [3, None, 4], [5, 4, 3], [2, 2, None], [4, 4, 4], [1, 5, 2]]
    result = score_round(FW, [target], answers("t", list("abc"), rows), k=3)
    matrix = np.array([[math.nan if v is None else v for v in row] for row in rows], dtype=float)
    stat = _factor(result, "f")
    assert stat.rwg == pytest.approx(rwg_j(matrix, 5), abs=1e-12)
    assert stat.ad == pytest.approx(average_deviation_j(matrix), abs=1e-12)
    item_a = result.item("t", "a")
    assert item_a is not None and isinstance(item_a.stat, ItemStat)
    assert item_a.stat.rwg == pytest.approx(rwg(matrix[:, 0], 5), abs=1e-12)


def test_mean_ci_is_student_t() -> None:
    target = instrument("t", [item("a", factor="f")], factors=[("f", FactorRole.CONSENSUS)])
    values = [2, 4, 4, 4, 5, 5, 5, 4]  # mean 33/8
    result = score_round(FW, [target], answers("t", ["a"], [[v] for v in values]), k=3)
    stat = _factor(result, "f")
    mean = sum(values) / 8
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / 7)
    half = t_quantile(0.975, 7) * sd / math.sqrt(8)
    assert (stat.mean, stat.sd) == pytest.approx((mean, sd))
    assert (stat.ci_low, stat.ci_high) == pytest.approx((mean - half, mean + half))


def test_bands_and_five_point_mapping() -> None:
    limits = thresholds()
    assert band_of(4.0, 5, limits) is Band.STRENGTH
    assert band_of(3.999, 5, limits) is Band.DISCUSS
    assert band_of(3.0, 5, limits) is Band.DISCUSS
    assert band_of(2.999, 5, limits) is Band.CONCERN
    # 7 points: 1 + (5.5 - 1) * 4 / 6 = 4.0; 1 + (4 - 1) * 4 / 6 = 3.0
    assert to_five_point(5.5, 7) == pytest.approx(4.0)
    assert band_of(5.5, 7, limits) is Band.STRENGTH
    assert band_of(4.0, 7, limits) is Band.DISCUSS
    assert band_of(3.9, 7, limits) is Band.CONCERN


def test_seven_point_scale_is_banded_in_five_point_units() -> None:
    target = instrument(
        "t",
        [item("a", factor="f", scale_id="agree7")],
        factors=[("f", FactorRole.CONSENSUS)],
        scales=[scale("agree7", 7)],
    )
    result = score_round(FW, [target], answers("t", ["a"], [[6], [5], [6], [5]]), k=3)
    stat = _factor(result, "f")
    assert stat.mean == pytest.approx(5.5)
    assert stat.score_5 == pytest.approx(4.0)
    assert stat.band is Band.STRENGTH
    # AD cut-off scales with the points: 0.1667 * 7; r_wg uses sigma² = (49 - 1) / 12 = 4
    assert stat.rwg == pytest.approx(1 - (1 / 3) / 4)  # s² of 6, 5, 6, 5 = 1/3


def test_cells_components_and_phases_pool_their_items() -> None:
    items = cell_items("governance", "readiness") + cell_items("governance", "initiate")
    target = instrument("t", items)
    ids = [i.id for i in items]
    rows = [[4, 4, 2, 2], [5, 5, 3, 3], [3, 3, 1, 1]]
    result = score_round(FW, [target], answers("t", ids, rows), k=3)
    cell = result.cell("governance", "readiness")
    assert cell is not None and _stat(cell.overall).mean == pytest.approx(4.0)
    component = result.element(Level.COMPONENT, "governance")
    # respondent component scores: (4+4+2+2)/4 = 3, 4, 2 -> mean 3
    assert component is not None and _stat(component.overall).mean == pytest.approx(3.0)
    phase = result.element(Level.PHASE, "initiate")
    assert phase is not None and _stat(phase.overall).mean == pytest.approx(2.0)
    assert result.cell("strategy", "readiness") is None  # not measured


def test_group_below_k_is_suppressed() -> None:
    target = instrument("t", [item("a", factor="f")], factors=[("f", FactorRole.CONSENSUS)])
    result = score_round(FW, [target], answers("t", ["a"], [[4], [5], [3], [4]]))  # k = 5
    assert result.k == 5
    element = result.factor("f")
    assert element is not None and element.id == "t/f" and element.instrument_id == "t"
    assert element.overall == Suppressed(SuppressionReason.BELOW_K, 5)
    assert result.items[0].stat == Suppressed(SuppressionReason.BELOW_K, 5)
    frame = result.to_frame("elements")
    assert frame["mean"].isna().all() and frame["suppressed"].all()


def test_breakdown_hides_complementary_group() -> None:
    # sectors: public 6, private 5, citizen 2. Hiding citizen alone would let anyone
    # recover its mean as (13 * total mean - 6 * public - 5 * private) / 2, so the next
    # smallest group (private) is hidden too; total - public = 7 >= k.
    sectors = ["public"] * 6 + ["private"] * 5 + ["citizen"] * 2
    values = [4, 4, 5, 3, 4, 4] + [2, 3, 3, 2, 3] + [1, 5]
    target = instrument("t", [item("a", factor="f")], factors=[("f", FactorRole.CONSENSUS)])
    frame = answers("t", ["a"], [[v] for v in values])
    people = respondents({f"r{n}": (s, "partner") for n, s in enumerate(sectors)})
    result = score_round(FW, [target], frame, people, k=5)
    element = result.factor("f")
    assert element is not None
    by_sector = element.breakdowns["sector"]
    assert _stat(by_sector["public"]).mean == pytest.approx(24 / 6)
    assert by_sector["citizen"] == Suppressed(SuppressionReason.BELOW_K, 5)
    assert by_sector["private"] == Suppressed(SuppressionReason.COMPLEMENTARY, 5)
    assert by_sector[NOT_STATED] == Suppressed(SuppressionReason.BELOW_K, 5)
    assert _stat(element.breakdowns["role"]["partner"]).n == 13


def test_not_stated_background_counts_as_its_own_group() -> None:
    sectors: list[str | None] = ["public"] * 5 + [None] * 5
    target = instrument("t", [item("a", factor="f")], factors=[("f", FactorRole.CONSENSUS)])
    frame = answers("t", ["a"], [[4]] * 5 + [[2]] * 5)
    people = respondents({f"r{n}": (s, None) for n, s in enumerate(sectors)})
    result = score_round(FW, [target], frame, people, k=5)
    element = result.factor("f")
    assert element is not None
    assert _stat(element.breakdowns["sector"][NOT_STATED]).mean == pytest.approx(2.0)
    assert result.breakdown_groups["sector"][-1] == NOT_STATED


def test_choices_numbers_and_comments() -> None:
    target = instrument(
        "t",
        [
            item("pick", kind=ItemKind.SINGLE, options=["x", "y"]),
            item("many", kind=ItemKind.MULTIPLE, options=["x", "y", "z"]),
            item("hours", kind=ItemKind.NUMBER),
            item("note", kind=ItemKind.COMMENT),
        ],
    )
    records = []
    for n in range(5):
        rid = f"r{n}"
        base = {"response_id": rid, "instrument_id": "t", "dont_know": False}
        records += [
            {**base, "item_id": "pick", "value": math.nan, "text": "x" if n < 3 else "y"},
            {**base, "item_id": "many", "value": math.nan, "text": "x|z" if n else "y"},
            {**base, "item_id": "hours", "value": float(n), "text": None},
            {**base, "item_id": "note", "value": math.nan, "text": f"  comment {4 - n} "},
        ]
    result = score_round(FW, [target], answers_frame(records), k=5)
    pick, many = result.choices
    assert dict(pick.counts) == {"x": 3, "y": 2}  # type: ignore[arg-type]
    assert dict(many.counts) == {"x": 4, "y": 1, "z": 4}  # type: ignore[arg-type]
    assert result.numbers[0].summary.mean == pytest.approx(2.0)  # type: ignore[union-attr]
    # comments: trimmed and sorted, so their order says nothing about who wrote them
    assert result.comments[0].comments == tuple(f"comment {n}" for n in range(5))
    fewer = score_round(FW, [target], answers_frame(records[:16]), k=5)  # 4 responses
    assert isinstance(fewer.comments[0].comments, Suppressed)
    assert isinstance(fewer.choices[0].counts, Suppressed)


def test_comment_k_is_never_below_score_k() -> None:
    target = instrument("t", [item("note", kind=ItemKind.COMMENT)])
    base = {"instrument_id": "t", "item_id": "note", "value": math.nan, "dont_know": False}
    records = [{**base, "response_id": f"r{n}", "text": "x"} for n in range(6)]
    fw = framework(thresholds(min_group_size=3, min_group_size_comments=7))
    assert isinstance(
        score_round(fw, [target], answers_frame(records)).comments[0].comments, Suppressed
    )
    assert score_round(fw, [target], answers_frame(records), k=6).k_comments == 7


def test_unknown_items_are_ignored_and_counted() -> None:
    target = instrument("t", [item("a", factor="f")], factors=[("f", FactorRole.CONSENSUS)])
    frame = pd.concat(
        [answers("t", ["a"], [[4], [4], [4]]), answers("other", ["zz"], [[1], [2]])],
        ignore_index=True,
    )
    result = score_round(FW, [target], frame, k=3)
    assert result.ignored_answers == 2
    assert _factor(result, "f").n == 3


@pytest.mark.parametrize("bad", [0, 6, 2.5])
def test_answers_off_the_scale_are_rejected(bad: float) -> None:
    target = instrument("t", [item("a", factor="f")], factors=[("f", FactorRole.CONSENSUS)])
    with pytest.raises(ValueError, match="whole points"):
        score_round(FW, [target], answers("t", ["a"], [[4], [bad], [3]]), k=3)


def test_repeated_answers_are_rejected() -> None:
    target = instrument("t", [item("a", factor="f")], factors=[("f", FactorRole.CONSENSUS)])
    frame = answers("t", ["a"], [[4], [5], [3]])
    twice = pd.concat([frame, frame.iloc[[0]]], ignore_index=True)
    with pytest.raises(ValueError, match="repeat"):
        score_round(FW, [target], twice, k=3)
    dont_know_too = pd.concat(
        [frame, answers("t", ["a"], [[DK]])], ignore_index=True
    )  # r0 answered 4 and "don't know"
    with pytest.raises(ValueError, match="repeat"):
        score_round(FW, [target], dont_know_too, k=3)


def test_k_below_three_is_refused() -> None:
    target = instrument("t", [item("a", factor="f")], factors=[("f", FactorRole.CONSENSUS)])
    with pytest.raises(ValueError, match="floor"):
        score_round(FW, [target], answers("t", ["a"], [[4]]), k=2)


def test_mixed_scales_in_one_element_are_refused() -> None:
    target = instrument(
        "t",
        [item("a", factor="f"), item("b", factor="f", scale_id="agree7")],
        factors=[("f", FactorRole.CONSENSUS)],
        scales=[scale(), scale("agree7", 7)],
    )
    with pytest.raises(ValueError, match="mixes scales"):
        score_round(FW, [target], answers("t", ["a", "b"], [[4, 6]] * 3), k=3)


def test_cells_pool_instruments_but_factors_belong_to_one() -> None:
    # each response answers one instrument; the share rule counts only that instrument's items
    one = instrument(
        "one",
        [item("a", component="governance", phase="readiness"), item("p", factor="trust")],
        factors=[("trust", FactorRole.PRECONDITION)],
    )
    two = instrument(
        "two",
        [
            item("b", component="governance", phase="readiness"),
            item("c", component="governance", phase="readiness"),
            item("q", factor="trust"),
        ],
        factors=[("trust", FactorRole.COLLABORATION)],
    )
    frame = pd.concat(
        [
            answers("one", ["a", "p"], [[5, 1], [5, 1], [5, 1]], prefix="x"),
            answers("two", ["b", "c", "q"], [[3, 3, 5], [2, 4, 5], [4, None, 5]], prefix="y"),
        ],
        ignore_index=True,
    )
    result = score_round(FW, [one, two], frame, k=3)
    # cell scores 5, 5, 5 (one); 3, 3 (two); y2 answered 1 of 2 = 0.5 < 0.6: no score
    cell = result.cell("governance", "readiness")
    assert cell is not None
    assert _stat(cell.overall).n == 5
    assert _stat(cell.overall).mean == pytest.approx((5 + 5 + 5 + 3 + 3) / 5)
    assert result.responses_by_instrument == {"one": 3, "two": 3}
    # the same factor id in two instruments is two factors with their own roles
    with pytest.raises(ValueError, match="several instruments"):
        result.factor("trust")
    precondition = result.factor("trust", "one")
    collaboration = result.factor("trust", "two")
    assert precondition is not None and precondition.role is FactorRole.PRECONDITION
    assert collaboration is not None and collaboration.role is FactorRole.COLLABORATION
    assert (_stat(precondition.overall).mean, _stat(collaboration.overall).mean) == (1.0, 5.0)


def test_frames_mark_suppressed_values_as_missing_not_numbers() -> None:
    sectors = ["public"] * 5 + ["private"] * 2
    target = instrument("t", [item("a", factor="f")], factors=[("f", FactorRole.CONSENSUS)])
    people = respondents({f"r{n}": (s, None) for n, s in enumerate(sectors)})
    result = score_round(FW, [target], answers("t", ["a"], [[4]] * 7), people, k=5)
    frame = result.to_frame("elements")
    hidden = frame[frame["suppressed"]]
    assert not hidden.empty and hidden["mean"].isna().all() and hidden["n"].isna().all()
    shown = frame[(frame["breakdown"] == ALL)]
    assert shown["n"].tolist() == [7]
    assert str(frame["n"].dtype) == "Int64"
    assert set(result.to_frames()) == {"elements", "items", "choices", "numbers", "comments"}
    with pytest.raises(ValueError):
        result.to_frame("nope")


def test_agreement_label_uses_both_indices() -> None:
    target = instrument("t", [item("a", factor="f")], factors=[("f", FactorRole.CONSENSUS)])
    # 1, 5, 1, 5: s² = 16/3 > 2 -> r_wg 0; AD = 2 > 0.83: weak
    result = score_round(FW, [target], answers("t", ["a"], [[1], [5], [1], [5]]), k=3)
    assert _factor(result, "f").agreement is Agreement.WEAK
    assert _factor(result, "f").rwg == 0.0
