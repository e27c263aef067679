"""Texts and scales compare and hash by content, whatever order their languages came in."""

from __future__ import annotations

import copy

import pytest

from survey_app.core.instruments import FrozenMapping, Scale, Text


def test_texts_with_the_same_languages_are_equal_and_hash_alike() -> None:
    first = Text({"da": "Tillid", "en": "Trust"})
    same = Text({"en": "Trust", "da": "Tillid"})
    assert first == same and hash(first) == hash(same)
    assert first != Text({"da": "Tillid", "en": "Confidence"})
    assert {first: 1}[same] == 1


def test_scales_compare_labels_and_dont_know() -> None:
    labels = {"da": ("Nej", "Ja"), "en": ("No", "Yes")}
    scale = Scale("yes_no", 2, labels, Text({"da": "Ved ikke"}))
    assert scale == Scale("yes_no", 2, dict(reversed(labels.items())), Text({"da": "Ved ikke"}))
    assert hash(scale) == hash(copy.deepcopy(scale))
    assert scale != Scale("yes_no", 2, labels, None)
    assert scale != Scale("yes_no", 2, {"da": ("Nej", "Ja")}, Text({"da": "Ved ikke"}))


def test_a_frozen_mapping_cannot_be_changed() -> None:
    mapping = FrozenMapping({"da": "x"})
    with pytest.raises(TypeError):
        mapping["en"] = "y"  # type: ignore[index]
    assert mapping == {"da": "x"} and "da" in mapping and mapping.get("en") is None
