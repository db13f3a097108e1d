"""Initial schema: accounts, partners, keys, offers, tracking, postbacks, audit, network settings.

Also creates the network settings row and the test partner `gstest`, which every installation has.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('audit_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('actor_type', sa.String(length=20), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_label', sa.String(length=254), nullable=False),
    sa.Column('action', sa.String(length=100), nullable=False),
    sa.Column('target_type', sa.String(length=50), nullable=True),
    sa.Column('target_id', sa.String(length=100), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.Column('ip', sa.String(length=45), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_events_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_at'), ['at'], unique=False)

    op.create_table('network_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('network_name', sa.String(length=200), nullable=False),
    sa.Column('logo_url', sa.String(length=500), nullable=True),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('support_email', sa.String(length=254), nullable=True),
    sa.Column('partner_postbacks_enabled', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_network_settings'))
    )
    op.create_table('offers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('visibility', sa.String(length=20), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('payout_type', sa.String(length=10), nullable=False),
    sa.Column('payout_amount', sa.BigInteger(), nullable=False),
    sa.Column('network_revenue_amount', sa.BigInteger(), nullable=False),
    sa.Column('destination_url', sa.Text(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('category', sa.String(length=100), nullable=False),
    sa.Column('hold_days', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_offers'))
    )
    op.create_table('staff_users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('permissions', sa.JSON(), nullable=False),
    sa.Column('oidc_subject', sa.String(length=255), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('session_token', sa.String(length=64), nullable=False),
    sa.Column('failed_logins', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_failed_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_users')),
    sa.UniqueConstraint('email', name=op.f('uq_staff_users_email')),
    sa.UniqueConstraint('oidc_subject', name=op.f('uq_staff_users_oidc_subject'))
    )
    op.create_table('partners',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partnership_key', sa.String(length=40), nullable=False),
    sa.Column('partner_key', sa.String(length=80), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('first_name', sa.String(length=100), nullable=True),
    sa.Column('last_name', sa.String(length=100), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('onboarding', sa.String(length=20), nullable=False),
    sa.Column('fraud_flag', sa.Boolean(), nullable=False),
    sa.Column('is_test', sa.Boolean(), nullable=False),
    sa.Column('account_manager_id', sa.Integer(), nullable=True),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('internal_notes', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_manager_id'], ['staff_users.id'], name=op.f('fk_partners_account_manager_id_staff_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partners')),
    sa.UniqueConstraint('partner_key', name=op.f('uq_partners_partner_key')),
    sa.UniqueConstraint('partnership_key', name=op.f('uq_partners_partnership_key'))
    )
    op.create_table('api_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=100), nullable=False),
    sa.Column('prefix', sa.String(length=24), nullable=False),
    sa.Column('lookup_hash', sa.String(length=64), nullable=False),
    sa.Column('encrypted_secret', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_by_id', sa.Integer(), nullable=True),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_used_ip', sa.String(length=45), nullable=True),
    sa.Column('last_used_endpoint', sa.String(length=200), nullable=True),
    sa.Column('ip_allowlist', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['staff_users.id'], name=op.f('fk_api_keys_created_by_id_staff_users')),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_api_keys_partner_id_partners')),
    sa.ForeignKeyConstraint(['revoked_by_id'], ['staff_users.id'], name=op.f('fk_api_keys_revoked_by_id_staff_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_keys')),
    sa.UniqueConstraint('lookup_hash', name=op.f('uq_api_keys_lookup_hash'))
    )
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_keys_partner_id'), ['partner_id'], unique=False)

    op.create_table('clicks',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('transaction_id', sa.String(length=64), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('offer_id', sa.Integer(), nullable=False),
    sa.Column('ip', sa.String(length=45), nullable=True),
    sa.Column('user_agent', sa.String(length=500), nullable=True),
    sa.Column('referer', sa.String(length=1000), nullable=True),
    sa.Column('country', sa.String(length=2), nullable=True),
    sa.Column('device', sa.String(length=20), nullable=True),
    sa.Column('is_unique', sa.Boolean(), nullable=False),
    sa.Column('is_test', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sub1', sa.String(length=500), nullable=True),
    sa.Column('sub2', sa.String(length=500), nullable=True),
    sa.Column('sub3', sa.String(length=500), nullable=True),
    sa.Column('sub4', sa.String(length=500), nullable=True),
    sa.Column('sub5', sa.String(length=500), nullable=True),
    sa.Column('source_id', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['offer_id'], ['offers.id'], name=op.f('fk_clicks_offer_id_offers')),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_clicks_partner_id_partners')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clicks')),
    sa.UniqueConstraint('transaction_id', name=op.f('uq_clicks_transaction_id'))
    )
    with op.batch_alter_table('clicks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_clicks_offer_id'), ['offer_id'], unique=False)
        batch_op.create_index('ix_clicks_partner_created', ['partner_id', 'created_at'], unique=False)

    op.create_table('conversions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('conversion_id', sa.String(length=32), nullable=False),
    sa.Column('transaction_id', sa.String(length=64), nullable=True),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('offer_id', sa.Integer(), nullable=False),
    sa.Column('event_name', sa.String(length=100), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('payout_cents', sa.BigInteger(), nullable=False),
    sa.Column('network_revenue_cents', sa.BigInteger(), nullable=False),
    sa.Column('sale_amount_cents', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('order_id', sa.String(length=100), nullable=True),
    sa.Column('coupon_code', sa.String(length=100), nullable=True),
    sa.Column('country', sa.String(length=2), nullable=True),
    sa.Column('device', sa.String(length=20), nullable=True),
    sa.Column('ip', sa.String(length=45), nullable=True),
    sa.Column('is_test', sa.Boolean(), nullable=False),
    sa.Column('hold_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('click_created_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sub1', sa.String(length=500), nullable=True),
    sa.Column('sub2', sa.String(length=500), nullable=True),
    sa.Column('sub3', sa.String(length=500), nullable=True),
    sa.Column('sub4', sa.String(length=500), nullable=True),
    sa.Column('sub5', sa.String(length=500), nullable=True),
    sa.Column('source_id', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['offer_id'], ['offers.id'], name=op.f('fk_conversions_offer_id_offers')),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_conversions_partner_id_partners')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conversions')),
    sa.UniqueConstraint('conversion_id', name=op.f('uq_conversions_conversion_id'))
    )
    with op.batch_alter_table('conversions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_conversions_offer_id'), ['offer_id'], unique=False)
        batch_op.create_index('ix_conversions_partner_created', ['partner_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_conversions_transaction_id'), ['transaction_id'], unique=False)

    op.create_table('partner_key_reservations',
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('reserved_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_partner_key_reservations_partner_id_partners')),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_partner_key_reservations'))
    )
    with op.batch_alter_table('partner_key_reservations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_partner_key_reservations_partner_id'), ['partner_id'], unique=False)

    op.create_table('partner_users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('session_token', sa.String(length=64), nullable=False),
    sa.Column('failed_logins', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_failed_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_partner_users_partner_id_partners')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partner_users')),
    sa.UniqueConstraint('email', name=op.f('uq_partner_users_email'))
    )
    with op.batch_alter_table('partner_users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_partner_users_partner_id'), ['partner_id'], unique=False)

    op.create_table('postbacks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('offer_id', sa.Integer(), nullable=True),
    sa.Column('postback_type', sa.String(length=20), nullable=False),
    sa.Column('event_name', sa.String(length=100), nullable=True),
    sa.Column('delivery_method', sa.String(length=20), nullable=False),
    sa.Column('url', sa.Text(), nullable=True),
    sa.Column('html_code', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('delay_ms', sa.Integer(), nullable=False),
    sa.Column('description', sa.String(length=500), nullable=False),
    sa.Column('consecutive_failures', sa.Integer(), nullable=False),
    sa.Column('disabled_reason', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['offer_id'], ['offers.id'], name=op.f('fk_postbacks_offer_id_offers')),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_postbacks_partner_id_partners')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_postbacks'))
    )
    with op.batch_alter_table('postbacks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_postbacks_partner_id'), ['partner_id'], unique=False)

    op.create_table('postback_deliveries',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('postback_id', sa.Integer(), nullable=False),
    sa.Column('conversion_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('event_id', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_url', sa.Text(), nullable=True),
    sa.Column('last_status_code', sa.Integer(), nullable=True),
    sa.Column('last_latency_ms', sa.Integer(), nullable=True),
    sa.Column('last_response_excerpt', sa.Text(), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['conversion_id'], ['conversions.id'], name=op.f('fk_postback_deliveries_conversion_id_conversions')),
    sa.ForeignKeyConstraint(['postback_id'], ['postbacks.id'], name=op.f('fk_postback_deliveries_postback_id_postbacks')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_postback_deliveries')),
    sa.UniqueConstraint('event_id', name=op.f('uq_postback_deliveries_event_id'))
    )
    with op.batch_alter_table('postback_deliveries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_postback_deliveries_conversion_id'), ['conversion_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_postback_deliveries_next_attempt_at'), ['next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_postback_deliveries_postback_id'), ['postback_id'], unique=False)


    _seed_required_rows()


def _seed_required_rows():
    """The settings row and the test partner gstest exist in every installation."""
    now = datetime.now(timezone.utc)
    settings = sa.table("network_settings", sa.column("id"), sa.column("network_name"), sa.column("timezone"),
                        sa.column("currency"), sa.column("partner_postbacks_enabled"))
    op.bulk_insert(settings, [{"id": 1, "network_name": "Partner Network", "timezone": "UTC",
                               "currency": "USD", "partner_postbacks_enabled": True}])
    partners = sa.table(
        "partners", sa.column("partnership_key"), sa.column("partner_key"), sa.column("name"),
        sa.column("status"), sa.column("onboarding"), sa.column("fraud_flag"), sa.column("is_test"),
        sa.column("timezone"), sa.column("currency"), sa.column("internal_notes"),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    op.bulk_insert(partners, [{
        "partnership_key": "part_gstest", "partner_key": "gstest", "name": "Test partner (gstest)",
        "status": "active", "onboarding": "complete", "fraud_flag": False, "is_test": True,
        "timezone": "UTC", "currency": "USD", "internal_notes": "Built-in test partner.", "created_at": now,
    }])
    partner_id = op.get_bind().execute(sa.text("SELECT id FROM partners WHERE partner_key = 'gstest'")).scalar_one()
    reservations = sa.table("partner_key_reservations", sa.column("key"), sa.column("partner_id"),
                            sa.column("reserved_at", sa.DateTime(timezone=True)))
    op.bulk_insert(reservations, [{"key": "gstest", "partner_id": partner_id, "reserved_at": now}])

def downgrade():
    with op.batch_alter_table('postback_deliveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_postback_deliveries_postback_id'))
        batch_op.drop_index(batch_op.f('ix_postback_deliveries_next_attempt_at'))
        batch_op.drop_index(batch_op.f('ix_postback_deliveries_conversion_id'))

    op.drop_table('postback_deliveries')
    with op.batch_alter_table('postbacks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_postbacks_partner_id'))

    op.drop_table('postbacks')
    with op.batch_alter_table('partner_users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_partner_users_partner_id'))

    op.drop_table('partner_users')
    with op.batch_alter_table('partner_key_reservations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_partner_key_reservations_partner_id'))

    op.drop_table('partner_key_reservations')
    with op.batch_alter_table('conversions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_conversions_transaction_id'))
        batch_op.drop_index('ix_conversions_partner_created')
        batch_op.drop_index(batch_op.f('ix_conversions_offer_id'))

    op.drop_table('conversions')
    with op.batch_alter_table('clicks', schema=None) as batch_op:
        batch_op.drop_index('ix_clicks_partner_created')
        batch_op.drop_index(batch_op.f('ix_clicks_offer_id'))

    op.drop_table('clicks')
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_keys_partner_id'))

    op.drop_table('api_keys')
    op.drop_table('partners')
    op.drop_table('staff_users')
    op.drop_table('offers')
    op.drop_table('network_settings')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_events_at'))
        batch_op.drop_index(batch_op.f('ix_audit_events_action'))

    op.drop_table('audit_events')
