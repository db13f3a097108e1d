"""An index on report_rollups (offer_id, hour): the tracker reads how much of an offer's caps is used by
offer and period (portal.queries.offer_caps); the rollups' unique key starts with the partner. On
PostgreSQL it is built CONCURRENTLY, outside the migration's transaction, so the tracker's rollup upserts
keep running while it builds (a plain CREATE INDEX would hold them, and clicks, until it is done).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


NAME = "ix_report_rollups_offer_hour"


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        with op.get_context().autocommit_block():
            op.create_index(NAME, "report_rollups", ["offer_id", "hour"], postgresql_concurrently=True,
                            if_not_exists=True)
    else:
        op.create_index(NAME, "report_rollups", ["offer_id", "hour"])


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        with op.get_context().autocommit_block():
            op.drop_index(NAME, table_name="report_rollups", postgresql_concurrently=True, if_exists=True)
    else:
        op.drop_index(NAME, table_name="report_rollups")
