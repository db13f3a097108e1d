"""An index on a partner's conversions by transaction id, in pattern order on PostgreSQL, so that the
Conversions page's search by the start of a transaction id (LIKE 'abc%') and the exact filter read an index.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('conversions', schema=None) as batch_op:
        batch_op.create_index('ix_conversions_partner_transaction', ['partner_id', 'transaction_id'], unique=False,
                              postgresql_ops={'transaction_id': 'varchar_pattern_ops'})


def downgrade():
    with op.batch_alter_table('conversions', schema=None) as batch_op:
        batch_op.drop_index('ix_conversions_partner_transaction')
