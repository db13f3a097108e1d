"""API key usage per minute, and alerts on unusual key use.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('api_usage',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('api_key_id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('minute', sa.DateTime(timezone=True), nullable=False),
    sa.Column('endpoint', sa.String(length=200), nullable=False),
    sa.Column('requests', sa.Integer(), nullable=False),
    sa.Column('client_errors', sa.Integer(), nullable=False),
    sa.Column('server_errors', sa.Integer(), nullable=False),
    sa.Column('rate_limited', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['api_key_id'], ['api_keys.id'], name=op.f('fk_api_usage_api_key_id_api_keys')),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_api_usage_partner_id_partners')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_usage')),
    sa.UniqueConstraint('api_key_id', 'minute', 'endpoint', name=op.f('uq_api_usage_api_key_id'))
    )
    with op.batch_alter_table('api_usage', schema=None) as batch_op:
        batch_op.create_index('ix_api_usage_minute', ['minute'], unique=False)
        batch_op.create_index(batch_op.f('ix_api_usage_partner_id'), ['partner_id'], unique=False)

    op.create_table('key_alerts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('api_key_id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['acknowledged_by_id'], ['staff_users.id'], name=op.f('fk_key_alerts_acknowledged_by_id_staff_users')),
    sa.ForeignKeyConstraint(['api_key_id'], ['api_keys.id'], name=op.f('fk_key_alerts_api_key_id_api_keys')),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_key_alerts_partner_id_partners')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_key_alerts'))
    )
    with op.batch_alter_table('key_alerts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_key_alerts_api_key_id'), ['api_key_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_key_alerts_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_key_alerts_partner_id'), ['partner_id'], unique=False)



def downgrade():
    with op.batch_alter_table('key_alerts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_key_alerts_partner_id'))
        batch_op.drop_index(batch_op.f('ix_key_alerts_created_at'))
        batch_op.drop_index(batch_op.f('ix_key_alerts_api_key_id'))

    op.drop_table('key_alerts')
    with op.batch_alter_table('api_usage', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_usage_partner_id'))
        batch_op.drop_index('ix_api_usage_minute')

    op.drop_table('api_usage')
