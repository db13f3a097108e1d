"""Invoice runs at a chosen time: a run refuses a period whose last day is not over yet, so a test that
invoices today's conversions runs the invoices as the scheduler would, after the period has ended."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from unittest import mock

from portal.services import invoices as invoice_service
from portal.web.staff import billing as staff_billing


@contextmanager
def invoicing_at(now: datetime) -> Iterator[None]:
    """The invoice run's clock (the service and the staff console's run page) reads `now`."""
    with mock.patch.object(invoice_service, "utcnow", lambda: now), \
            mock.patch.object(staff_billing, "utcnow", lambda: now):
        yield


def after(end: date) -> datetime:
    """Noon UTC two days after the period's last day: over in every timezone."""
    return datetime.combine(end + timedelta(days=2), time(12), UTC)


def generate_invoices_after(start: date, end: date, partner_ids, actor=None, ip: str | None = None):
    """generate_invoices as a run made once the period is over."""
    with invoicing_at(after(end)):
        return invoice_service.generate_invoices(start, end, partner_ids, actor, ip=ip)
