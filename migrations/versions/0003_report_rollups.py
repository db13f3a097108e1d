"""Hourly report rollups per partner, offer and sub1; browser and platform on clicks and conversions.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('report_rollups',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('hour', sa.Integer(), nullable=False),
    sa.Column('offer_id', sa.Integer(), nullable=False),
    sa.Column('sub1', sa.String(length=500), nullable=False),
    sa.Column('is_test', sa.Boolean(), nullable=False),
    sa.Column('clicks', sa.BigInteger(), nullable=False),
    sa.Column('unique_clicks', sa.BigInteger(), nullable=False),
    sa.Column('conversions', sa.BigInteger(), nullable=False),
    sa.Column('events', sa.BigInteger(), nullable=False),
    sa.Column('earnings_cents', sa.BigInteger(), nullable=False),
    sa.Column('on_hold_conversions', sa.BigInteger(), nullable=False),
    sa.Column('on_hold_earnings_cents', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['offer_id'], ['offers.id'], name=op.f('fk_report_rollups_offer_id_offers')),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_report_rollups_partner_id_partners')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_rollups')),
    sa.UniqueConstraint('partner_id', 'hour', 'offer_id', 'sub1', 'is_test', name=op.f('uq_report_rollups_partner_id'))
    )
    with op.batch_alter_table('clicks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('browser', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('platform', sa.String(length=40), nullable=True))

    with op.batch_alter_table('conversions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('browser', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('platform', sa.String(length=40), nullable=True))



def downgrade():
    with op.batch_alter_table('conversions', schema=None) as batch_op:
        batch_op.drop_column('platform')
        batch_op.drop_column('browser')

    with op.batch_alter_table('clicks', schema=None) as batch_op:
        batch_op.drop_column('platform')
        batch_op.drop_column('browser')

    op.drop_table('report_rollups')
