"""Network API objects (the models of schemas.py) from rows: times in epoch milliseconds, keys as the
identifiers."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from portal.api.network import schemas
from portal.models import Customer, Partner, PartnerGroup, Transaction
from portal.queries.reward_invoices import RewardInvoice
from portal.queries.transactions import REWARD_STATUSES

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ONE_MS = timedelta(milliseconds=1)


def epoch_ms(at: datetime | None) -> int | None:
    """Whole milliseconds, counted exactly (a float timestamp can land 1 ms low)."""
    return (at - EPOCH) // ONE_MS if at is not None else None


def group(row: PartnerGroup) -> schemas.Group:
    return schemas.Group(key=row.key, name=row.name, slug=row.slug, default=row.is_default,
                         created_at=epoch_ms(row.created_at), updated_at=epoch_ms(row.updated_at))


def partnership(row: Partner, customer_count: int = 0) -> schemas.Partnership:
    manager = row.account_manager
    return schemas.Partnership(
        key=row.partnership_key,
        partner_key=row.partner_key,
        email=row.email,
        first_name=row.first_name,
        last_name=row.last_name,
        group=schemas.GroupRef(key=row.group.key, name=row.group.name, slug=row.group.slug) if row.group else None,
        tags=list(row.tags or []),
        manager={"manager_name": manager.name, "manager_email": manager.email} if manager else {},
        address=None,
        stats=schemas.Stats(CUSTOMER_COUNT=customer_count),
        test=row.is_test,
        archived=row.archived_at is not None,
        created_at=epoch_ms(row.created_at),
        updated_at=epoch_ms(row.updated_at),
        joined_at=epoch_ms(row.joined_at),
    )


def customer(row: Customer) -> schemas.Customer:
    return schemas.Customer(
        key=row.key,
        customer_key=row.customer_key,
        email=row.email,
        name=row.name,
        partner_key=row.partner.partner_key,
        partnership_key=row.partner.partnership_key,
        provider_key=row.provider_key,
        meta=dict(row.meta or {}),
        test=row.test,
        archived=row.archived_at is not None,
        created_at=epoch_ms(row.created_at),
        updated_at=epoch_ms(row.updated_at),
    )


def _customer_ref(row: Customer) -> schemas.CustomerRef:
    return schemas.CustomerRef(key=row.key, customer_key=row.customer_key, email=row.email)


def transaction(row: Transaction) -> schemas.Transaction:
    partner = row.customer.partner
    return schemas.Transaction(
        key=row.key,
        amount=row.amount_cents,
        currency=row.currency,
        customer_key=row.customer.key,
        customer=_customer_ref(row.customer),
        partner_key=partner.partner_key,
        partnership_key=partner.partnership_key,
        product_key=row.product_key,
        category_key=row.category_key,
        conversion_id=row.conversion.conversion_id,
        approved=row.conversion.status == "approved",
        test=row.test,
        created_at=epoch_ms(row.created_at),
        updated_at=epoch_ms(row.conversion.status_changed_at or row.created_at),
    )


def reward_invoice(found: RewardInvoice | None) -> schemas.RewardInvoice | None:
    if found is None:
        return None
    paid_at = datetime.combine(found.paid_on, time.min, UTC) if found.paid_on is not None else None
    return schemas.RewardInvoice(key=found.number, status=schemas.INVOICE_STATUSES[found.status],
                                 payment_date=epoch_ms(paid_at))


def reward(row: Transaction, invoice: RewardInvoice | None) -> schemas.Reward:
    conversion, partner = row.conversion, row.customer.partner
    return schemas.Reward(
        key=row.reward_key,
        amount=conversion.payout_cents,
        currency=conversion.currency,
        reward_status=REWARD_STATUSES.get(conversion.status, conversion.status),
        description=f"Transaction {row.key[:100]}",
        customer=_customer_ref(row.customer),
        transaction=schemas.TransactionRef(key=row.key, amount=row.amount_cents, currency=row.currency),
        partnership=schemas.PartnershipRef(key=partner.partnership_key, partner_key=partner.partner_key,
                                           email=partner.email),
        invoice=reward_invoice(invoice),
        created_at=epoch_ms(row.created_at),
        updated_at=epoch_ms(row.conversion.status_changed_at or row.created_at),
    )
