"""Group commit: concurrent clicks are committed together, each request answered only after its own row is
durable; one bad row fails only its own request; a database outage is a 503 and promises nothing."""

from __future__ import annotations

import secrets
import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from portal.extensions import db as _db
from portal.models import Click, ReportRollup
from portal.services.traffic_writer import TrafficWriter


def click_values(partner_id: int, offer_id: int, **fields) -> dict:
    values = dict(transaction_id=secrets.token_hex(16), partner_id=partner_id, offer_id=offer_id, sub1="w",
                  sub2=None, sub3=None, sub4=None, sub5=None, source_id=None, offer_url_id=0, creative_id=None,
                  ip="8.8.8.8", user_agent=None, referer=None, country=None, region=None, city=None, device=None,
                  platform=None, browser=None, is_unique=True, error_code=None, error_message=None, payout_cents=0,
                  is_test=False, created_at=datetime.now(UTC))
    values.update(fields)
    return values


def test_concurrent_clicks_are_all_recorded_and_counted(app, db, make):
    partner, offer = make.partner(), make.offer()
    path, answers = f"/c/{partner.id}/{offer.id}?sub1=crowd", []

    def visitor(n: int) -> None:
        client = app.test_client()
        for i in range(10):
            answers.append(client.get(path, environ_base={"REMOTE_ADDR": f"10.0.{n}.{i}"}).status_code)

    threads = [threading.Thread(target=visitor, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [302] * 80
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Click)) == 80
    rollup = db.session.scalar(select(ReportRollup).where(ReportRollup.partner_id == partner.id))
    assert (rollup.clicks, rollup.unique_clicks) == (80, 80)


def test_a_bad_row_fails_only_its_own_write(app, db, make):
    partner, offer = make.partner(), make.offer()
    writer, engine = TrafficWriter(), _db.engine
    taken = click_values(partner.id, offer.id)
    good = [click_values(partner.id, offer.id) for _ in range(5)]
    rows = [*good, click_values(partner.id, offer.id, transaction_id=taken["transaction_id"])]
    writer.write(engine, "click", taken)
    errors = []

    def write(values):
        try:
            writer.write(engine, "click", values)
        except Exception as error:  # noqa: BLE001
            errors.append((values["transaction_id"], type(error).__name__))

    threads = [threading.Thread(target=write, args=(values,)) for values in rows]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [transaction_id for transaction_id, _ in errors] == [taken["transaction_id"]]  # the duplicate only
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Click)) == 6


@pytest.mark.parametrize("path", ["/c/1/1", "/r/somebody/1"])
def test_a_click_while_the_database_is_down_is_a_503(app_without_database, path):
    response = app_without_database.test_client().get(path)
    assert response.status_code == 503 and response.headers["Retry-After"]
    assert "Location" not in response.headers


def test_an_impression_while_the_database_is_down_is_a_503_too(app_without_database):
    response = app_without_database.test_client().get("/i/1/1")
    assert response.status_code == 503


def test_a_writer_that_cannot_commit_in_time_is_a_503(app, client, make, monkeypatch):
    partner, offer = make.partner(), make.offer()
    monkeypatch.setattr("portal.services.traffic_writer.WAIT_SECONDS", 0.5)
    stuck = threading.Event()
    monkeypatch.setattr("portal.services.traffic_writer._write", lambda batch: stuck.wait(10))
    try:
        response = client.get(f"/c/{partner.id}/{offer.id}")
    finally:
        stuck.set()
    assert response.status_code == 503 and "Location" not in response.headers
