"""Billing in each currency a partner earns in, and for paid clicks: an adjustment carries its currency (a
reversal its conversion's, a bonus or deduction the one staff chose), so that an invoice run makes one invoice
per partner and currency instead of summing amounts in different currencies; a click that earned a CPC
records the invoice that carries it (clicks.invoice_id, claimed as conversions are, indexed only where a
click earned something and is not invoiced yet), and an invoice's offer line counts its paid clicks.

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
    with op.batch_alter_table("invoice_lines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("clicks", sa.Integer(), nullable=False, server_default="0"))
    # No foreign key: a click row stays as light as the tracker writes it.
    op.add_column("clicks", sa.Column("invoice_id", sa.Integer(), nullable=True))
    op.create_index("ix_clicks_uninvoiced_earnings", "clicks", ["partner_id", "created_at"],
                    postgresql_where=sa.text("payout_cents > 0 AND invoice_id IS NULL"),
                    sqlite_where=sa.text("payout_cents > 0 AND invoice_id IS NULL"))
    op.create_index("ix_clicks_invoice_id", "clicks", ["invoice_id"],
                    postgresql_where=sa.text("invoice_id IS NOT NULL"), sqlite_where=sa.text("invoice_id IS NOT NULL"))


def downgrade():
    op.drop_index("ix_clicks_invoice_id", table_name="clicks")
    op.drop_index("ix_clicks_uninvoiced_earnings", table_name="clicks")
    with op.batch_alter_table("clicks", schema=None) as batch_op:
        batch_op.drop_column("invoice_id")
    with op.batch_alter_table("invoice_lines", schema=None) as batch_op:
        batch_op.drop_column("clicks")
    with op.batch_alter_table("billing_adjustments", schema=None) as batch_op:
        batch_op.drop_column("currency")
