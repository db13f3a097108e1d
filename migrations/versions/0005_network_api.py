"""Network API: key pairs, partner groups, partnership fields, customers, transactions, status change times.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""
import secrets
import string
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('partner_groups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('slug', sa.String(length=100), nullable=False),
    sa.Column('is_default', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partner_groups')),
    sa.UniqueConstraint('key', name=op.f('uq_partner_groups_key')),
    sa.UniqueConstraint('slug', name=op.f('uq_partner_groups_slug'))
    )
    op.create_table('network_api_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_key', sa.String(length=64), nullable=False),
    sa.Column('secret_hash', sa.String(length=64), nullable=False),
    sa.Column('mode', sa.String(length=10), nullable=False),
    sa.Column('label', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_by_id', sa.Integer(), nullable=True),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['staff_users.id'], name=op.f('fk_network_api_keys_created_by_id_staff_users')),
    sa.ForeignKeyConstraint(['revoked_by_id'], ['staff_users.id'], name=op.f('fk_network_api_keys_revoked_by_id_staff_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_network_api_keys')),
    sa.UniqueConstraint('public_key', name=op.f('uq_network_api_keys_public_key'))
    )
    with op.batch_alter_table('partners', schema=None) as batch_op:
        batch_op.add_column(sa.Column('group_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('tags', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('joined_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_partners_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_partners_group_id'), ['group_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_partners_group_id_partner_groups'), 'partner_groups', ['group_id'], ['id'])
    # Existing partners: no tags, last changed and joined when they were created, in the default group.
    group_id = _seed_default_group()
    op.execute(sa.text("UPDATE partners SET tags = '[]', updated_at = created_at, joined_at = created_at, "
                       "group_id = :group_id").bindparams(group_id=group_id))
    with op.batch_alter_table('partners', schema=None) as batch_op:
        batch_op.alter_column('tags', existing_type=sa.JSON(), nullable=False)
        batch_op.alter_column('updated_at', existing_type=sa.DateTime(timezone=True), nullable=False)
    op.create_table('customers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('customer_key', sa.String(length=255), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=True),
    sa.Column('provider_key', sa.String(length=255), nullable=True),
    sa.Column('meta', sa.JSON(), nullable=False),
    sa.Column('test', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_customers_partner_id_partners')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customers')),
    sa.UniqueConstraint('test', 'customer_key', name=op.f('uq_customers_test')),
    sa.UniqueConstraint('key', name=op.f('uq_customers_key'))
    )
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customers_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_customers_email'), ['email'], unique=False)
        batch_op.create_index(batch_op.f('ix_customers_partner_id'), ['partner_id'], unique=False)
    op.create_table('transactions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('reward_key', sa.String(length=40), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('conversion_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('amount_cents', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('product_key', sa.String(length=255), nullable=True),
    sa.Column('category_key', sa.String(length=255), nullable=True),
    sa.Column('test', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['conversion_id'], ['conversions.id'], name=op.f('fk_transactions_conversion_id_conversions')),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_transactions_customer_id_customers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transactions')),
    sa.UniqueConstraint('conversion_id', name=op.f('uq_transactions_conversion_id')),
    sa.UniqueConstraint('reward_key', name=op.f('uq_transactions_reward_key')),
    sa.UniqueConstraint('test', 'key', name=op.f('uq_transactions_test'))
    )
    with op.batch_alter_table('transactions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transactions_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_transactions_customer_id'), ['customer_id'], unique=False)
    with op.batch_alter_table('conversions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status_changed_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('network_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('network_api_offer_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_network_settings_network_api_offer_id_offers'), 'offers',
                                    ['network_api_offer_id'], ['id'])


def _seed_default_group() -> int:
    """Every installation has one default group, where new partnerships go unless told otherwise."""
    now = datetime.now(timezone.utc)
    key = "grup_" + "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(16))
    groups = sa.table("partner_groups", sa.column("key"), sa.column("name"), sa.column("slug"),
                      sa.column("is_default"), sa.column("created_at", sa.DateTime(timezone=True)),
                      sa.column("updated_at", sa.DateTime(timezone=True)))
    op.bulk_insert(groups, [{"key": key, "name": "Default", "slug": "default", "is_default": True,
                             "created_at": now, "updated_at": now}])
    return op.get_bind().execute(sa.text("SELECT id FROM partner_groups WHERE slug = 'default'")).scalar_one()


def downgrade():
    with op.batch_alter_table('network_settings', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_network_settings_network_api_offer_id_offers'), type_='foreignkey')
        batch_op.drop_column('network_api_offer_id')
    with op.batch_alter_table('conversions', schema=None) as batch_op:
        batch_op.drop_column('status_changed_at')
    op.drop_table('transactions')
    op.drop_table('customers')
    with op.batch_alter_table('partners', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_partners_group_id_partner_groups'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_partners_group_id'))
        batch_op.drop_index(batch_op.f('ix_partners_created_at'))
        batch_op.drop_column('archived_at')
        batch_op.drop_column('joined_at')
        batch_op.drop_column('updated_at')
        batch_op.drop_column('tags')
        batch_op.drop_column('group_id')

    op.drop_table('network_api_keys')
    op.drop_table('partner_groups')
