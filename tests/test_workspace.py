"""The facilitator workspace: isolation, round states, distribution, dashboard, exports."""

from __future__ import annotations

import io
import re

import pandas as pd
import pytest
from flask import Flask
from openpyxl import load_workbook
from PIL import Image
from sqlalchemy import func, select

from survey_app.extensions import db
from survey_app.models import InvitationCode, Round, RoundStatus
from survey_app.services import rounds
from survey_app.services.results import round_analysis
from tests.conftest import csrf_token_from
from tests.workspace_helpers import facilitator_client, make_workspace

ID_ARGUMENTS = ("initiative_id", "round_id", "membership_id")


def _id_routes(app: Flask) -> list[tuple[str, set[str], str]]:
    """(rule, methods, endpoint) of every workspace route that takes an id."""
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("workspace.") and set(rule.arguments) & set(ID_ARGUMENTS):
            routes.append((rule.rule, set(rule.methods or ()) - {"HEAD", "OPTIONS"}, rule.endpoint))
    return routes


def _fill(rule: str, initiative_id: int, round_id: int) -> str:
    url = rule.replace("<int:initiative_id>", str(initiative_id))
    url = url.replace("<int:round_id>", str(round_id)).replace("<int:membership_id>", "1")
    url = re.sub(r"<any\(([a-z]+)[^>]*\):\w+>", lambda m: m.group(1), url)
    return url


def test_routes_with_ids_are_enumerated(app: Flask) -> None:
    endpoints = {endpoint for _rule, _methods, endpoint in _id_routes(app)}
    assert {
        "workspace.results",
        "workspace.export_download",
        "workspace.compare",
        "workspace.round_qr",
        "workspace.codes_csv",
        "workspace.members",
    } <= endpoints


def test_foreign_facilitator_gets_404_on_every_id_route(app: Flask) -> None:
    space = make_workspace(app, responses=(6,), instruments=["consensus"])
    outsider = facilitator_client(app, "outsider@example.org")
    page = outsider.get("/initiatives").get_data(True)
    token = csrf_token_from(page)
    checked = 0
    for rule, methods, _endpoint in _id_routes(app):
        url = _fill(rule, space.initiative_id, space.round_ids[0])
        for method in methods:
            data = {"csrf_token": token, "table": "scores", "file_format": "csv"}
            response = outsider.open(url, method=method, data=data if method == "POST" else None)
            assert response.status_code == 404, (method, url, response.status_code)
            checked += 1
    assert checked >= 20
    with app.app_context():
        round_ = db.session.get(Round, space.round_ids[0])
        assert round_.status is RoundStatus.CLOSED  # no POST got through


def test_owner_sees_every_id_route(app: Flask) -> None:
    space = make_workspace(app, responses=(6,), instruments=["consensus"])
    owner = facilitator_client(app, space.owner)
    for rule, methods, _endpoint in _id_routes(app):
        if "GET" in methods:
            url = _fill(rule, space.initiative_id, space.round_ids[0])
            assert owner.get(url).status_code == 200, url


def test_anonymous_visitor_is_sent_to_login(app: Flask) -> None:
    space = make_workspace(app, responses=(6,), instruments=["consensus"])
    client = app.test_client()
    for rule, methods, _endpoint in _id_routes(app):
        if "GET" in methods:
            response = client.get(_fill(rule, space.initiative_id, space.round_ids[0]))
            assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_admin_sees_every_initiative(app: Flask) -> None:
    from survey_app.models import Role

    space = make_workspace(app, responses=(6,), instruments=["consensus"])
    admin = facilitator_client(app, "admin@example.org", role=Role.ADMIN)
    assert admin.get(f"/rounds/{space.round_ids[0]}/results").status_code == 200


def test_round_state_machine(app: Flask) -> None:
    space = make_workspace(app, responses=(), instruments=["consensus"])
    owner = facilitator_client(app, space.owner)
    page = owner.get(f"/initiatives/{space.initiative_id}/rounds/new").get_data(True)
    created = owner.post(
        f"/initiatives/{space.initiative_id}/rounds/new",
        data={
            "csrf_token": csrf_token_from(page),
            "name": "Forår 2027",
            "instruments": ["consensus"],
        },
    )
    round_id = int(created.headers["Location"].rsplit("/", 1)[1])

    def act(action: str) -> RoundStatus:
        token = csrf_token_from(owner.get(f"/rounds/{round_id}").get_data(True))
        owner.post(f"/rounds/{round_id}/{action}", data={"csrf_token": token})
        with app.app_context():
            return db.session.get(Round, round_id).status

    assert act("close") is RoundStatus.DRAFT  # a draft cannot be closed
    assert act("open") is RoundStatus.OPEN
    assert act("open") is RoundStatus.OPEN
    assert act("close") is RoundStatus.CLOSED
    assert act("reopen") is RoundStatus.OPEN
    with app.app_context():
        assert rounds.instruments_locked(db.session.get(Round, round_id))


