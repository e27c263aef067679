"""The assessment report: routes, isolation, languages, CLI, the resource gate, time limits."""

from __future__ import annotations

import re
import socket
import time
from pathlib import Path

import pytest
from flask import Flask
from flask_babel import force_locale
from flask_babel import gettext as babel_gettext
from markupsafe import escape

from survey_app.core.messages import format_number
from survey_app.extensions import db
from survey_app.models import Round
from survey_app.reports import render
from survey_app.reports.pdf import BLOCKED, ResourceGate, font_dir, html_to_pdf
from survey_app.services.results import round_analysis
from tests.conftest import csrf_token_from
from tests.report_helpers import INITIATIVE_NAME, Group, make_report_space
from tests.workspace_helpers import facilitator_client

SECTION_MSGIDS = (
    "Summary",
    "Phase-readiness profile",
    "Agreement among partners",
    "Strengths and weaknesses",
    "Resources",
    "Comments",
    "Comparison with earlier rounds",
    "Recommended next steps",
    "Discussion agenda for the meeting",
    "Method",
)
# A 1x1 PNG that this report did not draw: the gate must refuse it.
FOREIGN_PNG = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwAD"
    "hgGAWjR9awAAAABJRU5ErkJggg=="
)
SMALL_ROUND = (Group(6, "public", 3.4), Group(5, "private", 3.8))
INSTRUMENTS = ["readiness", "consensus", "collaboration", "resources"]


def translated(app: Flask, language: str, msgids: tuple[str, ...]) -> list[str]:
    """The msgids as the report prints them in `language` (before and after translation)."""
    with app.test_request_context(), force_locale(language):
        return [babel_gettext(msgid) for msgid in msgids]


def _space(app: Flask, rounds: int = 2, instruments: list[str] | None = None):  # noqa: ANN202
    return make_report_space(app, [SMALL_ROUND] * rounds, instruments=instruments or INSTRUMENTS)


def _pdf_token(client, round_id: int) -> str:  # noqa: ANN001
    return csrf_token_from(client.get(f"/rounds/{round_id}/report").get_data(True))


# ---------------------------------------------------------------------------- access


def test_report_routes_are_registered(app: Flask) -> None:
    rules = {rule.rule: rule.methods for rule in app.url_map.iter_rules()}
    assert "GET" in rules["/rounds/<int:round_id>/report"]
    assert rules["/rounds/<int:round_id>/report.pdf"] >= {"POST"}
    assert "GET" not in rules["/rounds/<int:round_id>/report.pdf"]


def test_anonymous_visitor_is_sent_to_login(app: Flask) -> None:
    space = _space(app, rounds=1, instruments=["consensus"])
    client = app.test_client()
    for method in ("GET", "POST"):
        url = f"/rounds/{space.round_ids[0]}/report" + (".pdf" if method == "POST" else "")
        response = client.open(url, method=method)
        assert response.status_code in (302, 400), (method, response.status_code)
        if response.status_code == 302:
            assert "/login" in response.headers["Location"]
    assert client.get(f"/rounds/{space.round_ids[0]}/report").status_code == 302


def test_foreign_facilitator_gets_404_on_report_routes(app: Flask) -> None:
    space = _space(app, rounds=1, instruments=["consensus"])
    outsider = facilitator_client(app, "outsider@example.org")
    token = csrf_token_from(outsider.get("/initiatives").get_data(True))
    round_id = space.round_ids[0]
    assert outsider.get(f"/rounds/{round_id}/report").status_code == 404
    assert outsider.get(f"/rounds/{round_id}/report?lang=en&compare=1").status_code == 404
    response = outsider.post(f"/rounds/{round_id}/report.pdf", data={"csrf_token": token})
    assert response.status_code == 404
    assert outsider.get("/rounds/999999/report").status_code == 404


