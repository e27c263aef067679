"""Every message in the code and templates has a Danish and an English translation."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "survey_app" / "translations"
METHOD_MAP = [("**.py", "python"), ("templates/**.html", "jinja2")]
KEYWORDS = {"_": None, "gettext": None, "_l": None, "lazy_gettext": None, "ngettext": (1, 2)}


def extracted_messages() -> set[str]:
    """Every msgid used in survey_app, as pybabel extracts them."""
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        ROOT / "survey_app", METHOD_MAP, keywords=KEYWORDS
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def untranslated(language: str, messages: set[str]) -> list[str]:
    """Messages lacking a non-fuzzy, non-empty translation in `language`."""
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale=language)
    missing = []
    for message_id in sorted(messages):
        entry = catalog.get(message_id)
        strings = (
            ()
            if entry is None
            else (entry.string if isinstance(entry.string, tuple) else (entry.string,))
        )
        if entry is None or entry.fuzzy or not strings or not all(strings):
            missing.append(message_id)
    return missing


def test_messages_are_found() -> None:
    messages = extracted_messages()
    assert "Log in" in messages
    assert len(messages) > 30


def test_every_message_has_a_danish_translation() -> None:
    assert untranslated("da", extracted_messages()) == []


def test_every_message_has_an_english_translation() -> None:
    assert untranslated("en", extracted_messages()) == []


def test_a_missing_translation_is_detected() -> None:
    invented = "A sentence nobody has translated yet"
    assert untranslated("da", {invented, "Log in"}) == [invented]


def test_danish_is_really_danish() -> None:
    with (TRANSLATIONS / "da" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale="da")
    assert catalog.get("Log in").string == "Log ind"