def test_instruments_cannot_change_once_the_round_has_responses(app: Flask) -> None:
    space = make_workspace(app, responses=(5,), instruments=["consensus"])
    owner = facilitator_client(app, space.owner)
    url = f"/rounds/{space.round_ids[0]}/edit"
    token = csrf_token_from(owner.get(url).get_data(True))
    owner.post(url, data={"csrf_token": token, "name": "Nyt navn", "instruments": ["resources"]})
    with app.app_context():
        round_ = db.session.get(Round, space.round_ids[0])
        assert round_.name == "Nyt navn"
        assert [entry.instrument_id for entry in round_.instruments] == ["consensus"]


def test_qr_code_decodes_to_the_round_url(app: Flask) -> None:
    import zxingcpp

    space = make_workspace(app, responses=(0,), instruments=["consensus"])
    owner = facilitator_client(app, space.owner)
    with app.app_context():
        token = db.session.get(Round, space.round_ids[0]).link_token
    png = owner.get(f"/rounds/{space.round_ids[0]}/qr.png")
    assert png.mimetype == "image/png"
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.data)))
    assert [result.text for result in decoded] == [f"http://localhost/s/{token}"]
    svg = owner.get(f"/rounds/{space.round_ids[0]}/qr.svg")
    assert svg.mimetype == "image/svg+xml" and b"<svg" in svg.data


def test_code_sheet_holds_n_distinct_codes(app: Flask) -> None:
    space = make_workspace(app, responses=(0,), instruments=["consensus"])
    owner = facilitator_client(app, space.owner)
    round_id = space.round_ids[0]
    token = csrf_token_from(owner.get(f"/rounds/{round_id}/distribute").get_data(True))
    owner.post(f"/rounds/{round_id}/codes", data={"csrf_token": token, "count": "25"})
    sheet = owner.get(f"/rounds/{round_id}/codes/print").get_data(True)
    codes = re.findall(r'class="slip-code">([A-Z0-9-]+)<', sheet)
    assert len(codes) == 25 and len(set(codes)) == 25
    assert all(
        re.fullmatch(r"[2-9A-HJKMNP-TW-Z]{4}-[2-9A-HJKMNP-TW-Z]{4}-[2-9A-HJKMNP-TW-Z]{2}", c)
        for c in codes
    )
    download = owner.get(f"/rounds/{round_id}/codes.csv")
    assert download.headers["Cache-Control"] == "no-store"  # the codes are secrets
    frame = pd.read_csv(io.BytesIO(download.data))
    assert sorted(frame["code"]) == sorted(codes)
    with app.app_context():
        total = db.session.scalar(select(func.count(InvitationCode.id)))
        assert total == 25


