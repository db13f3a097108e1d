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


# The clicks' billing indexes: (name, columns, partial condition).
INDEXES = (("ix_clicks_uninvoiced_earnings", ["partner_id", "created_at"], "payout_cents > 0 AND invoice_id IS NULL"),
           ("ix_clicks_invoice_id", ["invoice_id"], "invoice_id IS NOT NULL"))


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
    # No foreign key: a click row stays as light as the tracker writes it. A click that earned records its
    # currency (its offer's when it was taken; the tracker writes it from now on), so that changing an
    # offer's currency later never moves past earnings into another currency.
    op.add_column("clicks", sa.Column("invoice_id", sa.Integer(), nullable=True))
    op.add_column("clicks", sa.Column("currency", sa.String(3), nullable=True))
    op.execute("UPDATE clicks SET currency = (SELECT offers.currency FROM offers WHERE offers.id = clicks.offer_id) "
               "WHERE payout_cents > 0")
    if op.get_bind().dialect.name == "postgresql":
        # Built CONCURRENTLY, outside the migration's transaction, so the tracker's inserts keep running while
        # they build (a plain CREATE INDEX would hold every click until it is done).
        with op.get_context().autocommit_block():
            for name, columns, where in INDEXES:
                op.create_index(name, "clicks", columns, postgresql_where=sa.text(where),
                                postgresql_concurrently=True, if_not_exists=True)
    else:
        for name, columns, where in INDEXES:
            op.create_index(name, "clicks", columns, sqlite_where=sa.text(where))


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        with op.get_context().autocommit_block():
            for name, _, _ in INDEXES:
                op.drop_index(name, table_name="clicks", postgresql_concurrently=True, if_exists=True)
    else:
        for name, _, _ in INDEXES:
            op.drop_index(name, table_name="clicks")
    with op.batch_alter_table("clicks", schema=None) as batch_op:
        batch_op.drop_column("currency")
        batch_op.drop_column("invoice_id")
    with op.batch_alter_table("invoice_lines", schema=None) as batch_op:
        batch_op.drop_column("clicks")
    with op.batch_alter_table("billing_adjustments", schema=None) as batch_op:
        batch_op.drop_column("currency")
