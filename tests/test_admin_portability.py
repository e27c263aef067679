"""An initiative's complete data as one zip: every round's tables and a README."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date

from flask import Flask
from sqlalchemy import func, select, update

from survey_app.extensions import db
from survey_app.models import Answer, Initiative, Response, Round
from survey_app.services import rounds
from survey_app.services.retention import run
from tests.admin_helpers import post_with_token
from tests.workspace_helpers import facilitator_client, make_workspace

TABLES = ("long", "wide", "scores", "items", "codebook")


def _rows(archive: zipfile.ZipFile, name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(archive.read(name).decode("utf-8-sig"))))


def test_zip_holds_every_round_with_its_tables_and_a_readme(app: Flask) -> None:
    space = make_workspace(app, responses=(5, 6), instruments=["consensus"])
    with app.app_context():
        initiative = db.session.get(Initiative, space.initiative_id)
        draft = rounds.create_round(initiative, "Kladde", ["consensus"])
        initiative.retention_months = 1
        old = space.round_ids[0]
        db.session.execute(update(Round).where(Round.id == old).values(closed_on=date(2020, 1, 1)))
        db.session.commit()
        draft_id = draft.id
        answers = {
            round_id: db.session.scalar(
                select(func.count())
                .select_from(Answer)
                .join(Response)
                .where(Response.round_id == round_id)
            )
            for round_id in space.round_ids
        }
        run(date.today())  # the first round's raw answers are deleted

    owner = facilitator_client(app, space.owner)
    url = f"/initiatives/{space.initiative_id}"
    response = post_with_token(owner, f"{url}/data", f"{url}/export.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert "no-store" in response.headers["Cache-Control"]
    with zipfile.ZipFile(io.BytesIO(response.get_data())) as archive:
        names = set(archive.namelist())
        readme = archive.read("README.txt").decode()
        folders = {name.split("/")[0] for name in names if "/" in name}
        assert len(folders) == 3
        for folder in folders:
            assert {f"{folder}/{table}.csv" for table in TABLES} <= names
        recent = next(f for f in folders if f.startswith(f"round-{space.round_ids[1]}-"))
        assert len(_rows(archive, f"{recent}/long.csv")) == answers[space.round_ids[1]]
        assert len(_rows(archive, f"{recent}/wide.csv")) == 6
        first = next(f for f in folders if f.startswith(f"round-{old}-"))
        assert _rows(archive, f"{first}/long.csv") == []
        assert _rows(archive, f"{first}/scores.csv")  # the stored scores
        assert any(f.startswith(f"round-{draft_id}-") for f in folders)
    assert "DANSK" in readme and "ENGLISH" in readme
    assert f"raw answers deleted {date.today().isoformat()}" in readme and "Tryg i Nordby" in readme