def test_new_codes_never_repeat_a_code_of_any_round(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    space = make_workspace(app, responses=(0,), instruments=["consensus"])
    drawn = iter(["AAAA-AAAA-AA", "AAAA-AAAA-AA", "BBBB-BBBB-BB", "BBBB-BBBB-BB", "CCCC-CCCC-CC"])
    with app.app_context():
        other = db.session.get(Round, space.round_ids[0])
        db.session.add(InvitationCode(round_id=other.id, code="AAAA-AAAA-AA"))
        db.session.flush()
        monkeypatch.setattr(rounds, "new_code", lambda: next(drawn))
        assert rounds.generate_codes(other, 2) == ["BBBB-BBBB-BB", "CCCC-CCCC-CC"]
        assert db.session.scalar(select(func.count(InvitationCode.id))) == 3


def test_distribution_page_counts_used_codes_only(app: Flask) -> None:
    space = make_workspace(app, responses=(0,), instruments=["consensus"])
    with app.app_context():
        round_ = db.session.get(Round, space.round_ids[0])
        rounds.generate_codes(round_, 4)
        db.session.execute(
            db.update(InvitationCode)
            .where(InvitationCode.id.in_(db.select(InvitationCode.id).limit(1)))
            .values(used=True)
        )
        db.session.commit()
    owner = facilitator_client(app, space.owner)
    page = owner.get(f"/rounds/{space.round_ids[0]}/distribute").get_data(True)
    assert "1 af 4 koder er brugt" in page


def test_live_status_says_how_many_more_are_needed(app: Flask) -> None:
    space = make_workspace(app, responses=(3,), instruments=["consensus"])
    owner = facilitator_client(app, space.owner)
    page = owner.get(f"/rounds/{space.round_ids[0]}").get_data(True)
    assert "Der mangler 2 svar" in page
    results = owner.get(f"/rounds/{space.round_ids[0]}/results").get_data(True)
    assert "Der mangler 2 svar" in results
    assert "Hvor initiativet står" not in results


def _download(client, round_id: int, table: str, file_format: str) -> bytes:  # noqa: ANN001
    token = csrf_token_from(client.get(f"/rounds/{round_id}/exports").get_data(True))
    response = client.post(
        f"/rounds/{round_id}/export",
        data={"csrf_token": token, "table": table, "file_format": file_format},
    )
    assert response.status_code == 200
    return response.data


def test_exports_give_the_dashboard_numbers(app: Flask) -> None:
    space = make_workspace(app, responses=(9,), instruments=["consensus"])
    owner = facilitator_client(app, space.owner)
    round_id = space.round_ids[0]
    dashboard = owner.get(f"/rounds/{round_id}/results").get_data(True)
    scores_csv = pd.read_csv(io.BytesIO(_download(owner, round_id, "scores", "csv")))
    scores_xlsx = pd.read_excel(
        io.BytesIO(_download(owner, round_id, "scores", "xlsx")), sheet_name="scores"
    )
    with app.app_context():
        analysis = round_analysis(db.session.get(Round, round_id))
    for element in analysis.result.elements:
        if element.stat is None:
            continue
        row = scores_csv[
            (scores_csv["level"] == str(element.level)) & (scores_csv["element_id"] == element.id)
        ]
        row_x = scores_xlsx[
            (scores_xlsx["level"] == str(element.level)) & (scores_xlsx["element_id"] == element.id)
        ]
        overall = row[row["breakdown"] == "all"] if "breakdown" in row else row
        overall_x = row_x[row_x["breakdown"] == "all"] if "breakdown" in row_x else row_x
        assert overall["mean"].iloc[0] == pytest.approx(element.stat.mean, abs=1e-9)
        assert overall_x["mean"].iloc[0] == pytest.approx(element.stat.mean, abs=1e-9)
    # The dashboard prints the same means (two decimals, decimal comma).
    from survey_app.core.messages import format_number

    for row in analysis.result.factors():
        if row.stat is not None:
            assert format_number(row.stat.mean, "da") in dashboard


def test_long_export_reads_back_to_the_stored_answers(app: Flask) -> None:
    space = make_workspace(app, responses=(6,), instruments=["consensus"])
    owner = facilitator_client(app, space.owner)
    long = pd.read_csv(io.BytesIO(_download(owner, space.round_ids[0], "long", "csv")))
    assert long["response_id"].nunique() == 6
    assert set(long.columns) >= {
        "round",
        "instrument_id",
        "instrument_version",
        "response_id",
        "item_id",
        "value",
        "sector",
        "role",
    }
    workbook = load_workbook(io.BytesIO(_download(owner, space.round_ids[0], "long", "xlsx")))
    assert "README" in workbook.sheetnames
    assert "minimum group size" in " ".join(str(c.value) for c in workbook["README"]["A"])


def test_codebook_has_both_languages(app: Flask) -> None:
    space = make_workspace(app, responses=(5,), instruments=["consensus"])
    owner = facilitator_client(app, space.owner)
    codebook = pd.read_csv(io.BytesIO(_download(owner, space.round_ids[0], "codebook", "csv")))
    assert {"text_da", "text_en", "reverse", "component", "phase", "factor"} <= set(
        codebook.columns
    )
    assert codebook["text_da"].notna().all() and codebook["text_en"].notna().all()


def test_suppression_is_identical_in_dashboard_and_exports(app: Flask) -> None:
    space = make_workspace(app, responses=(4,), instruments=["consensus"])
    owner = facilitator_client(app, space.owner)
    scores = pd.read_csv(io.BytesIO(_download(owner, space.round_ids[0], "scores", "csv")))
    assert scores["mean"].isna().all()  # 4 < k = 5: nothing is shown anywhere
    assert "Der mangler 1 svar" in owner.get(f"/rounds/{space.round_ids[0]}/results").get_data(True)


def test_compare_shows_phase_movement_and_changes(app: Flask) -> None:
    space = make_workspace(app, responses=(8, 9, 10), instruments=["consensus", "readiness"])
    owner = facilitator_client(app, space.owner)
    query = "&".join(f"rounds={round_id}" for round_id in space.round_ids)
    page = owner.get(f"/initiatives/{space.initiative_id}/compare?{query}").get_data(True)
    assert "Runde 1" in page and "Runde 3" in page
    assert "<svg" in page and "polyline" in page
    assert page.count("<tr>") > 10


def test_demo_command_creates_rounds(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "demo@example.org" in result.output and "/s/" in result.output
    with app.app_context():
        statuses = list(db.session.scalars(select(Round.status).order_by(Round.id)))
        assert statuses == [RoundStatus.CLOSED] * 3 + [RoundStatus.OPEN]
        phases = [
            round_analysis(r).profile.phase
            for r in db.session.scalars(select(Round).order_by(Round.id))
        ]
    assert phases[-1] > phases[0]  # the collaboration visibly improves


def test_export_command_writes_xlsx(app: Flask, tmp_path) -> None:
    space = make_workspace(app, responses=(6,), instruments=["consensus"])
    target = tmp_path / "round.xlsx"
    result = app.test_cli_runner().invoke(
        args=["export", "--round", str(space.round_ids[0]), "--format", "xlsx", "-o", str(target)]
    )
    assert result.exit_code == 0, result.output
    workbook = load_workbook(target)
    assert {"README", "long", "wide", "scores", "items", "codebook"} <= set(workbook.sheetnames)
