"""The report as a PDF: sections, the dashboard's and the export's numbers, fonts,
suppression, hostile comments, greyscale pages (written to test-artifacts/report/)."""

from __future__ import annotations

import io
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest
from flask import Flask
from PIL import Image
from pypdf import PdfReader
from xhtml2pdf import pisa  # noqa: F401  (imported here: its settings file is read at import)

from survey_app.core.messages import format_number
from survey_app.extensions import db
from survey_app.models import Round
from survey_app.reports import render
from survey_app.reports.pdf import font_dir
from survey_app.services.results import round_analysis
from tests.conftest import _empty_all_tables, csrf_token_from, make_app
from tests.report_helpers import INITIATIVE_NAME, Group, make_report_space
from tests.test_report import INSTRUMENTS, SECTION_MSGIDS, translated
from tests.workspace_helpers import facilitator_client

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts" / "report"
REDOS_COLOUR = '<font color="#' + "0" * 50000 + 'x">'
HOSTILE = (
    '<img src="http://169.254.169.254/">',
    '<img src="/etc/passwd">',
    '<font color="' + "[" * 40 + "]" * 40 + '">',
    REDOS_COLOUR,
    "Godt samarbejde – men vi mangler tid & penge.",
)
# public 9 and private 8 shown; citizen 2 hidden (fewer than k = 5); civil society 6
# hidden too, or the citizens' figures could be worked out from the total.
GROUPS = (
    Group(9, "public", 3.6),
    Group(8, "private", 3.9),
    Group(6, "civil_society", 3.3),
    Group(2, "citizen", fixed=1),
)


@dataclass
class Rendered:
    """One downloaded report and what it was made from."""

    app: Flask
    round_id: int
    pdf: bytes
    text: str
    dashboard: str
    scores: pd.DataFrame
    connects: list[object]
    opened: list[str]
    seconds: float


def _download(client, url: str, data: dict[str, object]) -> bytes:  # noqa: ANN001
    response = client.post(url, data=data)
    assert response.status_code == 200, response.status_code
    return response.data


