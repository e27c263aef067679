"""The audit log: one entry per action, never a partner's answer, code or address."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from survey_app.extensions import db
from survey_app.models import AuditEntry, InvitationCode, Role, Round, User
from survey_app.services import accounts, audit, initiatives
from tests.admin_helpers import (
    audit_count,
    audit_entries_since,
    last_audit_id,
    partner_submits,
    post_with_token,
)
from tests.conftest import TEST_PASSWORD, csrf_token_from, login, post_form
from tests.survey_helpers import start_by_code
from tests.workspace_helpers import add_responses, facilitator_client, make_workspace

PARTNER_IP = "203.0.113.77"
FACILITATOR_IP = "198.51.100.23"
SECRET_COMMENT = "Mette Frederiksen fra kommunen lytter aldrig"  # a partner's answer
NOT_YET_WIRED: set[str] = set()


class Recorder:
    """Runs actions and checks that each writes exactly one entry of the expected kind."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.seen: set[str] = set()

    def expect(self, action: str, run: Callable[[], object]) -> AuditEntry:
        before = last_audit_id(self.app)
        run()
        entries = audit_entries_since(self.app, before)
        assert [entry.action for entry in entries] == [action], (action, entries)
        self.seen.add(action)
        return entries[0]

    def expect_none(self, run: Callable[[], object]) -> None:
        before = audit_count(self.app)
        run()
        assert audit_count(self.app) == before


def _client(app: Flask, address: str) -> FlaskClient:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _form(client: FlaskClient, url: str, **data: object) -> object:
    response = post_form(client, url, data)
    assert response.status_code in (200, 302), (url, response.status_code)
    return response


def _new_id(response: object) -> int:
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])  # type: ignore[attr-defined]


