"""Payout details: a partner's payment method and its fields, encrypted at rest with the key-encryption key,
their masked form, and the tax form's status.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "partner_payout_details",
        sa.Column("partner_id", sa.Integer(), sa.ForeignKey("partners.id"), primary_key=True),
        sa.Column("method", sa.String(20)),
        sa.Column("encrypted_details", sa.LargeBinary()),
        sa.Column("masked", sa.JSON(), nullable=False),
        sa.Column("tax_form", sa.String(10)),
        sa.Column("tax_status", sa.String(20), nullable=False, server_default="not_submitted"),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_type", sa.String(10), nullable=False, server_default="partner"),
        sa.Column("updated_by_id", sa.Integer()),
        sa.Column("updated_by_label", sa.String(254), nullable=False, server_default=""),
    )


def downgrade():
    op.drop_table("partner_payout_details")