def test_compare_ignores_rounds_of_other_initiatives_and_later_rounds(app: Flask) -> None:
    space = _space(app, rounds=3, instruments=["consensus"])
    other = make_report_space(
        app, [SMALL_ROUND], instruments=["consensus"], owner_email="other@example.org"
    )
    with app.app_context():
        db.session.get(Round, other.round_ids[0]).name = "Fremmed runde"
        db.session.commit()
    owner = facilitator_client(app, space.owner)
    first, middle, last = space.round_ids
    query = f"compare={other.round_ids[0]}&compare={last}&compare={first}"
    page = owner.get(f"/rounds/{middle}/report?{query}").get_data(True)
    assert "Fremmed runde" not in page
    compared = re.search(r"<th[^>]*>[^<]*</th><td>(Runde[^<]*)</td>", page)
    assert compared and compared.group(1) == "Runde 1 – forår"
    assert f'id="compare-{first}"' in page  # the picker offers earlier rounds only
    assert f'id="compare-{last}"' not in page and f'id="compare-{other.round_ids[0]}"' not in page


def test_csrf_token_is_required_for_the_pdf(app: Flask) -> None:
    space = _space(app, rounds=1, instruments=["consensus"])
    owner = facilitator_client(app, space.owner)
    response = owner.post(f"/rounds/{space.round_ids[0]}/report.pdf", data={})
    assert response.status_code == 400
    assert response.mimetype == "text/html"


# -------------------------------------------------------------------------- content


def test_html_report_shows_every_section_and_the_dashboard_figures(app: Flask) -> None:
    space = _space(app, rounds=2)
    owner = facilitator_client(app, space.owner)
    round_id = space.round_ids[-1]
    page = owner.get(f"/rounds/{round_id}/report?compare={space.round_ids[0]}")
    assert page.status_code == 200
    html = page.get_data(True)
    dashboard = owner.get(f"/rounds/{round_id}/results").get_data(True)
    for heading in translated(app, "da", SECTION_MSGIDS):
        assert f">{heading}</h2>" in html, heading
    assert INITIATIVE_NAME in html
    with app.app_context():
        analysis = round_analysis(db.session.get(Round, round_id))
    shown = [e for e in analysis.result.elements if e.stat is not None]
    assert shown
    for element in shown:
        if str(element.level) in ("component", "factor"):
            number = format_number(element.stat.mean, "da")
            assert number in html and number in dashboard, (element.id, number)
    assert "data:image/png;base64," in html  # charts inline: the CSP allows data: images
    assert "<script" not in html and "style=" not in html  # CSP: no inline scripts or styles
    assert f'action="/rounds/{round_id}/report.pdf"' in html
    assert page.headers["Content-Security-Policy"].startswith("default-src 'self'")


def test_report_language_defaults_to_the_initiative_and_can_be_chosen(app: Flask) -> None:
    space = _space(app, rounds=1, instruments=["readiness", "consensus"])
    owner = facilitator_client(app, space.owner)
    round_id = space.round_ids[0]
    danish = owner.get(f"/rounds/{round_id}/report").get_data(True)
    english = owner.get(f"/rounds/{round_id}/report?lang=en").get_data(True)
    assert '<html lang="da">' in danish and '<html lang="en">' in english
    assert "Vurdere parathed og facilitere dialog" in danish
    assert "Assess readiness and facilitate dialogue" in english
    with app.app_context():
        component = next(
            e
            for e in round_analysis(db.session.get(Round, round_id)).result.elements
            if str(e.level) == "component" and e.stat is not None
        )
    assert format_number(component.stat.mean, "da") in danish
    assert format_number(component.stat.mean, "en") in english
    assert owner.get(f"/rounds/{round_id}/report?lang=xx").status_code == 200


def test_dashboard_and_round_page_offer_the_report(app: Flask) -> None:
    space = _space(app, rounds=1, instruments=["consensus"])
    owner = facilitator_client(app, space.owner)
    round_id = space.round_ids[0]
    results = owner.get(f"/rounds/{round_id}/results").get_data(True)
    assert f'action="/rounds/{round_id}/report.pdf"' in results
    assert 'form="report-pdf"' in results
    assert f'href="/rounds/{round_id}/report"' in owner.get(f"/rounds/{round_id}").get_data(True)


def test_pdf_download_is_a_post_with_csrf(app: Flask) -> None:
    space = _space(app, rounds=1, instruments=["consensus"])
    owner = facilitator_client(app, space.owner)
    round_id = space.round_ids[0]
    token = csrf_token_from(owner.get(f"/rounds/{round_id}/results").get_data(True))
    response = owner.post(f"/rounds/{round_id}/report.pdf", data={"csrf_token": token})
    assert response.status_code == 200
    assert response.mimetype == "application/pdf" and response.data.startswith(b"%PDF")
    assert response.headers["Cache-Control"] == "no-store"
    disposition = response.headers["Content-Disposition"]
    assert f'filename="report-round-{round_id}-da.pdf"' in disposition


