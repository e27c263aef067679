"""Database models, SQLAlchemy 2 typed style. Every change here needs an Alembic migration."""

from __future__ import annotations

import enum
import secrets
from datetime import UTC, date, datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy import Enum as SAEnum
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
    role: Mapped[Role] = mapped_column(
        _string_enum(Role, "user_role"), default=Role.FACILITATOR
    )
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

    initiative: Mapped[Initiative] = relationship(back_populates="rounds")
