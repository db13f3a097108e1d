"""An index on report_rollups (offer_id, hour): the tracker reads how much of an offer's caps is used by
offer and period (portal.queries.offer_caps); the rollups' unique key starts with the partner.

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


def upgrade():
    op.create_index("ix_report_rollups_offer_hour", "report_rollups", ["offer_id", "hour"])


def downgrade():
    op.drop_index("ix_report_rollups_offer_hour", table_name="report_rollups")