def _watch_io(monkeypatch: pytest.MonkeyPatch) -> tuple[list[object], list[str]]:
    """Record (and refuse) every network connection; record every file opened."""
    import builtins

    connects: list[object] = []
    opened: list[str] = []

    def refuse(*args: object, **kwargs: object) -> None:
        connects.append(args[1:] or args)
        raise OSError("no network in a report render")

    real_open = builtins.open

    def recording_open(file: object, *args: object, **kwargs: object):  # noqa: ANN202
        opened.append(str(file))
        return real_open(file, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    monkeypatch.setattr(builtins, "open", recording_open)
    monkeypatch.setattr(io, "open", recording_open)
    return connects, opened


@pytest.fixture(scope="module")
def rendered(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rendered]:
    """A Danish report of the second of two rounds, downloaded once through the route."""
    app = make_app(database_url, tmp_path_factory.mktemp("report-instance"))
    try:
        yield _render(app)
    finally:
        with app.app_context():
            _empty_all_tables()
            db.engine.dispose()


def _render(app: Flask) -> Rendered:
    space = make_report_space(
        app,
        [GROUPS, GROUPS],
        instruments=INSTRUMENTS,
        comments=HOSTILE,
        comment_every=3,
        comment_items=2,
        codes=(12, 30),
    )
    first, last = space.round_ids
    owner = facilitator_client(app, space.owner)
    dashboard = owner.get(f"/rounds/{last}/results").get_data(True)
    token = csrf_token_from(dashboard)
    export = {"csrf_token": token, "table": "scores", "file_format": "csv"}
    scores = pd.read_csv(io.BytesIO(_download(owner, f"/rounds/{last}/export", export)))
    render.clear_cache()  # convert for real, with the watch on
    with pytest.MonkeyPatch.context() as monkeypatch:
        connects, opened = _watch_io(monkeypatch)
        started = time.monotonic()
        data = {"csrf_token": token, "compare": str(first)}
        pdf = _download(owner, f"/rounds/{last}/report.pdf", data)
        seconds = time.monotonic() - started
    text = "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages)
    return Rendered(app, last, pdf, text, dashboard, scores, connects, opened, seconds)


def test_pdf_has_every_section_and_the_cover_facts(rendered: Rendered) -> None:
    assert rendered.pdf.startswith(b"%PDF")
    for heading in translated(rendered.app, "da", SECTION_MSGIDS):
        assert heading in rendered.text, heading
    assert INITIATIVE_NAME in rendered.text  # æ, ø and å survive as text
    assert all(letter in rendered.text for letter in "æøåÆØÅ")
    assert "Runde 2 – forår" in rendered.text and "Runde 1 – forår" in rendered.text
    assert "12" in rendered.text and "30" in rendered.text and "40 %" in rendered.text


def test_pdf_numbers_equal_the_dashboard_and_the_scores_export(rendered: Rendered) -> None:
    with rendered.app.app_context():
        analysis = round_analysis(db.session.get(Round, rendered.round_id))
    scores = rendered.scores
    overall = scores[scores["breakdown"] == "all"] if "breakdown" in scores else scores
    checked = 0
    for element in analysis.result.elements:
        if element.stat is None or str(element.level) not in ("component", "factor"):
            continue
        row = overall[
            (overall["level"] == str(element.level)) & (overall["element_id"] == element.id)
        ]
        exported = format_number(float(row["mean"].iloc[0]), "da")
        shown = format_number(element.stat.mean, "da")
        assert exported == shown
        assert shown in rendered.dashboard, element.id
        assert shown in rendered.text, element.id
        checked += 1
    assert checked >= 20


def test_pdf_never_shows_a_suppressed_group(rendered: Rendered) -> None:
    assert re.search(r"n=9\b", rendered.text) and re.search(r"n=8\b", rendered.text)
    assert not re.search(r"n=2\b", rendered.text)  # citizens: fewer than k
    assert not re.search(r"n=6\b", rendered.text)  # civil society: hidden so citizens stay so
    hidden = translated(rendered.app, "da", ("hidden (fewer than %(k)d)",))[0] % {"k": 5}
    assert hidden.split(" (")[0] in rendered.text
    assert not re.search(r"1,00\s*n=", rendered.text)  # the citizens answered 1 throughout


def test_hostile_comments_are_printed_as_text_and_fetch_nothing(rendered: Rendered) -> None:
    flat = _squeezed(rendered.text)  # text extraction breaks lines at spaces
    for expected in HOSTILE[:3]:
        assert _squeezed(expected) in flat, expected
    assert _squeezed(REDOS_COLOUR)[:40] in flat
    assert flat.count("0" * 1000) >= 1  # the 50,000 zeros are printed, not parsed
    assert "tid&penge" in flat
    assert rendered.connects == []
    assert rendered.seconds < 30
    assert not [path for path in rendered.opened if path.startswith("/etc")]
    allowed = _allowed_roots(rendered.app)
    outside = [path for path in rendered.opened if not path.startswith(allowed)]
    assert outside == []


def _squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _allowed_roots(app: Flask) -> tuple[str, ...]:
    return (
        str(Path(app.static_folder).resolve()),
        str(font_dir()),
        sys.prefix,
        sys.base_prefix,
        tempfile.gettempdir(),
        matplotlib.get_cachedir(),
        matplotlib.get_configdir(),
        str(ROOT / "survey_app"),
    )


def test_pdf_text_is_drawn_in_embedded_dejavu(rendered: Rendered) -> None:
    """Every character is drawn in an embedded DejaVu face (list bullets in base-14 Symbol)."""
    reader = PdfReader(io.BytesIO(rendered.pdf))
    drawn: dict[str, set[str]] = {}
    embedded: dict[str, bool] = {}

    def visit(text: str, _cm: object, _tm: object, font: object, _size: object) -> None:
        if font is None or not text.strip():
            return
        name = str(font["/BaseFont"])  # type: ignore[index]
        drawn.setdefault(name, set()).update(text.strip())
        embedded[name] = _is_embedded(font)

    for page in reader.pages:
        page.extract_text(visitor_text=visit)
    dejavu = [name for name in drawn if "DejaVu" in name]
    assert dejavu and all(embedded[name] for name in dejavu), embedded
    others = {name: chars for name, chars in drawn.items() if name not in dejavu}
    assert set(others) <= {"/Symbol"} and all(chars <= {"•"} for chars in others.values())
    assert set("æøåÆØÅ") <= set().union(*(drawn[name] for name in dejavu))


def _is_embedded(font: object) -> bool:
    font = font.get_object()  # type: ignore[attr-defined]
    descriptor = font.get("/FontDescriptor")
    if descriptor is None and "/DescendantFonts" in font:
        descriptor = font["/DescendantFonts"][0].get_object().get("/FontDescriptor")
    return descriptor is not None and "/FontFile2" in descriptor.get_object()


def test_pdf_pages_render_in_greyscale(rendered: Rendered) -> None:
    """The first pages as PNG (for a person to look at) and a check they carry no colour."""
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed; CI installs it")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("page-*.png"):
        old.unlink()
    source = ARTIFACTS / "report.pdf"
    source.write_bytes(rendered.pdf)
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "70",
            "-png",
            "-f",
            "1",
            "-l",
            "6",
            str(source),
            str(ARTIFACTS / "page"),
        ],
        check=True,
        timeout=60,
    )
    pages = sorted(ARTIFACTS.glob("page-*.png"))
    assert len(pages) == 6
    for path in pages:
        with Image.open(path) as image:
            width, height = image.size
            assert abs(height / width - 297 / 210) < 0.01  # A4 portrait
            rgb = np.asarray(image.convert("RGB"), dtype=np.int16)
            spread = int((rgb.max(axis=2) - rgb.min(axis=2)).max())
            assert spread <= 12, (path.name, spread)
