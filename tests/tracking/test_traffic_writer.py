"""Group commit: concurrent clicks are committed together, each request answered only after its own row is
durable; one bad row fails only its own request; a database outage fails a batch at once and is a 503 that
promises nothing; the queue is bounded; a row whose request gave up is not committed later."""

from __future__ import annotations

import secrets
import threading
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from portal.extensions import db as _db
from portal.models import Click, ReportRollup
from portal.services import traffic_writer
from portal.services.traffic_writer import TrafficBacklog, TrafficWriter


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


def until(condition) -> None:
    """Wait for another thread to get somewhere (polls; the test asserts nothing about time)."""
    for _ in range(2000):
        if condition():
            return
        time.sleep(0.005)
    raise AssertionError("the other thread never got there")


class HeldWriter:
    """The real _write, but the first transaction waits for `release`; records what each batch held."""

    def __init__(self, monkeypatch, fail_after_first: Exception | None = None) -> None:
        self.batches: list[list[str]] = []
        self.release = threading.Event()
        self.fail_after_first = fail_after_first
        self._real = traffic_writer._write
        monkeypatch.setattr(traffic_writer, "_write", self)

    def __call__(self, batch) -> None:
        self.batches.append([row.values["transaction_id"] for row in batch])
        if len(self.batches) == 1:
            self.release.wait(10)
        elif self.fail_after_first is not None:
            raise self.fail_after_first
        self._real(batch)


def writing(writer, engine, values, errors: list) -> threading.Thread:
    def run() -> None:
        try:
            writer.write(engine, "click", values)
        except Exception as error:  # noqa: BLE001
            errors.append((values["transaction_id"], type(error).__name__))

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_a_connection_error_fails_the_whole_batch_at_once(app, db, make, monkeypatch):
    partner, offer = make.partner(), make.offer()
    held = HeldWriter(monkeypatch, OperationalError("INSERT", {}, Exception("server closed the connection")))
    writer, errors = TrafficWriter(), []
    first = writing(writer, _db.engine, click_values(partner.id, offer.id), errors)
    until(lambda: len(held.batches) == 1)
    waiting = [writing(writer, _db.engine, click_values(partner.id, offer.id), errors) for _ in range(5)]
    until(lambda: writer.backlog() == 5)
    held.release.set()
    for thread in (first, *waiting):
        thread.join()
    assert [len(batch) for batch in held.batches] == [1, 5]  # not retried row by row against a dead database
    assert sorted(name for _, name in errors) == ["OperationalError"] * 5


def test_the_queue_is_bounded_and_a_click_past_it_is_refused_at_once(app, db, make, monkeypatch):
    partner, offer = make.partner(), make.offer()
    held = HeldWriter(monkeypatch)
    writer, errors = TrafficWriter(max_queued=3), []
    first = writing(writer, _db.engine, click_values(partner.id, offer.id), errors)
    until(lambda: len(held.batches) == 1)
    waiting = [writing(writer, _db.engine, click_values(partner.id, offer.id), errors) for _ in range(3)]
    until(lambda: writer.backlog() == 3)
    with pytest.raises(TrafficBacklog):
        writer.write(_db.engine, "click", click_values(partner.id, offer.id))
    held.release.set()
    for thread in (first, *waiting):
        thread.join()
    assert errors == []
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Click)) == 4


def test_a_click_past_the_queue_bound_is_a_503(app, client, db, make):
    partner, offer = make.partner(), make.offer()
    app.extensions["portal.tracker"].writer.max_queued = 0
    response = client.get(f"/c/{partner.id}/{offer.id}")
    assert response.status_code == 503 and response.headers["Retry-After"] and "Location" not in response.headers
    assert db.session.scalar(select(func.count()).select_from(Click)) == 0


