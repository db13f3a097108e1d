"""The Everflow-style Network API and upstream mode: network keys sent in X-Eflow-API-Key (a lookup hash
only), advertisers and the offer's advertiser, the network's revenue in the hourly rollups (backfilled
from the counted conversions), and the upstream affiliate id a partner is linked to.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

# The hour number of conversions.created_at in each engine's SQL (portal.queries.buckets.hour_number_sql).
_HOUR = {
    "sqlite": "CAST(strftime('%s', substr(c.created_at, 1, 19)) AS INTEGER) / 3600",
    "postgresql": "CAST(floor(extract(epoch FROM c.created_at) / 3600) AS INTEGER)",
}


def upgrade():
    op.create_table(
        "everflow_network_keys",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("label", sa.String(100), nullable=False),
        sa.Column("prefix", sa.String(24), nullable=False),
        sa.Column("lookup_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), sa.ForeignKey("staff_users.id")),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
        sa.Column("revoked_by_id", sa.Integer(), sa.ForeignKey("staff_users.id")),
        sa.Column("last_used_at", sa.DateTime(timezone=True)),
        sa.Column("last_used_ip", sa.String(45)),
    )
    op.create_table(
        "advertisers",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("status", sa.String(20), nullable=False, server_default="active"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    with op.batch_alter_table("offers") as batch:
        batch.add_column(sa.Column("advertiser_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_offers_advertiser_id", "advertisers", ["advertiser_id"], ["id"])
        batch.create_index("ix_offers_advertiser_id", ["advertiser_id"])
    with op.batch_alter_table("partners") as batch:
        batch.add_column(sa.Column("upstream_affiliate_id", sa.BigInteger(), nullable=True))
        batch.create_unique_constraint("uq_partners_upstream_affiliate_id", ["upstream_affiliate_id"])
    with op.batch_alter_table("report_rollups") as batch:
        batch.add_column(sa.Column("network_revenue_cents", sa.BigInteger(), nullable=False, server_default="0"))
    hour = _HOUR[op.get_bind().dialect.name]
    op.execute(f"""
        UPDATE report_rollups SET network_revenue_cents = COALESCE((
            SELECT SUM(c.network_revenue_cents) FROM conversions c
            WHERE c.partner_id = report_rollups.partner_id AND c.offer_id = report_rollups.offer_id
              AND COALESCE(c.sub1, '') = report_rollups.sub1 AND c.is_test = report_rollups.is_test
              AND c.status IN ('approved', 'pending') AND {hour} = report_rollups.hour), 0)
        WHERE report_rollups.conversions > 0 OR report_rollups.events > 0
    """)


def downgrade():
    with op.batch_alter_table("report_rollups") as batch:
        batch.drop_column("network_revenue_cents")
    with op.batch_alter_table("partners") as batch:
        batch.drop_constraint("uq_partners_upstream_affiliate_id", type_="unique")
        batch.drop_column("upstream_affiliate_id")
    with op.batch_alter_table("offers") as batch:
        batch.drop_index("ix_offers_advertiser_id")
        batch.drop_constraint("fk_offers_advertiser_id", type_="foreignkey")
        batch.drop_column("advertiser_id")
    op.drop_table("advertisers")
    op.drop_table("everflow_network_keys")
