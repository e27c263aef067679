"""Exports never carry a formula: every cell that could start one is neutralised."""

from __future__ import annotations

import csv
import io
import re

import pandas as pd
from flask import Flask
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from sqlalchemy import insert

from survey_app.extensions import db
from survey_app.models import Answer, Response, Round, new_random_id
from survey_app.services import exports
from survey_app.services.definitions import round_definitions
from tests.conftest import csrf_token_from
from tests.workspace_helpers import facilitator_client, make_workspace

TRIGGERS = exports.FORMULA_TRIGGERS
hostile_text = st.one_of(
    st.text(max_size=30),
    st.sampled_from(TRIGGERS).flatmap(lambda first: st.text(max_size=20).map(lambda r: first + r)),
    st.sampled_from(
        [
            '=HYPERLINK("http://evil.example","x")',
            "+1+1",
            "-2+3",
            "@SUM(A1)",
            "=cmd|' /C calc'!A0",
            "\t=1",
            "\r=1",
            "=1\n=2",
        ]
    ),
)


PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?(e-?\d+)?")


def _assert_safe_csv(body: bytes) -> None:
    """No cell can start a formula; a plain number such as -1.5 is a number, not a formula."""
    text = body.decode("utf-8-sig")
    for row in csv.reader(io.StringIO(text, newline="")):
        for cell in row:
            assert PLAIN_NUMBER.fullmatch(cell) or not cell.startswith(TRIGGERS), cell


def _assert_safe_xlsx(body: bytes) -> None:
    workbook = load_workbook(io.BytesIO(body))
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", cell.value
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(TRIGGERS), cell.value


@settings(max_examples=60, deadline=None)
@given(texts=st.lists(hostile_text, min_size=1, max_size=6), header=hostile_text)
def test_no_cell_or_header_starts_a_formula(texts: list[str], header: str) -> None:
    frame = pd.DataFrame({"text": texts, header or "h": texts, "value": [-1.5] * len(texts)})
    _assert_safe_csv(exports.to_csv(frame))
    _assert_safe_xlsx(exports.to_xlsx({"t": frame}, ["=note"]))


def test_numbers_stay_numbers_in_xlsx() -> None:
    workbook = load_workbook(io.BytesIO(exports.to_xlsx({"t": pd.DataFrame({"v": [-1.5, 2]})})))
    assert [cell.value for cell in workbook["t"]["A"]] == ["v", -1.5, 2]


def test_hostile_comments_are_neutralised_in_real_exports(app: Flask) -> None:
    space = make_workspace(app, responses=(5,), instruments=["resources"])
    hostile = ['=HYPERLINK("http://evil.example","klik")', "+45 12 34 56 78", "@admin"]
    with app.app_context():
        round_ = db.session.get(Round, space.round_ids[0])

        instrument = round_definitions(round_).instruments[0]
        item = next(i for i in instrument.items() if i.kind == "comment")
        for text in hostile:
            response_id = new_random_id()
            db.session.execute(
                insert(Response.__table__).values(id=response_id, round_id=round_.id)
            )
            db.session.execute(
                insert(Answer.__table__).values(
                    response_id=response_id, instrument_id=instrument.id, item_id=item.id, text=text
                )
            )
        db.session.commit()
    owner = facilitator_client(app, space.owner)
    token = csrf_token_from(owner.get(f"/rounds/{space.round_ids[0]}/exports").get_data(True))
    for table in ("long", "wide"):
        for file_format in ("csv", "xlsx"):
            body = owner.post(
                f"/rounds/{space.round_ids[0]}/export",
                data={"csrf_token": token, "table": table, "file_format": file_format},
            ).data
            (_assert_safe_csv if file_format == "csv" else _assert_safe_xlsx)(body)
            if file_format == "csv":
                assert "'=HYPERLINK" in body.decode("utf-8-sig")
