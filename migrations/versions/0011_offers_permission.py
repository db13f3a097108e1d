"""The offers:manage permission for everyone who manages partners today: staff users (and pending staff
invitations) holding partners:manage gain offers:manage, so the offers console opens to the same admins
and account managers who could run offers before it existed.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

GRANTED_WITH = "partners:manage"
NEW = "offers:manage"
# Permissions are JSON lists on each row; they are rewritten in Python so SQLite and PostgreSQL agree.
TABLES = ("staff_users", "invitations")


def _rewrite(change) -> None:
    bind = op.get_bind()
    for name in TABLES:
        table = sa.table(name, sa.column("id", sa.Integer), sa.column("permissions", sa.JSON))
        for row_id, permissions in bind.execute(sa.select(table.c.id, table.c.permissions)).all():
            changed = change(list(permissions or []))
            if changed is not None:
                bind.execute(table.update().where(table.c.id == row_id).values(permissions=changed))


def upgrade():
    _rewrite(lambda held: [*held, NEW] if GRANTED_WITH in held and NEW not in held else None)


def downgrade():
    _rewrite(lambda held: [p for p in held if p != NEW] if NEW in held else None)