def test_a_row_whose_request_gave_up_is_never_committed(app, db, make, monkeypatch):
    partner, offer = make.partner(), make.offer()
    held = HeldWriter(monkeypatch)
    writer, errors = TrafficWriter(), []
    in_flight = click_values(partner.id, offer.id)
    first = writing(writer, _db.engine, in_flight, errors)
    until(lambda: len(held.batches) == 1)
    monkeypatch.setattr(traffic_writer, "WAIT_SECONDS", 0.05)
    gave_up = click_values(partner.id, offer.id)
    with pytest.raises(TimeoutError):  # the door answers this with a 503
        writer.write(_db.engine, "click", gave_up)
    later = click_values(partner.id, offer.id)
    monkeypatch.setattr(traffic_writer, "WAIT_SECONDS", 30)
    after = writing(writer, _db.engine, later, errors)
    until(lambda: writer.backlog() == 2)
    held.release.set()
    for thread in (first, after):
        thread.join()
    assert errors == []
    assert held.batches == [[in_flight["transaction_id"]], [later["transaction_id"]]]
    db.session.expire_all()
    committed = set(db.session.scalars(select(Click.transaction_id)))
    assert committed == {in_flight["transaction_id"], later["transaction_id"]}


def test_a_row_the_database_refuses_is_a_503_not_a_server_error(app, client, db, make, monkeypatch):
    partner, offer = make.partner(), make.offer()
    monkeypatch.setattr("portal.services.clicks.secrets.token_hex", lambda n: "f" * 32)  # as if already taken
    assert client.get(f"/c/{partner.id}/{offer.id}").status_code == 302
    again = client.get(f"/c/{partner.id}/{offer.id}")  # the same transaction id: an IntegrityError
    assert again.status_code == 503 and "Location" not in again.headers
    assert db.session.scalar(select(func.count()).select_from(Click)) == 1


def test_a_held_connection_found_dead_is_replaced_and_the_batch_still_commits(app, db, make):
    """The writer keeps its connection between batches without the pool's ping; when the server dropped it
    meanwhile (restart, failover), the batch goes through a fresh one instead of failing every click."""
    partner, offer = make.partner(), make.offer()
    writer = TrafficWriter()
    writer.write(_db.engine, "click", click_values(partner.id, offer.id))
    held = traffic_writer._held[writer._thread.ident]
    held.connection.connection.driver_connection.close()  # as a server restart leaves it
    writer.write(_db.engine, "click", click_values(partner.id, offer.id))
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Click)) == 2


@pytest.mark.parametrize("clicks_in_batch", [1, 3, traffic_writer.ONE_STATEMENT_ROWS, 9])
def test_a_batch_of_clicks_and_an_impression_commits_rows_and_rollups_whatever_its_size(app, db, make,
                                                                                      clicks_in_batch):
    """On PostgreSQL a small batch is one statement (CTEs and the upsert) in autocommit, a bigger one a
    transaction; on SQLite always a transaction. The same rows and counts either way."""
    partner, offer = make.partner(), make.offer()
    impression = {k: v for k, v in click_values(partner.id, offer.id, sub1="a").items()
                  if k in ("partner_id", "offer_id", "sub1", "sub2", "sub3", "sub4", "sub5", "source_id",
                           "offer_url_id", "creative_id", "ip", "user_agent", "referer", "country", "is_test",
                           "created_at")}
    rows = [traffic_writer._Row(_db.engine, "click", click_values(partner.id, offer.id, sub1=f"s{n % 2}",
                                                                  is_unique=n == 0))
            for n in range(clicks_in_batch - 1)]
    rows += [traffic_writer._Row(_db.engine, "impression", impression),
             traffic_writer._Row(_db.engine, "click", click_values(partner.id, offer.id, sub1="a", payout_cents=25))]
    traffic_writer._write(rows)
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Click)) == clicks_in_batch
    by_sub1 = {r.sub1: (r.clicks, r.unique_clicks, r.impressions, r.earnings_cents)
               for r in db.session.scalars(select(ReportRollup).where(ReportRollup.offer_id == offer.id))}
    expected = {"a": (1, 1, 1, 25)}
    for n in range(clicks_in_batch - 1):
        clicks, unique, impressions, cents = expected.get(f"s{n % 2}", (0, 0, 0, 0))
        expected[f"s{n % 2}"] = (clicks + 1, unique + (n == 0), impressions, cents)
    assert by_sub1 == expected
    traffic_writer._write([traffic_writer._Row(_db.engine, "click", click_values(partner.id, offer.id, sub1="a"))])
    db.session.expire_all()
    assert db.session.scalar(select(ReportRollup.clicks).where(ReportRollup.offer_id == offer.id,
                                                               ReportRollup.sub1 == "a")) == 2  # added, not replaced
