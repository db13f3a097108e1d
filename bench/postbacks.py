"""Postback delivery throughput and lag: 10,000 conversions' deliveries to a local HTTP sink, 1 and 4 workers.

On PostgreSQL (its own database, `bench_postbacks` on --postgresql-server, emptied and re-created by this
script; never `test`), with the real worker processes (`flask --app wsgi postbacks work`, default batch
and concurrency) sending real HTTP requests to an asyncio HTTP/1.1 keep-alive sink in a subprocess,
for each worker count this measures two things:

* **drain** — the outbox is filled with N due deliveries at once (a backlog after an outage): deliveries/s
  from release to the last delivery. Target: ≥ 200/s with 4 workers.
* **arrival** — conversions arrive at a steady --rate (default 250/s, above the throughput target) while
  the workers run, each written with its delivery in one transaction as intake does: lag = first_attempt_at
  − created_at, p50 and p95. Target: p95 ≤ 5 s with 4 workers. (The drain's lag is printed too, but with a
  pre-filled outbox it measures the length of the queue, not the worker.)

Every run also checks that the sink got exactly one request per delivery and every delivery is delivered.

    .venv/bin/python bench/postbacks.py [--conversions 10000] [--workers 1 4] [--rate 250]
                                        [--postgresql-server postgresql+psycopg://postgres@127.0.0.1:5432]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.databases import fresh_postgresql  # noqa: E402  (after the path is set)

POSTGRESQL_DATABASE = "bench_postbacks"
THROUGHPUT_TARGET = 200.0  # deliveries/s with 4 workers
LAG_P95_TARGET = 5.0  # seconds, with 4 workers
CHUNK = 500
# Throw-away secrets for the benchmark's own app instances (development configuration, local database).
BENCH_SECRET = "bench-postbacks-not-a-secret"
BENCH_FERNET_KEY = "YmVuY2gtcG9zdGJhY2tzLW5vdC1hLWtleS0zMi1ieXQ="


# --- the sink (its own process) ----------------------------------------------------------------------


def run_sink(port_out, requests) -> None:
    """An asyncio HTTP/1.1 keep-alive sink answering 200 to every request, and counting them.

    It only has to stand in for a partner's tracker that answers quickly, so it reads each request head
    (postbacks are bodiless GETs) and writes a fixed answer: far cheaper per request than http.server,
    which would otherwise take the CPU the workers are being measured on.
    """
    import asyncio

    answer = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nOK"

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                await reader.readuntil(b"\r\n\r\n")
                with requests.get_lock():
                    requests.value += 1
                writer.write(answer)
                await writer.drain()
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            pass  # the client closed the connection
        finally:
            writer.close()

    async def main() -> None:
        server = await asyncio.start_server(serve, "127.0.0.1", 0, backlog=512)
        port_out.value = server.sockets[0].getsockname()[1]
        await server.serve_forever()

    asyncio.run(main())


# --- set-up ------------------------------------------------------------------------------------------


def environment(url: str, instance: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_") and k != "DATABASE_URL"}
    env.update({"PORTAL_ENV": "development", "PORTAL_SECRET_KEY": BENCH_SECRET,
                "PORTAL_KEY_ENCRYPTION_KEY": BENCH_FERNET_KEY, "PORTAL_INSTANCE_PATH": str(instance),
                # the sink listens on 127.0.0.1: only for this kind of local run
                "PORTAL_POSTBACK_ALLOW_PRIVATE_DESTINATIONS": "1", "DATABASE_URL": url})
    return env


def flask(env: dict[str, str], *arguments: str) -> subprocess.Popen:
    return subprocess.Popen([str(ROOT / ".venv/bin/flask"), "--app", "wsgi", *arguments], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def start_workers(env: dict[str, str], count: int) -> list[subprocess.Popen]:
    workers = [flask(env, "postbacks", "work") for _ in range(count)]
    for worker in workers:
        line = worker.stderr.readline()
        if "worker started" not in line:
            raise SystemExit(f"worker did not start: {line}{worker.stderr.read()}")
    return workers


def stop_workers(workers: list[subprocess.Popen]) -> None:
    for worker in workers:
        worker.send_signal(signal.SIGTERM)
    for worker in workers:
        worker.communicate(timeout=60)
        if worker.returncode != 0:
            raise SystemExit(f"worker exited with {worker.returncode}")


# --- measuring (this process, in an app context) -----------------------------------------------------


def setup_postback(port: int) -> tuple[int, int, int]:
    from portal.extensions import db
    from portal.models import Offer, Postback
    from portal.services.partners import create_partner

    partner = create_partner(name="Bench Partner", first_name="Bench", last_name="Partner")
    offer = Offer(name="Bench offer", destination_url="https://advertiser.example/landing", payout_amount=500)
    db.session.add(offer)
    db.session.flush()
    postback = Postback(partner_id=partner.id, offer_id=offer.id, status="active", delivery_method="postback",
                        url=f"http://127.0.0.1:{port}/pb?tid={{transaction_id}}&eid={{event_id}}&s1={{sub1}}")
    db.session.add(postback)
    db.session.commit()
    return partner.id, offer.id, postback.id


def add_conversions(partner_id: int, offer_id: int, count: int, *, hold: bool = False) -> None:
    """Conversions and their deliveries, committed together as intake does (one transaction per call).

    The delivery rows are the ones portal.delivery.outbox writes for the one matching postback; they are
    inserted with plain executemany INSERTs rather than through the unit of work, so that this writer
    takes as little as possible of the CPU the workers are measured on.
    """
    import secrets
    from datetime import timedelta

    from sqlalchemy import insert, select

    from portal.delivery.outbox import conversion_values, new_delivery
    from portal.extensions import db
    from portal.models import Conversion, Offer, Postback, PostbackDelivery
    from portal.models.base import utcnow

    offer = db.session.get(Offer, offer_id)
    postback = db.session.scalars(select(Postback).where(Postback.offer_id == offer_id)).one()
    now = utcnow()
    conversions = [Conversion(conversion_id=secrets.token_hex(16), transaction_id=secrets.token_hex(16),
                              partner_id=partner_id, offer_id=offer_id, payout_cents=500, status="approved",
                              is_test=False, sub1=f"s{n}", created_at=now) for n in range(count)]
    columns = ("conversion_id", "transaction_id", "partner_id", "offer_id", "payout_cents", "status", "is_test",
               "sub1", "created_at")
    ids = db.session.scalars(insert(Conversion).returning(Conversion.id, sort_by_parameter_order=True),
                             [{c: getattr(conversion, c) for c in columns} for conversion in conversions]).all()
    rows = []
    for conversion, conversion_pk in zip(conversions, ids, strict=True):
        delivery = new_delivery(postback, conversion_values(conversion, offer), kind="conversion",
                                event_id=f"{conversion.conversion_id}-{postback.id}", conversion_id=conversion_pk)
        rows.append({"postback_id": delivery.postback_id, "conversion_id": conversion_pk,
                     "event_id": delivery.event_id, "kind": delivery.kind, "macro_values": delivery.macro_values,
                     "is_test": delivery.is_test, "status": delivery.status, "attempts": 0,
                     "next_attempt_at": now + timedelta(days=1) if hold else delivery.next_attempt_at,
                     "created_at": utcnow()})
    db.session.execute(insert(PostbackDelivery), rows)
    db.session.commit()


def clear_outbox() -> None:
    from sqlalchemy import delete

    from portal.extensions import db
    from portal.models import Conversion, PostbackAttempt, PostbackDelivery

    for model in (PostbackAttempt, PostbackDelivery, Conversion):
        db.session.execute(delete(model))
    db.session.commit()


def delivered_count() -> int:
    from sqlalchemy import func, select

    from portal.extensions import db
    from portal.models import PostbackDelivery

    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(PostbackDelivery)
                             .where(PostbackDelivery.status == "delivered"))


def wait_delivered(count: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while delivered_count() < count:
        if time.monotonic() > deadline:
            raise SystemExit(f"only {delivered_count()} of {count} delivered after {timeout:.0f} s")
        time.sleep(0.2)


def figures(since=None) -> dict:
    """Lag percentiles and the span from `since` (or the first arrival) to the last delivery, from the DB."""
    import sqlalchemy as sa

    from portal.extensions import db

    row = db.session.execute(sa.text(
        "SELECT count(*), "
        "percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM first_attempt_at - created_at)), "
        "percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM first_attempt_at - created_at)), "
        "extract(epoch FROM max(delivered_at) - coalesce(CAST(:since AS timestamptz), min(created_at))), "
        "sum(attempts) "
        "FROM postback_deliveries WHERE status = 'delivered'"), {"since": since}).one()
    count, p50, p95, span, attempts = row
    return {"count": count, "p50": float(p50), "p95": float(p95), "rate": count / float(span),
            "attempts": int(attempts)}


def drain(env, partner_id, offer_id, workers_count, conversions, sink_requests) -> dict:
    import sqlalchemy as sa

    from portal.extensions import db

    clear_outbox()
    for start in range(0, conversions, CHUNK):
        add_conversions(partner_id, offer_id, min(CHUNK, conversions - start), hold=True)
    sink_before = sink_requests.value
    workers = start_workers(env, workers_count)
    released = db.session.execute(sa.text(
        "UPDATE postback_deliveries SET next_attempt_at = now(), created_at = now() RETURNING now()")).scalar()
    db.session.commit()
    wait_delivered(conversions, timeout=600)
    stop_workers(workers)
    result = figures(since=released)
    result["sink"] = sink_requests.value - sink_before
    return result


def arrival(env, partner_id, offer_id, workers_count, conversions, rate, sink_requests) -> dict:
    clear_outbox()
    sink_before = sink_requests.value
    workers = start_workers(env, workers_count)
    began, written = time.monotonic(), 0
    while written < conversions:
        due = min(conversions, int((time.monotonic() - began) * rate) + 1)
        if due > written:
            add_conversions(partner_id, offer_id, due - written)
            written = due
        else:
            time.sleep(0.01)
    achieved_rate = conversions / (time.monotonic() - began)
    wait_delivered(conversions, timeout=600)
    stop_workers(workers)
    result = figures()
    result["arrival_rate"] = achieved_rate
    result["sink"] = sink_requests.value - sink_before
    return result


def check(label: str, result: dict, conversions: int) -> None:
    if not (result["count"] == result["attempts"] == result["sink"] == conversions):
        raise SystemExit(f"{label}: {result['count']} delivered, {result['attempts']} attempts, "
                         f"{result['sink']} requests at the sink; expected {conversions} of each")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversions", type=int, default=10_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--rate", type=float, default=250.0, help="arrivals per second in the arrival run")
    parser.add_argument("--postgresql-server", default="postgresql+psycopg://postgres@127.0.0.1:5432",
                        help="server URL without a database name")
    args = parser.parse_args()

    port, sink_requests = multiprocessing.Value("i", 0), multiprocessing.Value("q", 0)
    sink = multiprocessing.Process(target=run_sink, args=(port, sink_requests), daemon=True)
    sink.start()  # before any database engine exists in this process
    while not port.value:
        time.sleep(0.01)

    url = fresh_postgresql(args.postgresql_server, POSTGRESQL_DATABASE)
    instance = Path(tempfile.mkdtemp(prefix="bench-postbacks-"))
    env = environment(url, instance)
    upgrade = flask(env, "db", "upgrade")
    if upgrade.wait() != 0:
        raise SystemExit(upgrade.stderr.read())
    os.environ.update({k: v for k, v in env.items() if k.startswith("PORTAL_") or k == "DATABASE_URL"})

    from portal import create_app

    app = create_app()
    results = {}
    with app.app_context():
        partner_id, offer_id, _ = setup_postback(port.value)
        for count in args.workers:
            print(f"{count} worker(s): draining {args.conversions} queued deliveries…", flush=True)
            results[count, "drain"] = drain(env, partner_id, offer_id, count, args.conversions, sink_requests)
            check("drain", results[count, "drain"], args.conversions)
            print(f"{count} worker(s): {args.conversions} conversions arriving at {args.rate:g}/s…", flush=True)
            results[count, "arrival"] = arrival(env, partner_id, offer_id, count, args.conversions, args.rate,
                                                sink_requests)
            check("arrival", results[count, "arrival"], args.conversions)
    sink.terminate()

    print(f"\nPostback delivery, {args.conversions} deliveries per run, PostgreSQL, local HTTP sink "
          f"(every delivery delivered exactly once: checked)")
    print(f"{'workers':>7}  {'drain /s':>9}  {'drain lag p50/p95 s':>20}  {'arrival /s':>10}  "
          f"{'delivered /s':>12}  {'lag p50 s':>9}  {'lag p95 s':>9}")
    for count in args.workers:
        d, a = results[count, "drain"], results[count, "arrival"]
        print(f"{count:>7}  {d['rate']:>9.0f}  {d['p50']:>9.2f} / {d['p95']:>8.2f}  {a['arrival_rate']:>10.0f}  "
              f"{a['rate']:>12.0f}  {a['p50']:>9.2f}  {a['p95']:>9.2f}")
    top = max(args.workers)
    d, a = results[top, "drain"], results[top, "arrival"]
    print(f"\n{top} workers: drain {d['rate']:.0f}/s = {d['rate'] / THROUGHPUT_TARGET:.2f}× the "
          f"{THROUGHPUT_TARGET:.0f}/s target ({'met' if d['rate'] >= THROUGHPUT_TARGET else 'NOT met'}); "
          f"arrival lag p95 {a['p95']:.2f} s = {a['p95'] / LAG_P95_TARGET:.2f}× the {LAG_P95_TARGET:.0f} s "
          f"budget ({'met' if a['p95'] <= LAG_P95_TARGET else 'NOT met'})")
    if 1 in args.workers and top != 1:
        print(f"scaling 1 → {top} workers (drain): {d['rate'] / results[1, 'drain']['rate']:.2f}×")


if __name__ == "__main__":
    main()