# ------------------------------------------------------------------------------- CLI


def test_cli_writes_pdf_and_standalone_html(app: Flask, tmp_path: Path) -> None:
    space = _space(app, rounds=2, instruments=["readiness", "consensus"])
    first, last = space.round_ids
    runner = app.test_cli_runner()
    pdf_file, html_file = tmp_path / "r.pdf", tmp_path / "r.html"
    common = ["report", "--round", str(last), "--compare", str(first)]
    result = runner.invoke(args=[*common, "--format", "pdf", "-o", str(pdf_file)])
    assert result.exit_code == 0, result.output
    assert pdf_file.read_bytes().startswith(b"%PDF")
    result = runner.invoke(args=[*common, "--lang", "en", "--format", "html", "-o", str(html_file)])
    assert result.exit_code == 0, result.output
    html = html_file.read_text(encoding="utf-8")
    assert '<html lang="en">' in html and "<style>" in html and "<form" not in html
    assert "Runde 1 – forår" in html
    missing = runner.invoke(args=["report", "--round", "999999", "--format", "pdf", "-o", "x"])
    assert missing.exit_code != 0 and "no round" in missing.output


# ------------------------------------------------------------------------- time limit


def _slow(*_args: object, **_kwargs: object) -> bytes:
    time.sleep(1.5)
    return b"%PDF-never"


