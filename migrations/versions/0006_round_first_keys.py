"""Drafts and submission keys keyed by round first; code index only for code drafts

Every query on these tables names the round, so a primary key that starts with the
round replaces the separate round index, and a submission writes one b-tree page fewer
in each table. The unique index on drafts.code_id becomes partial (code_id IS NOT NULL):
open-link drafts, which have no code, no longer write an entry there.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 20:45:00

"""
from alembic import op
import sqlalchemy as sa

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

CODE_GIVEN = sa.text("code_id IS NOT NULL")


def _batch(table: str):
    """A batch that copies the table on SQLite (keeping WITHOUT ROWID) and alters in place elsewhere."""
    return op.batch_alter_table(
        table, recreate="auto", table_kwargs={"sqlite_with_rowid": False}
    )


def upgrade():
    with _batch("drafts") as batch_op:
        batch_op.drop_index("ix_drafts_round_id")
        batch_op.drop_constraint("uq_drafts_code_id", type_="unique")
        batch_op.drop_constraint("pk_drafts", type_="primary")
        batch_op.create_primary_key("pk_drafts", ["round_id", "id"])
    op.create_index(
        "uq_drafts_code_id",
        "drafts",
        ["code_id"],
        unique=True,
        sqlite_where=CODE_GIVEN,
        postgresql_where=CODE_GIVEN,
    )
    with _batch("submission_keys") as batch_op:
        batch_op.drop_index("ix_submission_keys_round_id")
        batch_op.drop_constraint("pk_submission_keys", type_="primary")
        batch_op.create_primary_key("pk_submission_keys", ["round_id", "key"])


def downgrade():
    with _batch("submission_keys") as batch_op:
        batch_op.drop_constraint("pk_submission_keys", type_="primary")
        batch_op.create_primary_key("pk_submission_keys", ["key"])
        batch_op.create_index("ix_submission_keys_round_id", ["round_id"], unique=False)
    op.drop_index("uq_drafts_code_id", table_name="drafts")
    with _batch("drafts") as batch_op:
        batch_op.drop_constraint("pk_drafts", type_="primary")
        batch_op.create_primary_key("pk_drafts", ["id"])
        batch_op.create_unique_constraint("uq_drafts_code_id", ["code_id"])
        batch_op.create_index("ix_drafts_round_id", ["round_id"], unique=False)
