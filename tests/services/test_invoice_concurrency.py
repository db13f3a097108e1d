"""Two invoice runs at once (the scheduler and a staff member, two hosts) cannot invoice a conversion twice.

PostgreSQL only (SQLite has one writer, and the write lock serialises runs there). Both runs are held, by a
hook on the conversions claim, until the other has reached it too or two seconds have passed, so the two
claims really overlap.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import event, func, select

from portal.extensions import db as _db
from portal.models import Conversion, Invoice
from portal.services.invoices import generate_invoices, month_period
from tests.conftest import database_url

pytestmark = pytest.mark.skipif(not database_url().startswith("postgresql"),
                                reason="row locks between concurrent runs are PostgreSQL's")


def test_two_concurrent_runs_invoice_every_approved_conversion_exactly_once(app, db, make):
    offers = [make.offer(), make.offer()]
    partners = [make.partner() for _ in range(3)]
    for n, partner in enumerate(partners):
        for i in range(12):
            make.conversion(partner, offers[i % 2], at=datetime(2026, 11, 1 + i, tzinfo=UTC),
                            payout_cents=101 * (n + 1) + i)
    approved = db.session.scalar(select(func.sum(Conversion.payout_cents)))

    both_claiming = threading.Barrier(2)

    def hold(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("UPDATE CONVERSIONS SET INVOICE_ID"):
            try:
                both_claiming.wait(timeout=2)
            except threading.BrokenBarrierError:
                pass  # the other run is waiting on this one's partner lock: go on

    errors: list[BaseException] = []
    made: list[int] = []

    def run() -> None:
        with app.app_context():
            try:
                made.extend(invoice.id for invoice in generate_invoices(*month_period("2026-11"), None, None).invoices)
            except BaseException as error:  # noqa: BLE001 - reported below
                errors.append(error)
            finally:
                _db.session.remove()

    event.listen(_db.engine, "before_cursor_execute", hold)
    try:
        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        event.remove(_db.engine, "before_cursor_execute", hold)

    assert not errors, errors
    db.session.expire_all()
    invoices = db.session.scalars(select(Invoice)).all()
    assert len(invoices) == len(made) == len(partners)
    assert sorted(invoice.partner_id for invoice in invoices) == sorted(p.id for p in partners)
    assert sum(invoice.total_cents for invoice in invoices) == approved
    assert db.session.scalar(select(func.count()).select_from(Conversion).where(Conversion.invoice_id.is_(None))) == 0
