"""Traffic controls: block and allow lists on a click's variable, for all or chosen offers and partners,
enforced by the tracker; a blocked click records the rule that blocked it.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "traffic_controls",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("status", sa.String(20), nullable=False, server_default="active"),
        sa.Column("control_type", sa.String(20), nullable=False, server_default="blacklist"),
        sa.Column("variable", sa.String(20), nullable=False),
        sa.Column("comparison_method", sa.String(20), nullable=False, server_default="exact_match"),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.Column("is_apply_all_offers", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("is_apply_all_affiliates", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("date_valid_from", sa.DateTime(timezone=True)),
        sa.Column("date_valid_to", sa.DateTime(timezone=True)),
        sa.Column("created_by_id", sa.Integer(), sa.ForeignKey("staff_users.id")),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_traffic_controls_status", "traffic_controls", ["status"])
    op.create_table(
        "traffic_control_offers",
        sa.Column("traffic_control_id", sa.Integer(),
                  sa.ForeignKey("traffic_controls.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("offer_id", sa.Integer(), sa.ForeignKey("offers.id"), primary_key=True),
    )
    op.create_index("ix_traffic_control_offers_offer_id", "traffic_control_offers", ["offer_id"])
    op.create_table(
        "traffic_control_partners",
        sa.Column("traffic_control_id", sa.Integer(),
                  sa.ForeignKey("traffic_controls.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("partner_id", sa.Integer(), sa.ForeignKey("partners.id"), primary_key=True),
    )
    op.create_index("ix_traffic_control_partners_partner_id", "traffic_control_partners", ["partner_id"])
    # A plain ADD COLUMN on both engines (no table copy of the clicks on SQLite): nullable, no constraint.
    op.add_column("clicks", sa.Column("traffic_control_id", sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table("clicks") as batch:
        batch.drop_column("traffic_control_id")
    op.drop_index("ix_traffic_control_partners_partner_id", "traffic_control_partners")
    op.drop_table("traffic_control_partners")
    op.drop_index("ix_traffic_control_offers_offer_id", "traffic_control_offers")
    op.drop_table("traffic_control_offers")
    op.drop_index("ix_traffic_controls_status", "traffic_controls")
    op.drop_table("traffic_controls")
