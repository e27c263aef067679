"""SQLite: store responses, answers, drafts and submission keys WITHOUT ROWID

Their primary keys are random strings or natural keys, so a rowid table kept a second
b-tree for the key; every submission wrote both. PostgreSQL is unaffected.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 18:20:00

"""
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TABLES = ("responses", "answers", "drafts", "submission_keys")


def _recreate(with_rowid: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in TABLES:
        with op.batch_alter_table(
            table, recreate="always", table_kwargs={"sqlite_with_rowid": with_rowid}
        ):
            pass


def upgrade():
    _recreate(with_rowid=False)


def downgrade():
    _recreate(with_rowid=True)
