"""The instrument library: preview, upload, versions, diff, download."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from survey_app.core.comparison import compare_rounds
from survey_app.core.diff import ChangeKind
from survey_app.core.loader import content_hash
from survey_app.extensions import db
from survey_app.models import Role, Round, UploadedInstrument
from survey_app.services import initiatives, rounds
from survey_app.services.definitions import current_library
from survey_app.services.results import round_analysis
from tests.conftest import csrf_token_from
from tests.workspace_helpers import add_responses, facilitator_client

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "library"
V1 = (FIXTURES / "pilot_v1.yaml").read_text(encoding="utf-8")
V2 = (FIXTURES / "pilot_v2.yaml").read_text(encoding="utf-8")


def _row_counts(app: Flask) -> dict[str, int]:
    with app.app_context():
        return {
            table.name: db.session.scalar(select(func.count()).select_from(table))
            for table in db.metadata.sorted_tables
        }


def _upload(client: FlaskClient, text: str, filename: str = "pilot.yaml"):  # noqa: ANN202
    token = csrf_token_from(client.get("/library/upload").get_data(True))
    data = {"csrf_token": token, "file": (io.BytesIO(text.encode("utf-8")), filename)}
    return client.post("/library/upload", data=data, content_type="multipart/form-data")


@pytest.fixture()
def admin(app: Flask) -> FlaskClient:
    return facilitator_client(app, "admin@example.org", role=Role.ADMIN)


def test_library_lists_every_instrument_with_size_and_coverage(app: Flask) -> None:
    client = facilitator_client(app, "fac@example.org")
    page = client.get("/library/").get_data(True)
    with app.app_context():
        library = current_library()
        for instrument in library.instruments.values():
            assert instrument.title.get("da") in page
    assert "16 milepælsceller" in page  # the readiness instrument covers every cell


def test_preview_stores_nothing(app: Flask) -> None:
    client = facilitator_client(app, "fac@example.org")
    before = _row_counts(app)
    page = client.get("/library/consensus/1/preview?lang=da")
    html = page.get_data(True)
    assert page.status_code == 200
    assert "Forhåndsvisning" in html and 'class="item likert' in html
    token = csrf_token_from(html)
    response = client.post(
        "/library/consensus/1/preview?page=1",
        data={"csrf_token": token, "q_problem_1": "4", "action": "next"},
    )
    assert response.status_code == 302 and "page=2" in response.headers["Location"]
    invalid = client.post(
        "/library/consensus/1/preview?page=1", data={"csrf_token": token, "q_problem_1": "9"}
    )
    assert "Ret venligst følgende" in invalid.get_data(True)
    assert _row_counts(app) == before


def test_upload_with_errors_saves_nothing_and_shows_line_and_field(
    admin: FlaskClient, app: Flask
) -> None:
    broken = V1.replace(
        "scale: agree5\n        text: {da: Vi lytter", "scale: agree7\n        text: {da: Vi lytter"
    )
    broken = broken.replace("version: 1", "version: one")
    response = _upload(admin, broken)
    body = response.get_data(True)
    assert response.status_code == 422
    assert "Intet blev gemt" in body or "Nothing was saved" in body
    version_line = broken.splitlines().index("version: one") + 1
    scale_line = next(n for n, line in enumerate(broken.splitlines(), 1) if "agree7" in line)
    assert f"Linje {version_line}" in body and "<code>version</code>" in body
    assert f"Linje {scale_line}" in body and "scale</code>" in body
    assert "agree7" in body  # the file's own lines are shown around the error
    with app.app_context():
        assert db.session.scalar(select(func.count(UploadedInstrument.id))) == 0


def test_only_admins_upload(app: Flask) -> None:
    client = facilitator_client(app, "fac@example.org")
    assert client.get("/library/upload").status_code == 403


def test_upload_stores_a_new_instrument_and_it_can_be_used(admin: FlaskClient, app: Flask) -> None:
    response = _upload(admin, V1)
    assert response.status_code == 302
    with app.app_context():
        stored = db.session.scalars(select(UploadedInstrument)).one()
        assert (stored.instrument_id, stored.version) == ("pilot", 1)
        assert stored.content_hash == content_hash(V1)
        assert "pilot" in current_library().instruments


def test_a_used_version_cannot_be_overwritten(admin: FlaskClient, app: Flask) -> None:
    assert _upload(admin, V1).status_code == 302
    with app.app_context():
        owner = db.session.scalars(
            select(__import__("survey_app.models", fromlist=["User"]).User)
        ).first()
        initiative = initiatives.create_initiative(owner, "Pilot")
        rounds.open_round(rounds.create_round(initiative, "Runde 1", ["pilot"]))
        db.session.commit()
    changed = V1.replace("Vi mødes ofte nok.", "Vi mødes tit nok.")
    response = _upload(admin, changed)
    assert response.status_code == 422
    assert "ny version" in response.get_data(True) or "new version" in response.get_data(True)
    with app.app_context():
        assert db.session.scalars(select(UploadedInstrument)).one().content_hash == content_hash(V1)
    assert _upload(admin, changed.replace("version: 1", "version: 3")).status_code == 302


def test_a_shipped_version_cannot_be_overwritten(admin: FlaskClient) -> None:
    shipped = (Path("instruments") / "consensus.yaml").read_text(encoding="utf-8")
    response = _upload(admin, shipped.replace("Er vi enige om retningen?", "Er vi enige?"))
    assert response.status_code == 422


def test_downloaded_version_reuploads_identical(admin: FlaskClient, app: Flask) -> None:
    _upload(admin, V1)
    downloaded = admin.get("/library/pilot/1.yaml")
    assert downloaded.status_code == 200 and downloaded.data.decode() == V1
    again = _upload(admin, downloaded.data.decode(), filename="pilot-v1.yaml")
    assert again.status_code == 302
    assert "uændret" in admin.get(again.headers["Location"]).get_data(True)
    shipped = admin.get("/library/consensus/1.yaml").data.decode()
    assert content_hash(shipped) == content_hash(Path("instruments/consensus.yaml").read_text())


def test_diff_finds_every_kind_of_change(admin: FlaskClient, app: Flask) -> None:
    _upload(admin, V1)
    _upload(admin, V2)
    from survey_app.services import library

    with app.app_context():
        result = library.diff("pilot", 1, 2)
    kinds = {item.item_id: set(item.changes) for item in result.items}
    assert kinds == {
        "unchanged": set(),
        "reworded": {ChangeKind.REWORDED},
        "rescaled": {ChangeKind.RESCALED},
        "moved": {ChangeKind.MOVED},
        "rekeyed": {ChangeKind.REKEYED},
        "added": {ChangeKind.ADDED},
        "removed": {ChangeKind.REMOVED},
    }
    page = admin.get("/library/pilot/diff?a=1&b=2").get_data(True)
    assert "Vi lytter til hinanden." in page and "Vi lytter virkelig til hinanden." in page
    assert "We really listen to each other." in page
    assert "6 spørgsmål er ændret" in page


def test_comparison_leaves_out_exactly_what_the_diff_marks_changed(
    admin: FlaskClient, app: Flask
) -> None:
    _upload(admin, V1)
    with app.app_context():
        from survey_app.models import User

        owner = db.session.scalars(select(User)).first()
        initiative = initiatives.create_initiative(owner, "Pilot")
        first = rounds.create_round(initiative, "Runde 1", ["pilot"])
        rounds.open_round(first)
        add_responses(first, 8, seed=1)
        rounds.close_round(first)
        db.session.commit()
        first_id = first.id
    _upload(admin, V2)
    with app.app_context():
        initiative = db.session.get(Round, first_id).initiative
        second = rounds.create_round(initiative, "Runde 2", ["pilot"])
        rounds.open_round(second)
        add_responses(second, 8, seed=2)
        db.session.commit()
        from survey_app.services import library

        diff = library.diff("pilot", 1, 2)
        comparison = compare_rounds(
            round_analysis(db.session.get(Round, first_id)).result, round_analysis(second).result
        )
    left_out = {
        entry.id.split("/")[-1] for entry in comparison.not_comparable if entry.kind == "item"
    }
    compared = {change.id.split("/")[-1] for change in comparison.items}
    assert left_out == {item.item_id for item in diff.changed}
    assert compared == {item.item_id for item in diff.items if not item.changed}


def test_codebook_of_a_version(admin: FlaskClient) -> None:
    import pandas as pd

    download = admin.get("/library/resources/1/codebook.csv")
    assert download.headers["Cache-Control"] == "no-store"
    assert download.headers["Content-Disposition"] == (
        'attachment; filename="codebook-resources-v1.csv"'
    )
    frame = pd.read_csv(io.BytesIO(download.data))
    assert set(frame["instrument_id"]) == {"resources"}
    assert frame["text_en"].notna().all()


def test_upload_that_is_not_utf8_names_the_line(admin: FlaskClient) -> None:
    token = csrf_token_from(admin.get("/library/upload").get_data(True))
    raw = io.BytesIO("kind: instrument\nid: pilot\ntitle: {da: Bl\u00e5}\n".encode("latin-1"))
    response = admin.post(
        "/library/upload",
        data={"csrf_token": token, "file": (raw, "pilot.yaml")},
        content_type="multipart/form-data",
    )
    body = response.get_data(True)
    assert response.status_code == 422
    assert "Linje 3" in body and "UTF-8" in body
