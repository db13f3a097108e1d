"""Delivering to a real listener: the exact URL, the log, retries on the documented schedule, Retry-After,
switching a failing postback off, capped responses, test sends and "Retry now"."""

from __future__ import annotations

import random
import socket
import threading
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import update

from portal.delivery import schedule
from portal.delivery.http import EXCERPT_BYTES
from portal.delivery.worker import DeliveryInProgress, PostbackUnavailable, deliver_now, run_once
from portal.models import Postback, PostbackDelivery
from portal.models.base import utcnow
from tests.delivery.conftest import Reply, wait_until

# A worker records moments later than the attempt started; seconds of slack, never a wall-clock assertion.
SLACK = timedelta(seconds=30)


def make_due(db, delivery_id: int) -> None:
    """Time passes: the delivery's next attempt is now."""
    db.session.execute(update(PostbackDelivery).where(PostbackDelivery.id == delivery_id)
                       .values(next_attempt_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()


def test_the_listener_receives_the_exact_rendered_query(allow_private, outbox_rows, listener):
    sub1 = "x&payout=999#frag @127.0.0.1/../admin é"
    postback = outbox_rows.postback(listener.url("/pb?tid={transaction_id}&s1={sub1}&eid={event_id}"))
    delivery = outbox_rows.conversion(postback, transaction_id="abc123", sub1=sub1)
    assert run_once() == 1
    (received,) = listener.requests
    assert urlsplit(received.path).path == "/pb"
    assert parse_qs(urlsplit(received.path).query) == {"tid": ["abc123"], "s1": [sub1],
                                                      "eid": [delivery.event_id]}
    delivery = outbox_rows.reload(delivery)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 1, 200)
    assert delivery.first_attempt_at is not None and delivery.delivered_at >= delivery.first_attempt_at
    (attempt,) = outbox_rows.attempts(delivery.id)
    assert (attempt.outcome, attempt.resolved_ip, attempt.response_excerpt, attempt.manual) == (
        "delivered", "127.0.0.1", "OK", False)
    assert attempt.url == delivery.last_url and received.path in attempt.url


def test_the_current_template_is_used_with_the_snapshot_values(allow_private, db, outbox_rows, listener):
    postback = outbox_rows.postback(listener.url("/old?s1={sub1}"))
    outbox_rows.conversion(postback, sub1="first")
    postback.url = listener.url("/new?sub={sub1}")  # the partner fixed the template before it was sent
    db.session.commit()
    run_once()
    assert [r.path for r in listener.requests] == ["/new?sub=first"]


def test_retries_follow_the_schedule_with_jitter_then_the_delivery_is_dead(allow_private, db, outbox_rows,
                                                                            listener):
    listener.default = Reply(500, b"tracker down")
    postback = outbox_rows.postback(listener.url("/pb"))
    delivery = outbox_rows.conversion(postback)
    for base in schedule.RETRY_SCHEDULE_SECONDS:
        assert run_once() == 1
        row = outbox_rows.reload(delivery)
        waited = row.next_attempt_at - row.last_attempt_at
        assert timedelta(seconds=base * 0.8) <= waited <= timedelta(seconds=base * 1.2) + SLACK
        assert row.status == "pending" and row.last_error == "The destination answered HTTP 500"
        make_due(db, delivery.id)
    assert run_once() == 1
    row = outbox_rows.reload(delivery)
    assert (row.status, row.attempts, row.next_attempt_at) == ("dead", 8, None)
    assert row.last_error.startswith("Gave up after 8 attempts")
    assert len(listener.requests) == 8 and run_once() == 0
    assert [a.attempt_number for a in outbox_rows.attempts(delivery.id)] == list(range(1, 9))


def test_the_jitter_stays_within_twenty_percent_and_varies():
    rng = random.Random(7)
    for failures, base in enumerate(schedule.RETRY_SCHEDULE_SECONDS, start=1):
        delays = [schedule.retry_delay(failures, rng=rng).total_seconds() for _ in range(200)]
        assert base * 0.8 <= min(delays) < base * 0.9 and base * 1.1 < max(delays) <= base * 1.2
    assert schedule.retry_delay(len(schedule.RETRY_SCHEDULE_SECONDS) + 1) is None


def test_timeouts_and_429_wait_at_least_a_minute():
    assert schedule.retry_delay(1, overloaded=True).total_seconds() == 60
    assert 240 <= schedule.retry_delay(2, overloaded=True).total_seconds() <= 360


@pytest.mark.parametrize(("failures", "retry_after", "low", "high"), [
    (1, 3600, 60, 60),          # 5 s step: overload floor 60 s; Retry-After capped at 2 × 5 s
    (2, 3600, 600, 600),        # 5 min step: capped at 2 × 300 s
    (3, 3600, 3600, 3600),      # 30 min step: the hour asked for is within 2 × 1800 s
    (4, 1, 7200 * 0.8, 7200 * 1.2),  # asking for less never speeds the schedule up
])
def test_retry_after_is_honoured_within_base_and_twice_base(failures, retry_after, low, high):
    delay = schedule.retry_delay(failures, overloaded=True, retry_after=retry_after).total_seconds()
    assert low <= delay <= high


def test_retry_after_as_an_http_date():
    now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    assert schedule.parse_retry_after("Thu, 01 Jan 2026 12:10:00 GMT", now) == 600
    assert schedule.parse_retry_after("soon", now) is None and schedule.parse_retry_after(None, now) is None


def test_a_429_with_retry_after_is_clamped(allow_private, db, outbox_rows, listener):
    listener.default = Reply(429, b"slow down", {"Retry-After": "3600"})
    delivery = outbox_rows.conversion(outbox_rows.postback(listener.url("/pb")))
    expected = [(60, 60), (600, 600), (3600, 3600)]
    for low, high in expected:
        assert run_once() == 1
        row = outbox_rows.reload(delivery)
        waited = row.next_attempt_at - row.last_attempt_at
        assert timedelta(seconds=low) <= waited <= timedelta(seconds=high) + SLACK
        make_due(db, delivery.id)


def test_ten_failures_in_a_row_switch_the_postback_off_and_say_why(allow_private, db, outbox_rows, listener):
    listener.default = Reply(503, b"maintenance")
    postback = outbox_rows.postback(listener.url("/pb"))
    failing = [outbox_rows.conversion(postback).id for _ in range(10)]
    waiting = outbox_rows.conversion(postback)
    db.session.execute(update(PostbackDelivery).where(PostbackDelivery.id == waiting.id)
                       .values(next_attempt_at=utcnow() + timedelta(hours=1)))
    db.session.commit()
    assert run_once() == 10
    postback = outbox_rows.reload(postback)
    assert (postback.status, postback.consecutive_failures) == ("inactive", 10)
    assert postback.disabled_at is not None
    assert postback.disabled_reason.startswith("Turned off after 10 failed deliveries in a row since ")
    assert "last error: The destination answered HTTP 503" in postback.disabled_reason
    statuses = {outbox_rows.reload(db.session.get(PostbackDelivery, i)).status for i in failing + [waiting.id]}
    assert statuses == {"dead"}
    assert len(listener.requests) == 10


def test_a_success_ends_the_failure_streak(allow_private, db, outbox_rows, listener):
    postback = outbox_rows.postback(listener.url("/pb"), consecutive_failures=9,
                                    first_failure_at=utcnow() - timedelta(hours=1))
    outbox_rows.conversion(postback)
    run_once()
    postback = outbox_rows.reload(postback)
    assert (postback.status, postback.consecutive_failures, postback.first_failure_at) == ("active", 0, None)


def test_failures_more_than_72_hours_apart_start_a_new_streak(allow_private, db, outbox_rows, listener):
    listener.default = Reply(500)
    postback = outbox_rows.postback(listener.url("/pb"), consecutive_failures=9,
                                    first_failure_at=utcnow() - timedelta(hours=73))
    outbox_rows.conversion(postback)
    run_once()
    postback = outbox_rows.reload(postback)
    assert (postback.status, postback.consecutive_failures) == ("active", 1)


def test_blocked_destinations_count_as_failures(app, db, outbox_rows):
    postback = outbox_rows.postback("http://169.254.169.254/latest/meta-data/", consecutive_failures=9,
                                    first_failure_at=utcnow() - timedelta(hours=1))
    outbox_rows.conversion(postback)
    run_once()
    postback = outbox_rows.reload(postback)
    assert postback.status == "inactive" and "169.254.0.0/16" in postback.disabled_reason


def test_a_huge_answer_is_cut_to_64_kib_read_and_2_kb_kept(allow_private, outbox_rows, listener):
    size = 64 * 1024 * 1024
    listener.default = Reply(200, b"<script>alert(1)</script>" + b"x" * size)
    delivery = outbox_rows.conversion(outbox_rows.postback(listener.url("/pb")))
    assert run_once() == 1
    (attempt,) = outbox_rows.attempts(delivery.id)
    assert attempt.outcome == "delivered"
    # The sender hung up after 64 KiB: the server got no further than what the socket buffers took.
    assert wait_until(lambda: listener.replies_done == 1)
    assert listener.body_bytes_written < 16 * 1024 * 1024
    assert len(attempt.response_excerpt) == EXCERPT_BYTES
    assert attempt.response_excerpt.startswith("<script>alert(1)</script>xxx")  # stored raw; pages escape


def test_a_slow_answer_times_out_and_waits_at_least_a_minute(allow_private, app, outbox_rows, listener):
    app.config["POSTBACK_TOTAL_TIMEOUT"] = 0.5
    stall = threading.Event()
    listener.reply(Reply(200, stall=stall))
    delivery = outbox_rows.conversion(outbox_rows.postback(listener.url("/pb")))
    assert run_once() == 1
    stall.set()
    (attempt,) = outbox_rows.attempts(delivery.id)
    assert (attempt.outcome, attempt.error_class) == ("failed", "timeout")
    row = outbox_rows.reload(delivery)
    assert row.next_attempt_at - row.last_attempt_at >= timedelta(seconds=60)


def test_a_refused_connection_is_a_connection_failure(allow_private, outbox_rows):
    with socket.socket() as reserved:
        reserved.bind(("127.0.0.1", 0))  # bound, never listening: connections to it are refused
        port = reserved.getsockname()[1]
        attempt = deliver_now(outbox_rows.test_send(outbox_rows.postback(f"http://127.0.0.1:{port}/pb")).id)
    assert (attempt.outcome, attempt.error_class) == ("failed", "connection")


def test_test_sends_are_tried_once_and_leave_the_streak_alone(allow_private, db, outbox_rows, listener):
    listener.default = Reply(500)
    postback = outbox_rows.postback(listener.url("/pb?t={is_test}&s1={sub1}"))
    test = outbox_rows.test_send(postback)
    assert run_once() == 1
    test = outbox_rows.reload(test)
    assert (test.status, test.attempts, test.next_attempt_at) == ("dead", 1, None)
    assert outbox_rows.reload(postback).consecutive_failures == 0
    assert listener.requests[0].path == "/pb?t=1&s1=sample_sub1"
    assert run_once() == 0 and len(listener.requests) == 1


def test_send_test_through_deliver_now(allow_private, outbox_rows, listener):
    test = outbox_rows.test_send(outbox_rows.postback(listener.url("/pb")))
    attempt = deliver_now(test.id)
    assert (attempt.outcome, attempt.manual, attempt.status_code) == ("delivered", True, 200)
    assert outbox_rows.reload(test).status == "delivered"


def test_retry_now_revives_a_dead_delivery_and_a_failure_leaves_it_dead(allow_private, db, outbox_rows,
                                                                       listener):
    postback = outbox_rows.postback(listener.url("/pb"))
    delivery = outbox_rows.conversion(postback)
    db.session.execute(update(PostbackDelivery).where(PostbackDelivery.id == delivery.id)
                       .values(status="dead", next_attempt_at=None, attempts=8))
    db.session.commit()
    listener.reply(Reply(500))
    failed = deliver_now(delivery.id)
    assert (failed.outcome, failed.attempt_number, failed.manual) == ("failed", 9, True)
    assert outbox_rows.reload(delivery).status == "dead"
    assert outbox_rows.reload(postback).consecutive_failures == 0  # manual failures do not count
    succeeded = deliver_now(delivery.id)
    assert succeeded.outcome == "delivered"
    assert outbox_rows.reload(delivery).status == "delivered"
    assert len(listener.requests) == 2


def test_retry_now_on_a_pending_retry_keeps_its_schedule(allow_private, db, outbox_rows, listener):
    listener.default = Reply(500)
    delivery = outbox_rows.conversion(outbox_rows.postback(listener.url("/pb")))
    run_once()
    scheduled = outbox_rows.reload(delivery).next_attempt_at
    deliver_now(delivery.id)
    row = outbox_rows.reload(delivery)
    assert (row.status, row.attempts, row.next_attempt_at) == ("pending", 2, scheduled)


def test_retry_now_refuses_a_delivery_a_worker_holds(app, db, outbox_rows, listener):
    delivery = outbox_rows.conversion(outbox_rows.postback(listener.url("/pb")))
    db.session.execute(update(PostbackDelivery).where(PostbackDelivery.id == delivery.id)
                       .values(claimed_until=utcnow() + timedelta(minutes=1)))
    db.session.commit()
    with pytest.raises(DeliveryInProgress):
        deliver_now(delivery.id)
    assert listener.connections == 0


def test_an_automatic_send_to_a_switched_off_postback_is_refused(app, db, outbox_rows, listener):
    postback = outbox_rows.postback(listener.url("/pb"))
    delivery = outbox_rows.conversion(postback)
    db.session.execute(update(Postback).where(Postback.id == postback.id).values(status="inactive"))
    db.session.commit()
    with pytest.raises(PostbackUnavailable):
        deliver_now(delivery.id, manual=False)
    assert outbox_rows.reload(delivery).status == "dead" and listener.connections == 0


def test_the_worker_command_once_delivers_what_is_due_and_exits(allow_private, db, outbox_rows, listener):
    ids = [outbox_rows.conversion(outbox_rows.postback(listener.url(f"/pb{n}"))).id for n in (1, 2)]
    result = allow_private.test_cli_runner().invoke(args=["postbacks", "work", "--once", "--batch", "1"])
    assert result.exit_code == 0, result.output
    assert "stopped after 2 attempts" in result.output
    assert sorted(r.path for r in listener.requests) == ["/pb1", "/pb2"]
    assert {db.session.get(PostbackDelivery, i).status for i in ids} == {"delivered"}
