"""Regressions from the delivery review: the total timeout is a wall-clock deadline (slow headers, slow
DNS), a batch never outwaits its lease, "Retry now" claims like a worker does and never strands a row,
and the worker loop survives unexpected errors."""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import update

from portal.delivery import http, recording, worker
from portal.delivery.http import SendSettings, send
from portal.delivery.worker import STOP_WAITING_BEFORE_LEASE_END_SECONDS, DeliveryInProgress, OutboxWorker
from portal.models import PostbackDelivery
from portal.models.base import utcnow
from tests.delivery.conftest import Reply

DRIP_BYTES = 20  # at one byte every 0.5 s, ten seconds of headers


class DripServer:
    """Accepts one connection, reads the request, then sends a status line and a header one byte at a time
    every 0.5 s; notes whether the client hung up before it had dripped everything."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.client_hung_up = threading.Event()
        self.dripped_everything = threading.Event()
        self.bytes_dripped = 0
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        try:
            conn, _ = self.sock.accept()
        except OSError:
            return
        with conn:
            try:
                conn.recv(65536)
                conn.sendall(b"HTTP/1.1 200 OK\r\n")
                conn.settimeout(0.5)
                for _ in range(DRIP_BYTES):
                    try:
                        if conn.recv(1) == b"":  # the client shut the connection down
                            self.client_hung_up.set()
                            return
                    except TimeoutError:
                        pass  # still open: drip the next byte
                    conn.sendall(b"X")
                    self.bytes_dripped += 1
                self.dripped_everything.set()
            except OSError:
                self.client_hung_up.set()

    def __enter__(self) -> DripServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.sock.close()


def test_a_server_dripping_its_headers_is_cut_off_at_the_total_timeout():
    with DripServer() as server:
        result = send(f"http://127.0.0.1:{server.port}/pb", SendSettings(allow_private=True, total_timeout=1))
        assert (result.outcome, result.error_class) == ("failed", "timeout")
        assert server.client_hung_up.wait(10)
        assert not server.dripped_everything.is_set() and server.bytes_dripped < DRIP_BYTES


def test_a_retry_now_of_a_dead_delivery_that_times_out_leaves_it_dead(allow_private, app, db, outbox_rows):
    app.config["POSTBACK_TOTAL_TIMEOUT"] = 1
    with DripServer() as server:
        delivery = outbox_rows.conversion(outbox_rows.postback(f"http://127.0.0.1:{server.port}/pb"))
        db.session.execute(update(PostbackDelivery).where(PostbackDelivery.id == delivery.id)
                           .values(status="dead", next_attempt_at=None, attempts=8))
        db.session.commit()
        attempt = worker.deliver_now(delivery.id)
        assert (attempt.outcome, attempt.error_class, attempt.manual) == ("failed", "timeout", True)
        assert server.client_hung_up.wait(10) and not server.dripped_everything.is_set()
    row = outbox_rows.reload(delivery)
    assert (row.status, row.next_attempt_at, row.claimed_until) == ("dead", None, None)


def test_a_hanging_dns_lookup_is_bounded_by_the_total_timeout(monkeypatch):
    release = threading.Event()

    def hanging_getaddrinfo(*args, **kwargs):
        release.wait(30)
        raise socket.gaierror("released")

    monkeypatch.setattr(http, "getaddrinfo", hanging_getaddrinfo)
    try:
        result = send("http://tracker.example.com/pb", SendSettings(total_timeout=0.5))
    finally:
        release.set()
    assert (result.outcome, result.error_class) == ("failed", "timeout")
    assert result.error == "Timed out after 0.5 s looking up tracker.example.com"


def test_a_batch_stops_waiting_before_its_lease_ends_and_records_the_straggler_later(allow_private, outbox_rows,
                                                                                      listener):
    stall = threading.Event()
    listener.reply(Reply(200, stall=stall))
    ids = [outbox_rows.conversion(outbox_rows.postback(listener.url(f"/pb{n}"))).id for n in (1, 2)]
    outbox = OutboxWorker(batch=2, concurrency=2, settings=SendSettings(allow_private=True, total_timeout=30))
    outbox.lease = timedelta(seconds=STOP_WAITING_BEFORE_LEASE_END_SECONDS + 3)  # stop waiting after ~3 s
    try:
        assert outbox.run_batch() == (2, 2)
        assert not stall.is_set() and listener.replies_done == 1  # returned with the stalled send in flight
        rows = sorted((outbox_rows.reload(outbox_rows.db.session.get(PostbackDelivery, i)) for i in ids),
                      key=lambda r: r.status)
        assert [(r.status, r.attempts) for r in rows] == [("delivered", 1), ("pending", 0)]
        assert rows[1].claimed_until is not None  # still leased: no other worker takes it meanwhile
    finally:
        stall.set()
        outbox.close()  # waits for the straggler and records its answer
    assert {outbox_rows.reload(outbox_rows.db.session.get(PostbackDelivery, i)).status for i in ids} == {
        "delivered"}
    assert len(listener.requests) == 2


@pytest.mark.parametrize("meanwhile", [{"claimed_until": "lease"}, {"status": "delivered"}])
def test_retry_now_does_not_send_what_a_worker_claimed_after_it_was_read(allow_private, db, monkeypatch,
                                                                          outbox_rows, listener, meanwhile):
    delivery = outbox_rows.conversion(outbox_rows.postback(listener.url("/pb")))
    checked = worker._unsendable

    def a_worker_claims_in_between(*args, **kwargs):
        # Between deliver_now's read and its claim, a worker's guarded claim (or its whole send) lands.
        values = {k: (utcnow() + timedelta(minutes=1) if v == "lease" else v) for k, v in meanwhile.items()}
        db.session.execute(update(PostbackDelivery).where(PostbackDelivery.id == delivery.id).values(**values)
                           .execution_options(synchronize_session=False))  # unseen by deliver_now's row
        return checked(*args, **kwargs)

    monkeypatch.setattr(worker, "_unsendable", a_worker_claims_in_between)
    with pytest.raises(DeliveryInProgress):
        worker.deliver_now(delivery.id)
    assert listener.connections == 0


def test_a_retry_now_of_a_dead_delivery_interrupted_mid_send_is_picked_up_again(allow_private, db, monkeypatch,
                                                                                 outbox_rows, listener):
    delivery = outbox_rows.conversion(outbox_rows.postback(listener.url("/pb")))
    db.session.execute(update(PostbackDelivery).where(PostbackDelivery.id == delivery.id)
                       .values(status="dead", next_attempt_at=None, attempts=3))
    db.session.commit()

    def the_process_dies(url, settings):
        raise RuntimeError("killed mid-send")

    monkeypatch.setattr(recording, "send", the_process_dies)
    with pytest.raises(RuntimeError):
        worker.deliver_now(delivery.id)
    db.session.rollback()
    row = outbox_rows.reload(delivery)
    assert row.status == "dead" or (row.status == "pending" and row.next_attempt_at is not None)
    monkeypatch.undo()
    later = utcnow() + timedelta(minutes=10)  # the claim's lease has long passed
    monkeypatch.setattr(worker, "utcnow", lambda: later)
    assert worker.run_once() == 1
    assert outbox_rows.reload(delivery).status == "delivered" and len(listener.requests) == 1


def test_the_worker_command_survives_an_unexpected_error(app, monkeypatch, caplog):
    calls = []

    def run_batch(self, limit=None):
        calls.append(limit)
        if len(calls) == 1:
            raise RuntimeError("http://tracker.example.com/pb?token=SECRET123")
        return 0, 0

    monkeypatch.setattr(OutboxWorker, "run_batch", run_batch)
    with caplog.at_level(logging.ERROR, logger="portal.cli.postbacks"):
        result = app.test_cli_runner().invoke(args=["postbacks", "work", "--once", "--idle-sleep", "0.01"])
    assert result.exit_code == 0, result.output
    assert len(calls) == 2  # it carried on after the error
    assert "RuntimeError" in caplog.text
    assert "SECRET123" not in caplog.text and "tracker.example.com" not in caplog.text


def test_the_worker_command_stops_on_sigterm_and_restores_the_handlers(app, monkeypatch):
    """The command's own SIGTERM handler ends the loop after the current round (it sets a plain flag:
    a handler that takes a lock can deadlock the process), and the previous handlers come back."""
    rounds = threading.Event()
    monkeypatch.setattr(OutboxWorker, "run_batch", lambda self, limit=None: (rounds.set(), (0, 0))[1])
    before = signal.getsignal(signal.SIGTERM)

    def stop_when_running():
        assert rounds.wait(30)  # the handler is installed before the first round
        os.kill(os.getpid(), signal.SIGTERM)

    killer = threading.Thread(target=stop_when_running)
    killer.start()
    started = time.monotonic()
    result = app.test_cli_runner().invoke(args=["postbacks", "work", "--idle-sleep", "60"])
    killer.join()
    assert result.exit_code == 0, result.output
    assert time.monotonic() - started < 30  # it did not sleep out its 60-second idle wait
    assert "stopped after 0 attempts" in result.output
    assert signal.getsignal(signal.SIGTERM) is before
