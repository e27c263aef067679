"""The da/en message catalogue is complete and renders numbers per language."""

from __future__ import annotations

from survey_app.core.messages import CATALOGUE, Message, format_number, placeholders
from survey_app.core.scoring import Band
from tests.core.factories import text


def test_both_languages_have_the_same_keys_and_placeholders() -> None:
    assert set(CATALOGUE) == {"da", "en"}
    assert set(CATALOGUE["da"]) == set(CATALOGUE["en"])
    for key in CATALOGUE["da"]:
        assert placeholders(key, "da") == placeholders(key, "en"), key


def test_rendering() -> None:
    message = Message(
        "reason.band",
        {"topic": text("Tillid", "Trust"), "mean": 3.456, "band": Band.DISCUSS, "n": 7},
    )
    assert message.text("da") == "Tillid: gennemsnit 3,46 (til drøftelse), n = 7."
    assert message.text("en") == "Trust: mean 3.46 (to discuss), n = 7."
    assert message.text("fr") == message.text("da")  # unknown language falls back to Danish
    names = Message("seed.unknown", {"topics": (Message("seed.yes"), Message("seed.yes"))})
    assert names.text("en").count("Yes:") == 2
    assert format_number(float("nan"), "en") == "–"
