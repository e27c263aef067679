"""Exports of round data as CSV and XLSX, safe to open in a spreadsheet.

Every score table comes from the same Analysis the dashboard shows, with the same
suppression. Text that a spreadsheet would run as a formula (starting with =, +, -, @,
tab or CR) is prefixed with an apostrophe, and XLSX cells are always written as values.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, TYPE_STRING

from survey_app.core.analysis import Analysis
from survey_app.core.instruments import Instrument
from survey_app.models import Round
from survey_app.services.definitions import round_definitions
from survey_app.services.results import answers_frame, respondents_frame, round_analysis

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
TABLES = ("long", "wide", "scores", "items", "codebook")
RAW_TABLES = ("long", "wide")


def neutralise_cell(value: object) -> object:
    """Prefix text that a spreadsheet would run as a formula with an apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` with every text cell and header neutralised."""
    safe = frame.copy()
    safe.columns = [str(neutralise_cell(str(column))) for column in safe.columns]
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = safe[column].map(neutralise_cell)
    return safe


def long_frame(round_: Round) -> pd.DataFrame:
    """Every answer: round, instrument and version, anonymous response id, item, value."""
    definitions = round_definitions(round_)
    versions = {instrument.id: instrument.version for instrument in definitions.instruments}
    answers = answers_frame(round_.id)
    background = respondents_frame(round_.id)
    frame = answers.merge(background, on="response_id", how="left")
    frame.insert(0, "round", round_.name)
    frame.insert(1, "round_id", round_.id)
    frame.insert(3, "instrument_version", frame["instrument_id"].map(versions).astype("Int64"))
    return frame.sort_values(["response_id", "instrument_id", "item_id"], ignore_index=True)


def wide_frame(round_: Round) -> pd.DataFrame:
    """One row per response, one column per item (instrument.item), plus the background."""
    long = long_frame(round_)
    if long.empty:
        return pd.DataFrame(columns=["response_id", "sector", "role"])
    long["column"] = long["instrument_id"] + "." + long["item_id"]
    long["answer"] = long["value"].astype(object).where(long["value"].notna(), long["text"])
    long.loc[long["dont_know"], "answer"] = "dk"
    wide = long.pivot(index="response_id", columns="column", values="answer")
    background = long.groupby("response_id")[["sector", "role"]].first()
    return background.join(wide).reset_index()


def codebook_frame(instruments: Iterable[Instrument]) -> pd.DataFrame:
    """Each item with its texts in both languages, scale, keying and what it measures."""
    rows = []
    for instrument in instruments:
        for section in instrument.sections:
            for item in section.items:
                scale = instrument.scales.get(item.scale) if item.scale else None
                measures = item.measures
                rows.append(
                    {
                        "instrument_id": instrument.id,
                        "instrument_version": instrument.version,
                        "section": section.id,
                        "item_id": item.id,
                        "kind": str(item.kind),
                        "text_da": item.text.get("da"),
                        "text_en": item.text.get("en"),
                        "scale": item.scale or "",
                        "points": scale.points if scale else None,
                        "labels_da": " | ".join(scale.labels.get("da", ())) if scale else "",
                        "labels_en": " | ".join(scale.labels.get("en", ())) if scale else "",
                        "dont_know": bool(scale and scale.dont_know),
                        "reverse": item.reverse,
                        "weight": item.weight,
                        "component": measures.component if measures else None,
                        "phase": measures.phase if measures else None,
                        "factor": measures.factor if measures else None,
                        "options": " | ".join(option.value for option in item.options),
                    }
                )
    return pd.DataFrame(rows)


def table(round_: Round, name: str, analysis: Analysis | None = None) -> pd.DataFrame:
    """One export table of a round, by name (see TABLES)."""
    if name == "long":
        return long_frame(round_)
    if name == "wide":
        return wide_frame(round_)
    if name == "codebook":
        return codebook_frame(round_definitions(round_).instruments)
    analysis = analysis or round_analysis(round_)
    if name == "scores":
        return analysis.result.to_frame("elements")
    if name == "items":
        return analysis.result.to_frame("items")
    raise ValueError(f"unknown table {name!r}; choose one of {', '.join(TABLES)}")


def to_csv(frame: pd.DataFrame) -> bytes:
    """CSV in UTF-8 with a byte-order mark, so spreadsheet programs read æ, ø and å."""
    buffer = io.StringIO()
    # RFC 4180 line ends: any field holding \r or \n is then quoted, so rows stay rows.
    neutralise_frame(frame).to_csv(
        buffer, index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n"
    )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(frames: dict[str, pd.DataFrame], notes: list[str] | None = None) -> bytes:
    """A workbook with one sheet per frame; text cells are values, never formulas."""
    workbook = Workbook()
    first = workbook.active
    if notes:
        first.title = "README"
        for line in notes:
            _append(first, [line])
    else:
        workbook.remove(first)
    for name, frame in frames.items():
        sheet = workbook.create_sheet(title=name[:31])
        _append(sheet, [str(column) for column in frame.columns])
        for row in frame.itertuples(index=False, name=None):
            _append(sheet, list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _append(sheet, values: list[object]) -> None:  # noqa: ANN001  (openpyxl worksheet)
    """Append a row; numbers stay numbers, all text is neutralised and stored as a string."""
    sheet.append([_xlsx_value(value) for value in values])
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = TYPE_STRING  # never a formula, whatever the text looks like


def _xlsx_value(value: object) -> object:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool | int | float):
        return value
    text = value if isinstance(value, str) else str(value)
    # Control characters are not allowed in XLSX and would make openpyxl refuse the file.
    return neutralise_cell(ILLEGAL_CHARACTERS_RE.sub("", text))


def raw_export_notes(round_: Round, k: int, n_responses: int) -> list[str]:
    """The warning that goes with raw answers: small groups can be recognised."""
    return [
        f"Round: {round_.name} ({round_.initiative.name})",
        f"Responses: {n_responses}. Minimum group size for results: {k}.",
        "Warning: raw answers are not protected by the minimum group size. Combined with "
        "sector and role, an answer can point to a person. Share only aggregated scores "
        "outside the backbone team.",
    ]


def zip_of_csv(frames: dict[str, pd.DataFrame]) -> bytes:
    """Several CSV tables in one zip file."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, frame in frames.items():
            archive.writestr(f"{name}.csv", to_csv(frame))
    return buffer.getvalue()


@dataclass(frozen=True)
class Download:
    """A file to send."""

    body: bytes
    mimetype: str
    filename: str


XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def download(round_: Round, table_name: str, file_format: str) -> Download:
    """One table of a round as CSV or XLSX; raw tables carry the small-group warning."""
    frame = table(round_, table_name)
    stem = f"round-{round_.id}-{table_name}"
    if file_format == "csv":
        return Download(to_csv(frame), "text/csv", f"{stem}.csv")
    notes = None
    if table_name in RAW_TABLES:
        notes = raw_export_notes(round_, round_.initiative.min_group_size, frame_responses(frame))
    return Download(to_xlsx({table_name: frame}, notes), XLSX_MIMETYPE, f"{stem}.xlsx")


def frame_responses(frame: pd.DataFrame) -> int:
    """Number of distinct responses in a raw table."""
    return int(frame["response_id"].nunique()) if "response_id" in frame else 0


def all_tables(round_: Round) -> dict[str, pd.DataFrame]:
    """Every export table of a round, scored once."""
    analysis = round_analysis(round_)
    return {name: table(round_, name, analysis) for name in TABLES}