def test_each_action_writes_one_entry_and_none_holds_partner_data(app: Flask) -> None:
    log = Recorder(app)
    with app.app_context():
        accounts.create_user("owner@example.org", TEST_PASSWORD)
        accounts.create_user("colleague@example.org", TEST_PASSWORD)
        db.session.commit()
    owner = _client(app, FACILITATOR_IP)

    # Sessions
    failed = log.expect(audit.LOGIN_FAILED, lambda: login(owner, "Owner@Example.org", "wrong one"))
    assert failed.user_email == "owner@example.org" and failed.user_id is None
    log.expect(audit.LOGIN, lambda: login(owner, "owner@example.org"))

    # Initiative and members
    created = log.expect(
        audit.INITIATIVE_CREATED,
        lambda: _form(
            owner, "/initiatives/new", name="Tryg i Nordby", language="da", min_group_size=5
        ),
    )
    initiative_id = created.initiative_id
    assert created.object_type == "initiative" and created.object_id == initiative_id
    log.expect(
        audit.INITIATIVE_UPDATED,
        lambda: _form(
            owner,
            f"/initiatives/{initiative_id}/edit",
            name="Tryg",
            language="da",
            min_group_size=5,
        ),
    )
    members_url = f"/initiatives/{initiative_id}/members"
    added = log.expect(
        audit.MEMBER_ADDED, lambda: _form(owner, members_url, email="colleague@example.org")
    )
    assert added.detail == "colleague@example.org"
    with app.app_context():
        membership_id = (
            db.session.scalar(select(User).where(User.email == "colleague@example.org"))
            .memberships[0]
            .id
        )
    log.expect(
        audit.MEMBER_REMOVED,
        lambda: post_with_token(owner, members_url, f"{members_url}/{membership_id}/remove"),
    )

    # A round's life
    new_round = log.expect(
        audit.ROUND_CREATED,
        lambda: _form(
            owner,
            f"/initiatives/{initiative_id}/rounds/new",
            name="Forår",
            instruments=["consensus"],
        ),
    )
    round_id = new_round.object_id
    round_url = f"/rounds/{round_id}"
    for action, name in ((audit.ROUND_OPENED, "open"),):
        log.expect(
            action, lambda name=name: post_with_token(owner, round_url, f"{round_url}/{name}")
        )
    log.expect(
        audit.CODES_GENERATED,
        lambda: post_with_token(owner, f"{round_url}/distribute", f"{round_url}/codes", count=3),
    )
    log.expect(audit.CODES_DOWNLOADED, lambda: owner.get(f"{round_url}/codes.csv"))
    log.expect(audit.CODES_DOWNLOADED, lambda: owner.get(f"{round_url}/codes/print"))

    # A partner answers with a code and a comment: nothing is logged.
    with app.app_context():
        codes = db.session.scalars(
            select(InvitationCode.code).where(InvitationCode.round_id == round_id)
        ).all()
    partner = _client(app, PARTNER_IP)
    log.expect_none(
        lambda: partner_submits(partner, start_by_code(partner, codes[0]), SECRET_COMMENT)
    )
    with app.app_context():
        add_responses(db.session.get(Round, round_id), 5)
        db.session.commit()

    for action, name in (
        (audit.ROUND_CLOSED, "close"),
        (audit.ROUND_REOPENED, "reopen"),
        (audit.ROUND_CLOSED, "close"),
    ):
        log.expect(
            action, lambda name=name: post_with_token(owner, round_url, f"{round_url}/{name}")
        )
    log.expect(
        audit.EXPORT_DOWNLOADED,
        lambda: post_with_token(
            owner, f"{round_url}/exports", f"{round_url}/export", table="long", file_format="csv"
        ),
    )

    # Data protection
    dashboard = owner.get(f"{round_url}/results").get_data(True)
    redact_url = re.search(r'href="(/rounds/\d+/comments/[0-9a-f]+/redact)"', dashboard).group(1)
    log.expect(audit.COMMENT_REDACTED, lambda: post_with_token(owner, redact_url, redact_url))
    data_url = f"/initiatives/{initiative_id}/data"
    log.expect(
        audit.RETENTION_CHANGED,
        lambda: post_with_token(
            owner, data_url, f"/initiatives/{initiative_id}/retention", retention_months=12
        ),
    )
    log.expect(
        audit.INITIATIVE_EXPORTED,
        lambda: post_with_token(owner, data_url, f"/initiatives/{initiative_id}/export.zip"),
    )
    with app.app_context():
        db.session.execute(update(Round).values(closed_on=date(2020, 1, 1)))
        db.session.commit()
    log.expect(
        audit.RAW_DATA_DELETED, lambda: app.test_cli_runner().invoke(args=["retention", "run"])
    )
    log.expect(
        audit.PASSWORD_CHANGED,
        lambda: _form(
            owner,
            "/account/password",
            current=TEST_PASSWORD,
            password=TEST_PASSWORD,
            confirm=TEST_PASSWORD,
        ),
    )
    log.expect(
        audit.REPORT_DOWNLOADED,
        lambda: post_with_token(owner, f"{round_url}/report", f"{round_url}/report.pdf"),
    )
    log.expect(audit.ROUND_DELETED, lambda: post_form(owner, f"{round_url}/delete", {}))
    deleted = log.expect(
        audit.INITIATIVE_DELETED,
        lambda: post_form(owner, f"/initiatives/{initiative_id}/delete", {}),
    )
    assert deleted.object_id == initiative_id and deleted.initiative_id is None
    log.expect(audit.LOGOUT, lambda: post_with_token(owner, "/initiatives", "/logout"))

    # Accounts
    admin = facilitator_client(app, "admin@example.org", role=Role.ADMIN)
    account = log.expect(
        audit.ACCOUNT_CREATED,
        lambda: _form(admin, "/admin/accounts", email="new@example.org", role="facilitator"),
    )
    user_id = account.object_id
    link = log.expect(
        audit.PASSWORD_LINK_ISSUED,
        lambda: post_with_token(admin, "/admin/accounts", f"/admin/accounts/{user_id}/reset"),
    )
    assert link.user_email == "admin@example.org"
    page = admin.post(
        f"/admin/accounts/{user_id}/reset",
        data={"csrf_token": csrf_token_from(admin.get("/admin/accounts").get_data(True))},
    ).get_data(True)
    token = re.search(r"/password/([A-Za-z0-9_-]+)", page).group(1)
    log.expect(
        audit.PASSWORD_SET,
        lambda: _form(app.test_client(), f"/password/{token}", password="x" * 14, confirm="x" * 14),
    )
    for action, name in (
        (audit.ACCOUNT_DEACTIVATED, "deactivate"),
        (audit.ACCOUNT_REACTIVATED, "reactivate"),
    ):
        log.expect(
            action,
            lambda name=name: post_with_token(
                admin, "/admin/accounts", f"/admin/accounts/{user_id}/{name}"
            ),
        )

    assert log.seen == set(audit.ACTIONS) - NOT_YET_WIRED
    with app.app_context():
        rows = db.session.execute(select(AuditEntry.__table__)).all()
    logged = "\n".join(repr(tuple(row)) for row in rows)
    assert SECRET_COMMENT not in logged and "Mette" not in logged
    assert not any(code in logged for code in codes)
    assert PARTNER_IP not in logged and FACILITATOR_IP not in logged


