"""Postback delivery: the attempt log, outbox claims and snapshots, intake idempotency and tokens.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('postback_attempts',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('delivery_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('postback_id', sa.Integer(), nullable=False),
    sa.Column('attempt_number', sa.Integer(), nullable=False),
    sa.Column('manual', sa.Boolean(), nullable=False),
    sa.Column('attempted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('resolved_ip', sa.String(length=45), nullable=True),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('latency_ms', sa.Integer(), nullable=True),
    sa.Column('error_class', sa.String(length=20), nullable=True),
    sa.Column('error', sa.String(length=500), nullable=True),
    sa.Column('response_excerpt', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['delivery_id'], ['postback_deliveries.id'], name=op.f('fk_postback_attempts_delivery_id_postback_deliveries')),
    sa.ForeignKeyConstraint(['postback_id'], ['postbacks.id'], name=op.f('fk_postback_attempts_postback_id_postbacks')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_postback_attempts'))
    )
    with op.batch_alter_table('postback_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_postback_attempts_delivery_id'), ['delivery_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_postback_attempts_postback_id'), ['postback_id'], unique=False)

    with op.batch_alter_table('conversions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('intake_key', sa.String(length=255), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_conversions_intake_key'), ['intake_key'])

    with op.batch_alter_table('network_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('intake_token_hash', sa.String(length=64), nullable=True))

    with op.batch_alter_table('offers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('intake_token_hash', sa.String(length=64), nullable=True))

    with op.batch_alter_table('postback_deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=20), nullable=False, server_default='conversion'))
        batch_op.add_column(sa.Column('macro_values', sa.Text(), nullable=False, server_default='{}'))
        batch_op.add_column(sa.Column('is_test', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('first_attempt_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_postback_deliveries_due', ['status', 'next_attempt_at'], unique=False)

    with op.batch_alter_table('postbacks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('send_status_updates', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('first_failure_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('disabled_at', sa.DateTime(timezone=True), nullable=True))



def downgrade():
    with op.batch_alter_table('postbacks', schema=None) as batch_op:
        batch_op.drop_column('disabled_at')
        batch_op.drop_column('first_failure_at')
        batch_op.drop_column('send_status_updates')

    with op.batch_alter_table('postback_deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_postback_deliveries_due')
        batch_op.drop_column('claimed_until')
        batch_op.drop_column('delivered_at')
        batch_op.drop_column('first_attempt_at')
        batch_op.drop_column('is_test')
        batch_op.drop_column('macro_values')
        batch_op.drop_column('kind')

    with op.batch_alter_table('offers', schema=None) as batch_op:
        batch_op.drop_column('intake_token_hash')

    with op.batch_alter_table('network_settings', schema=None) as batch_op:
        batch_op.drop_column('intake_token_hash')

    with op.batch_alter_table('conversions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_conversions_intake_key'), type_='unique')
        batch_op.drop_column('intake_key')

    with op.batch_alter_table('postback_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_postback_attempts_postback_id'))
        batch_op.drop_index(batch_op.f('ix_postback_attempts_delivery_id'))

    op.drop_table('postback_attempts')
