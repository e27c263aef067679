"""A draft's raw answers become typed answer rows, one per answered item."""

from __future__ import annotations

from pathlib import Path

from survey_app.core.loader import load_framework, load_instrument
from survey_app.services.definitions import RoundDefinitions
from survey_app.services.survey import answer_rows, plan_for

ROOT = Path(__file__).resolve().parent.parent

INSTRUMENT = """kind: instrument
id: kinds
version: 1
languages: [da, en]
title: {da: Alle slags, en: Every kind}
description: {da: Test., en: Test.}
intro: {da: Test., en: Test.}
minutes: 2
scales:
  agree5:
    points: 5
    labels:
      da: [Helt uenig, Uenig, Hverken enig eller uenig, Enig, Helt enig]
      en: [Strongly disagree, Disagree, Neither, Agree, Strongly agree]
    dont_know: {da: Ved ikke, en: Don't know}
factors:
  - id: trust
    role: collaboration
    name: {da: Tillid, en: Trust}
sections:
  - id: all
    title: {da: Alt, en: All}
    items:
      - {id: agree, type: scale, scale: agree5, text: {da: A., en: A.}, measures: {factor: trust}}
      - {id: unsure, type: scale, scale: agree5, text: {da: B., en: B.}, measures: {factor: trust}}
      - {id: skipped, type: scale, scale: agree5, text: {da: C., en: C.}, measures: {factor: trust}}
      - id: sector
        type: single
        text: {da: Sektor., en: Sector.}
        options:
          - {value: public, label: {da: Offentlig, en: Public}}
          - {value: private, label: {da: Privat, en: Private}}
      - id: channels
        type: multiple
        text: {da: Kanaler., en: Channels.}
        options:
          - {value: mail, label: {da: Post, en: Mail}}
          - {value: web, label: {da: Web, en: Web}}
      - {id: hours, type: number, min: 0, max: 40, text: {da: Timer., en: Hours.}}
      - {id: note, type: comment, text: {da: Kommentar., en: Comment.}}
      - {id: blank, type: comment, text: {da: Tom., en: Empty.}}
"""


def test_every_item_kind_becomes_its_typed_row() -> None:
    framework_path = ROOT / "instruments" / "framework.yaml"
    framework = load_framework(str(framework_path), framework_path.read_text(encoding="utf-8"))
    instrument = load_instrument("kinds.yaml", INSTRUMENT, framework)
    plan = plan_for(RoundDefinitions(framework, (instrument,)))
    raw = {
        "agree": "4",
        "unsure": "dk",
        "sector": "private",
        "channels": ["mail", "web"],
        "hours": "2,5",
        "note": "  Godt møde  ",
        "blank": "   ",
        "unknown_item": "5",
    }
    rows = answer_rows(plan, {"answers": {"kinds": raw, "other": {"agree": "1"}}}, "r1")
    by_item = {row.pop("item_id"): row for row in rows}
    common = {"response_id": "r1", "instrument_id": "kinds"}
    assert by_item == {
        "agree": {**common, "value": 4.0, "dont_know": False, "text": None},
        "unsure": {**common, "value": None, "dont_know": True, "text": None},
        "sector": {**common, "value": None, "dont_know": False, "text": "private"},
        "channels": {**common, "value": None, "dont_know": False, "text": "mail|web"},
        "hours": {**common, "value": 2.5, "dont_know": False, "text": None},
        "note": {**common, "value": None, "dont_know": False, "text": "Godt møde"},
    }
    assert [row["instrument_id"] for row in rows] == ["kinds"] * 6  # in instrument order
