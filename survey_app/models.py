"""Database models, SQLAlchemy 2 typed style. Every change here needs an Alembic migration."""

from __future__ import annotations

import enum
import secrets
from datetime import UTC, date, datetime

from flask_login import UserMixin
from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy import Enum as SAEnum
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey_app.extensions import db


def utcnow() -> datetime:
    """Current time in UTC, for facilitator-side records (never for responses)."""
    return datetime.now(UTC)


class Role(enum.StrEnum):
    """What a user account may do."""

    ADMIN = "admin"
    FACILITATOR = "facilitator"


class RoundStatus(enum.StrEnum):
    """The life cycle of a survey round."""

    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


def _string_enum(enum_class: type[enum.Enum], name: str) -> SAEnum:
    """An enum stored as its value in a VARCHAR with a CHECK, the same on every database."""
    return SAEnum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=20,
        values_callable=lambda members: [member.value for member in members],
    )


class User(UserMixin, db.Model):
    """A facilitator or admin account. Partners never have accounts."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(_string_enum(Role, "user_role"), default=Role.FACILITATOR)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Bumped on logout and password change; part of the login id, so old cookies stop working.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_login_on: Mapped[date | None] = mapped_column(Date, default=None)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        """Flask-Login refuses inactive accounts."""
        return self.active

    @property
    def is_admin(self) -> bool:
        """True for administrators."""
        return self.role is Role.ADMIN

    def get_id(self) -> str:
        """Login id with the session version, so bumping it invalidates old sessions."""
        return f"{self.id}:{self.session_version}"


class Initiative(db.Model):
    """A collective impact initiative run by its facilitators."""

    __tablename__ = "initiatives"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str] = mapped_column(String(5), default="da")
    min_group_size: Mapped[int] = mapped_column(Integer, default=5)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Raw answers of a round are deleted this many months after it closes; None keeps them.
    retention_months: Mapped[int | None] = mapped_column(Integer, default=None)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="initiative", cascade="all, delete-orphan"
    )
    rounds: Mapped[list[Round]] = relationship(
        back_populates="initiative", cascade="all, delete-orphan", order_by="Round.id"
    )


class Membership(db.Model):
    """A user's access to an initiative; owners may manage its members."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("initiative_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    initiative_id: Mapped[int] = mapped_column(
        ForeignKey("initiatives.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    is_owner: Mapped[bool] = mapped_column(Boolean, default=False)

    initiative: Mapped[Initiative] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship(back_populates="memberships")


def new_link_token() -> str:
    """An unguessable round link token (256 bits)."""
    return secrets.token_urlsafe(32)


class Round(db.Model):
    """One survey round of an initiative."""

    __tablename__ = "rounds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    initiative_id: Mapped[int] = mapped_column(
        ForeignKey("initiatives.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[RoundStatus] = mapped_column(
        _string_enum(RoundStatus, "round_status"), default=RoundStatus.DRAFT
    )
    link_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_link_token)
    planned_start: Mapped[date | None] = mapped_column(Date, default=None)
    planned_end: Mapped[date | None] = mapped_column(Date, default=None)
    opened_on: Mapped[date | None] = mapped_column(Date, default=None)
    closed_on: Mapped[date | None] = mapped_column(Date, default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    link_enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    framework_snapshot_id: Mapped[int | None] = mapped_column(
        ForeignKey("definition_snapshots.id", ondelete="RESTRICT"), default=None
    )

    initiative: Mapped[Initiative] = relationship(back_populates="rounds")
    instruments: Mapped[list[RoundInstrument]] = relationship(
        cascade="all, delete-orphan", order_by="RoundInstrument.position"
    )
    framework_snapshot: Mapped[DefinitionSnapshot | None] = relationship()
    # Bumped whenever stored answers change in place (comment redaction), so cached
    # analyses of the round are recomputed.
    results_revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class DefinitionKind(enum.StrEnum):
    """What a stored definition is."""

    FRAMEWORK = "framework"
    INSTRUMENT = "instrument"


class DefinitionSnapshot(db.Model):
    """The exact text of a framework or instrument version, kept once a round uses it.

    Rounds score against their snapshots, so editing a file never changes old results.
    """

    __tablename__ = "definition_snapshots"
    __table_args__ = (UniqueConstraint("kind", "definition_id", "version", "content_hash"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[DefinitionKind] = mapped_column(_string_enum(DefinitionKind, "definition_kind"))
    definition_id: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    source_name: Mapped[str] = mapped_column(String(255))
    source_text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class RoundInstrument(db.Model):
    """An instrument a round asks, in order; points at its snapshot once the round opens."""

    __tablename__ = "round_instruments"
    __table_args__ = (UniqueConstraint("round_id", "instrument_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    instrument_id: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer, default=0)
    snapshot_id: Mapped[int | None] = mapped_column(
        ForeignKey("definition_snapshots.id", ondelete="RESTRICT"), default=None
    )

    snapshot: Mapped[DefinitionSnapshot | None] = relationship()


class InvitationCode(db.Model):
    """A single-use code. Holds no time and no link to the response it gave."""

    __tablename__ = "invitation_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    used: Mapped[bool] = mapped_column(Boolean, default=False)


def new_random_id() -> str:
    """A random identifier (128 bits) that reveals nothing about insert order."""
    return secrets.token_urlsafe(16)


class Draft(db.Model):
    """Answers saved page by page before submission; never counted, deleted at close."""

    __tablename__ = "drafts"
    # Every access names the round (take at submit, count, delete at close), so the key
    # starts with it and no separate round index is kept. Only drafts of codes enter the
    # code index: an open-link draft, the busy case in a meeting, writes no index entry.
    __table_args__ = (
        PrimaryKeyConstraint("round_id", "id"),
        Index(
            "uq_drafts_code_id",
            "code_id",
            unique=True,
            sqlite_where=sql_text("code_id IS NOT NULL"),
            postgresql_where=sql_text("code_id IS NOT NULL"),
        ),
        {"sqlite_with_rowid": False},
    )

    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    id: Mapped[str] = mapped_column(String(32), default=new_random_id)
    code_id: Mapped[int | None] = mapped_column(
        ForeignKey("invitation_codes.id", ondelete="CASCADE"), default=None
    )
    answers_json: Mapped[str] = mapped_column(Text, default="{}")
    updated_on: Mapped[date] = mapped_column(Date, default=date.today)


class Response(db.Model):
    """One submitted, anonymous response: no user, code, address, agent or time of day."""

    __tablename__ = "responses"
    __table_args__ = {"sqlite_with_rowid": False}

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_random_id)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    submitted_on: Mapped[date] = mapped_column(Date, default=date.today)
    sector: Mapped[str | None] = mapped_column(String(40), default=None)
    role: Mapped[str | None] = mapped_column(String(40), default=None)

    answers: Mapped[list[Answer]] = relationship(
        back_populates="response", cascade="all, delete-orphan", passive_deletes=True
    )


class Answer(db.Model):
    """One answered item. The key is natural, so no sequence reveals the order of responses."""

    __tablename__ = "answers"
    # SQLite: the composite primary key is the table itself, one b-tree instead of two.
    __table_args__ = {"sqlite_with_rowid": False}

    response_id: Mapped[str] = mapped_column(
        ForeignKey("responses.id", ondelete="CASCADE"), primary_key=True
    )
    instrument_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    item_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[float | None] = mapped_column(default=None)
    dont_know: Mapped[bool] = mapped_column(Boolean, default=False)
    text: Mapped[str | None] = mapped_column(Text, default=None)

    response: Mapped[Response] = relationship(back_populates="answers")


class SubmissionKey(db.Model):
    """Keys of forms already submitted, so a double click stores one response.

    Kept apart from responses: the key cannot be joined to the answers it carried.
    """

    __tablename__ = "submission_keys"
    # Keyed by round first, like drafts: one b-tree, no separate round index to write.
    __table_args__ = (PrimaryKeyConstraint("round_id", "key"), {"sqlite_with_rowid": False})

    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(64))


class UploadedInstrument(db.Model):
    """An instrument version uploaded in the browser; shipped files stay the defaults.

    A version is stored once and never overwritten: a change needs a new version number.
    """

    __tablename__ = "uploaded_instruments"
    __table_args__ = (UniqueConstraint("instrument_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instrument_id: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    source_name: Mapped[str] = mapped_column(String(255))
    source_text: Mapped[str] = mapped_column(Text)
    uploaded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PasswordLink(db.Model):
    """A one-time link that lets a user set their password; only its SHA-256 is stored."""

    __tablename__ = "password_links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)


class AuditEntry(db.Model):
    """Who did what to which object, when. Never a partner, an answer, a code or an address.

    The actor's e-mail is copied, so the entry stays readable if the account goes away;
    `initiative_id` scopes the entry for the initiative's owners and becomes NULL when the
    initiative is deleted (the entry itself is kept).
    """

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None, index=True
    )
    user_email: Mapped[str] = mapped_column(String(254), default="")
    action: Mapped[str] = mapped_column(String(40), index=True)
    object_type: Mapped[str] = mapped_column(String(30), default="")
    object_id: Mapped[int | None] = mapped_column(Integer, default=None)
    initiative_id: Mapped[int | None] = mapped_column(
        ForeignKey("initiatives.id", ondelete="SET NULL"), default=None, index=True
    )
    detail: Mapped[str] = mapped_column(String(200), default="")


class RoundScoreSnapshot(db.Model):
    """The aggregated result of a round whose raw answers were deleted under retention.

    `result_json` holds the scored round (statistics that met the minimum group size,
    suppression markers elsewhere; no comments and no answers), enough to show the
    dashboard and to compare rounds across years.
    """

    __tablename__ = "round_score_snapshots"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), unique=True)
    format_version: Mapped[int] = mapped_column(Integer, default=1)
    checksum: Mapped[str] = mapped_column(String(64))
    result_json: Mapped[str] = mapped_column(Text)
    raw_deleted_on: Mapped[date] = mapped_column(Date, default=date.today)