def test_slow_pdf_gives_a_clear_503(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    space = _space(app, rounds=1, instruments=["consensus"])
    owner = facilitator_client(app, space.owner)
    round_id = space.round_ids[0]
    token = _pdf_token(owner, round_id)
    app.config["REPORT_TIMEOUT"] = 0.2
    render.clear_cache()
    monkeypatch.setattr(render, "html_to_pdf", _slow)
    started = time.monotonic()
    response = owner.post(f"/rounds/{round_id}/report.pdf", data={"csrf_token": token})
    assert time.monotonic() - started < 1.2  # the request does not wait for the renderer
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    body = response.get_data(True)
    expected = translated(app, "da", ("The report could not be made in time",))[0]
    assert expected in body and "503" in body


def test_slow_cli_report_fails_with_a_message(
    app: Flask, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    space = _space(app, rounds=1, instruments=["consensus"])
    app.config["REPORT_TIMEOUT"] = 0.2
    render.clear_cache()
    monkeypatch.setattr(render, "html_to_pdf", _slow)
    target = tmp_path / "r.pdf"
    result = app.test_cli_runner().invoke(
        args=["report", "--round", str(space.round_ids[0]), "--format", "pdf", "-o", str(target)]
    )
    assert result.exit_code != 0
    assert "took longer than 0.2 seconds" in result.output and "REPORT_TIMEOUT" in result.output
    assert not target.exists()


def test_timeout_runner_returns_results_and_errors() -> None:
    assert render.run_with_timeout(lambda: 42, 5) == 42
    with pytest.raises(ZeroDivisionError):
        render.run_with_timeout(lambda: 1 / 0, 5)
    with pytest.raises(render.ReportTimeout):
        render.run_with_timeout(lambda: time.sleep(0.5), 0.05)


# ------------------------------------------------------------------------ the gate


def test_resource_gate_serves_only_our_files(app: Flask, tmp_path: Path) -> None:
    static = Path(app.static_folder)
    gate = ResourceGate(static, "/static", {"heatmap": b"\x89PNG-bytes"})
    assert gate("/static/report-pdf.css") == str((static / "report-pdf.css").resolve())
    assert gate("report-font:DejaVuSans.ttf") == str(font_dir() / "DejaVuSans.ttf")
    assert gate("report-chart:heatmap") == b"\x89PNG-bytes"
    refused = [
        "http://169.254.169.254/latest/meta-data/",
        "https://example.org/x.png",
        "//example.org/x.png",
        "file:///etc/passwd",
        "/etc/passwd",
        "../../../../etc/passwd",
        "/static/../../../../etc/passwd",
        "/static/%2e%2e/config.py",
        "/static/",
        "/static/missing.css",
        "data:image/png;base64,iVBORw0KGgo=",
        "data:text/html,<script>alert(1)</script>",
        "report-font:../../../etc/passwd",
        "report-font:/etc/passwd",
        "report-chart:unknown",
        "ftp://example.org/x",
        "",
    ]
    for uri in refused:
        assert gate(uri) == BLOCKED, uri
    assert len(gate.refused) == len(refused)


def test_raw_hostile_markup_reaches_no_network_and_no_file(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Defence in depth: even markup that bypassed escaping fetches nothing."""
    connects: list[object] = []

    def refuse_connect(self: socket.socket, address: object) -> None:
        connects.append(address)
        raise OSError("network access in a report render")

    monkeypatch.setattr(socket.socket, "connect", refuse_connect)
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: refuse_connect(None, a))
    opened = _record_opens(monkeypatch)
    hostile = (
        "<html><head><style>@import url(http://169.254.169.254/a.css);"
        "body { background-image: url(/etc/passwd); }</style>"
        '<link rel="stylesheet" href="file:///etc/passwd"></head><body>'
        '<img src="http://169.254.169.254/latest/meta-data/">'
        '<img src="/etc/passwd"><img src="../../../../../etc/hostname">'
        f'<img src="{FOREIGN_PNG}">'
        "<p>Tekst med æøå</p></body></html>"
    )
    gate = ResourceGate(app.static_folder, "/static", {})
    pdf = html_to_pdf(hostile, gate, 20)
    assert pdf.startswith(b"%PDF")
    assert connects == []
    assert not [path for path in opened if path.startswith(("/etc", "file:"))]
    assert any("169.254.169.254" in uri for uri in gate.refused)
    assert "/etc/passwd" in gate.refused
    assert FOREIGN_PNG[:200] in gate.refused  # a data: URI we did not make is not loaded


def _record_opens(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    import builtins
    import io

    opened: list[str] = []
    real_open = builtins.open

    def recording_open(file: object, *args: object, **kwargs: object):  # noqa: ANN202
        opened.append(str(file))
        return real_open(file, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(builtins, "open", recording_open)
    monkeypatch.setattr(io, "open", recording_open)
    return opened


def test_report_of_a_round_with_too_few_answers(app: Flask) -> None:
    space = make_report_space(app, [(Group(3, "public"),)], instruments=["consensus"])
    owner = facilitator_client(app, space.owner)
    round_id = space.round_ids[0]
    html = owner.get(f"/rounds/{round_id}/report").get_data(True)
    needed = translated(app, "da", ("Method", "Phase-readiness profile"))
    assert "Der mangler 2 svar" in html and f">{needed[0]}</h2>" in html
    assert f">{needed[1]}</h2>" not in html and "data:image/png" not in html
    token = csrf_token_from(html)
    pdf = owner.post(f"/rounds/{round_id}/report.pdf", data={"csrf_token": token})
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_not_comparable_topics_are_listed_with_their_reason(app: Flask) -> None:
    space = make_report_space(app, [SMALL_ROUND], instruments=["consensus"])
    with app.app_context():
        from survey_app.models import Initiative
        from survey_app.services import rounds
        from tests.report_helpers import add_answers

        initiative = db.session.get(Initiative, space.initiative_id)
        later = rounds.create_round(initiative, "Runde 2", ["consensus", "resources"])
        rounds.open_round(later)
        add_answers(later, SMALL_ROUND, seed=7)
        rounds.close_round(later)
        db.session.commit()
        later_id = later.id
    owner = facilitator_client(app, space.owner)
    html = owner.get(f"/rounds/{later_id}/report?compare={space.round_ids[0]}").get_data(True)
    only_later = translated(app, "da", ("only in the later round",))[0]
    assert f"({only_later})" in html
    assert "only_in_later_round" not in html
    # Named as partners read them, on the report and on the comparison page alike.
    with app.app_context():
        from survey_app.services.definitions import current_library

        resources = current_library().instruments["resources"]
        first_item = next(item for item in resources.items() if item.kind == "scale")
        factor = resources.factors[0]
    compare_page = owner.get(
        f"/initiatives/{space.initiative_id}/compare?rounds={space.round_ids[0]}&rounds={later_id}"
    ).get_data(True)
    for page in (html, compare_page):
        assert f"<li>{escape(first_item.text.get('da'))} <span" in page
        assert f"<li>{escape(factor.name.get('da'))} <span" in page
        assert "<li>resources/" not in page
