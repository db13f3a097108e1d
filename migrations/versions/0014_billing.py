"""Billing: invoices, their lines and payments, adjustments carried to the next invoice, the invoice a
conversion is carried on (conversions.invoice_id: one invoice at most), the network's payment terms and
minimum payout, and the billing:manage permission for the staff who manage the network's settings.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

GRANTED_WITH = "settings:manage"
NEW_PERMISSION = "billing:manage"
PERMISSION_TABLES = ("staff_users", "invitations")


def _rewrite_permissions(change) -> None:
    """Permissions are JSON lists on each row; rewritten in Python so SQLite and PostgreSQL agree (as 0011)."""
    bind = op.get_bind()
    for name in PERMISSION_TABLES:
        table = sa.table(name, sa.column("id", sa.Integer), sa.column("permissions", sa.JSON))
        for row_id, permissions in bind.execute(sa.select(table.c.id, table.c.permissions)).all():
            changed = change(list(permissions or []))
            if changed is not None:
                bind.execute(table.update().where(table.c.id == row_id).values(permissions=changed))


def upgrade():
    op.create_table('invoices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('total_cents', sa.BigInteger(), nullable=False),
    sa.Column('paid_cents', sa.BigInteger(), nullable=False),
    sa.Column('terms_days', sa.Integer(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('voided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('voided_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("status IN ('unpaid', 'paid', 'void')", name=op.f('ck_invoices_status')),
    sa.ForeignKeyConstraint(['created_by_id'], ['staff_users.id'], name=op.f('fk_invoices_created_by_id_staff_users')),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_invoices_partner_id_partners')),
    sa.ForeignKeyConstraint(['voided_by_id'], ['staff_users.id'], name=op.f('fk_invoices_voided_by_id_staff_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoices')),
    sa.UniqueConstraint('number', name=op.f('uq_invoices_number'))
    )
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invoices_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_invoices_partner_id'), ['partner_id'], unique=False)

    op.create_table('invoice_payments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('paid_on', sa.Date(), nullable=False),
    sa.Column('amount_cents', sa.BigInteger(), nullable=False),
    sa.Column('method', sa.String(length=20), nullable=False),
    sa.Column('reference', sa.String(length=200), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount_cents > 0', name=op.f('ck_invoice_payments_amount')),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_invoice_payments_invoice_id_invoices')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['staff_users.id'], name=op.f('fk_invoice_payments_recorded_by_id_staff_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoice_payments'))
    )
    with op.batch_alter_table('invoice_payments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invoice_payments_invoice_id'), ['invoice_id'], unique=False)

    op.create_table('billing_adjustments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('amount_cents', sa.BigInteger(), nullable=False),
    sa.Column('reason', sa.String(length=300), nullable=False),
    sa.Column('conversion_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('invoice_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("kind IN ('bonus', 'deduction', 'reversal')", name=op.f('ck_billing_adjustments_kind')),
    sa.ForeignKeyConstraint(['conversion_id'], ['conversions.id'], name=op.f('fk_billing_adjustments_conversion_id_conversions')),
    sa.ForeignKeyConstraint(['created_by_id'], ['staff_users.id'], name=op.f('fk_billing_adjustments_created_by_id_staff_users')),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_billing_adjustments_invoice_id_invoices')),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_billing_adjustments_partner_id_partners')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_billing_adjustments'))
    )
    with op.batch_alter_table('billing_adjustments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_billing_adjustments_conversion_id'), ['conversion_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_billing_adjustments_invoice_id'), ['invoice_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_billing_adjustments_partner_id'), ['partner_id'], unique=False)

    op.create_table('invoice_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('offer_id', sa.Integer(), nullable=True),
    sa.Column('adjustment_id', sa.Integer(), nullable=True),
    sa.Column('description', sa.String(length=300), nullable=False),
    sa.Column('amount_cents', sa.BigInteger(), nullable=False),
    sa.Column('conversions', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['adjustment_id'], ['billing_adjustments.id'], name=op.f('fk_invoice_lines_adjustment_id_billing_adjustments')),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_invoice_lines_invoice_id_invoices')),
    sa.ForeignKeyConstraint(['offer_id'], ['offers.id'], name=op.f('fk_invoice_lines_offer_id_offers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoice_lines'))
    )
    with op.batch_alter_table('invoice_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invoice_lines_invoice_id'), ['invoice_id'], unique=False)

    with op.batch_alter_table('conversions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('invoice_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_conversions_invoice_id'), ['invoice_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_conversions_invoice_id_invoices'), 'invoices', ['invoice_id'], ['id'])

    with op.batch_alter_table('network_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('payment_terms_days', sa.Integer(), nullable=False, server_default='30'))
        batch_op.add_column(sa.Column('minimum_payout_cents', sa.BigInteger(), nullable=False, server_default='0'))

    _rewrite_permissions(lambda held: [*held, NEW_PERMISSION]
                         if GRANTED_WITH in held and NEW_PERMISSION not in held else None)


def downgrade():
    _rewrite_permissions(lambda held: [p for p in held if p != NEW_PERMISSION] if NEW_PERMISSION in held else None)
    with op.batch_alter_table('network_settings', schema=None) as batch_op:
        batch_op.drop_column('minimum_payout_cents')
        batch_op.drop_column('payment_terms_days')

    with op.batch_alter_table('conversions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_conversions_invoice_id_invoices'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_conversions_invoice_id'))
        batch_op.drop_column('invoice_id')

    with op.batch_alter_table('invoice_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invoice_lines_invoice_id'))

    op.drop_table('invoice_lines')
    with op.batch_alter_table('billing_adjustments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_billing_adjustments_partner_id'))
        batch_op.drop_index(batch_op.f('ix_billing_adjustments_invoice_id'))
        batch_op.drop_index(batch_op.f('ix_billing_adjustments_conversion_id'))

    op.drop_table('billing_adjustments')
    with op.batch_alter_table('invoice_payments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invoice_payments_invoice_id'))

    op.drop_table('invoice_payments')
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invoices_partner_id'))
        batch_op.drop_index(batch_op.f('ix_invoices_created_at'))

    op.drop_table('invoices')
