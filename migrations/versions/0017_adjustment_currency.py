"""Billing in each currency a partner earns in: an adjustment carries its currency (a reversal its
conversion's, a bonus or deduction the one staff chose), so that an invoice run makes one invoice per partner
and currency instead of summing amounts in different currencies.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("billing_adjustments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("currency", sa.String(3), nullable=True))
    # Existing rows: a reversal is in its conversion's currency; any other in the partner's.
    op.execute("UPDATE billing_adjustments SET currency = (SELECT conversions.currency FROM conversions "
               "WHERE conversions.id = billing_adjustments.conversion_id) WHERE conversion_id IS NOT NULL")
    op.execute("UPDATE billing_adjustments SET currency = (SELECT COALESCE(partners.currency, 'USD') FROM partners "
               "WHERE partners.id = billing_adjustments.partner_id) WHERE currency IS NULL")
    with op.batch_alter_table("billing_adjustments", schema=None) as batch_op:
        batch_op.alter_column("currency", existing_type=sa.String(3), nullable=False)


def downgrade():
    with op.batch_alter_table("billing_adjustments", schema=None) as batch_op:
        batch_op.drop_column("currency")
