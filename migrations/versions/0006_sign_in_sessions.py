"""Sign-in sessions kept server-side, so that sign-out ends a session at once; they replace the users'
session_token (rotated on a password change to end other sessions), which goes.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sign_in_sessions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_kind', sa.String(length=10), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ip', sa.String(length=45), nullable=True),
    sa.Column('user_agent', sa.String(length=255), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_reason', sa.String(length=20), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_in_sessions')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_sign_in_sessions_token_hash'))
    )
    with op.batch_alter_table('sign_in_sessions', schema=None) as batch_op:
        batch_op.create_index('ix_sign_in_sessions_user', ['user_kind', 'user_id'], unique=False)
    for table in ('staff_users', 'partner_users'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('session_token')


def downgrade():
    for table in ('staff_users', 'partner_users'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            # Every user gets a fresh token: the sessions it named are gone with the table below.
            batch_op.add_column(sa.Column('session_token', sa.String(length=64), nullable=False,
                                          server_default=sa.text("'rotated'")))
    with op.batch_alter_table('sign_in_sessions', schema=None) as batch_op:
        batch_op.drop_index('ix_sign_in_sessions_user')
    op.drop_table('sign_in_sessions')
