"""The language each operator and each family reads (en, ms, zh_Hans; none: Telegram's)

Revision ID: 0009
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0003"
branch_labels = None
depends_on = None

LANGUAGES = "language IN ('en', 'ms', 'zh_Hans')"


def upgrade() -> None:
    """The language each operator and each family reads (en, ms, zh_Hans; none: Telegram's)"""
    for table in ("operators", "customers"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("language", sa.String(length=10), nullable=True))
            batch_op.create_check_constraint(f"ck_{table}_language", LANGUAGES)


def downgrade() -> None:
    """Undo: the language each operator and each family reads"""
    for table in ("operators", "customers"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f"ck_{table}_language", type_="check")
            batch_op.drop_column("language")