def test_first_administrator_is_logged(app: Flask) -> None:
    from survey_app.services.accounts import ensure_setup_token

    token = ensure_setup_token(app.instance_path)
    client = app.test_client()
    before = last_audit_id(app)
    post_form(
        client,
        f"/setup/{token}",
        {"name": "Ada", "email": "ada@example.org", "password": "p" * 14, "confirm": "p" * 14},
    )
    entries = audit_entries_since(app, before)
    assert [(e.action, e.user_email) for e in entries] == [
        (audit.ACCOUNT_CREATED, "ada@example.org")
    ]


def test_password_typed_into_the_email_field_is_not_kept(app: Flask) -> None:
    client = app.test_client()
    login(client, "MySecretPassword123", "MySecretPassword123")
    entries = audit_entries_since(app, 0)
    assert [e.action for e in entries] == [audit.LOGIN_FAILED]
    assert entries[0].user_email == "" and "MySecret" not in repr(entries[0].__dict__)


def test_admins_see_everything_owners_their_initiative(app: Flask) -> None:
    first = make_workspace(app, responses=(0,), instruments=["consensus"])
    with app.app_context():
        other_owner = accounts.create_user("other@example.org", TEST_PASSWORD)
        other = initiatives.create_initiative(other_owner, "Andet initiativ")
        audit.record(audit.INITIATIVE_CREATED, other, actor=other_owner, detail="OTHER-MARK")
        mine = db.session.get(Round, first.round_ids[0])
        audit.record(audit.ROUND_OPENED, mine, detail="MINE-MARK")
        member = accounts.create_user("member@example.org", TEST_PASSWORD)
        initiatives.add_member(mine.initiative, member.email)
        db.session.commit()
        other_id = other.id

    owner = facilitator_client(app, first.owner)
    page = owner.get(f"/initiatives/{first.initiative_id}/audit")
    assert page.status_code == 200
    assert "MINE-MARK" in page.get_data(True) and "OTHER-MARK" not in page.get_data(True)
    assert owner.get(f"/initiatives/{other_id}/audit").status_code == 404
    assert owner.get("/admin/audit").status_code == 403
    member_client = facilitator_client(app, "member@example.org")
    assert member_client.get(f"/initiatives/{first.initiative_id}/audit").status_code == 403

    admin = facilitator_client(app, "admin@example.org", role=Role.ADMIN)
    everything = admin.get("/admin/audit").get_data(True)
    assert "MINE-MARK" in everything and "OTHER-MARK" in everything
    assert admin.get(f"/initiatives/{other_id}/audit").status_code == 200
