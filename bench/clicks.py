"""Tracking-link clicks through gunicorn on PostgreSQL at a steady offered rate, against a bare redirect.

Both routes are served by the same app in the same gunicorn, one after the other in the same run:

* **tracker** — `GET /c/{affiliate_id}/{offer_id}?sub1=…`: the real click path (cached offer and partner
  lookups, GeoIP, user-agent parsing, one INSERT and one rollup upsert, committed before the 302);
* **bare** — `GET /bench/bare/{affiliate_id}/{offer_id}`: a 302 to the same landing page that reads and
  writes nothing, registered only by this script's app factory (`bench_app`), never in production routes.

An asyncio client on keep-alive connections offers requests on a fixed schedule (--rate per second for
--seconds, after --warmup seconds of the same load that are not counted, and with every connection open
before the clock starts: the steady state, not the first second of a cold process); each latency is
measured from the request's *scheduled* time, so a server that falls behind
shows it in p99 instead of silently slowing the client (no coordinated omission). Printed per route:
achieved requests/s, p50 and p99 latency, the gunicorn workers' CPU time per request (Linux; the figure
that least depends on what else the machine runs), status counts; for the tracker also rows in `clicks`
== 302s answered. Targets: ≥ 1000 clicks/s, p99 ≤ 25 ms.

The database must be one of its own (its schema is dropped and migrated afresh; `test` is refused):

    createdb -h 127.0.0.1 -U postgres bench_clicks
    .venv/bin/python bench/clicks.py postgresql+psycopg://postgres@127.0.0.1:5432/bench_clicks \\
        [--rate 1000] [--seconds 20] [--warmup 3] [--workers 4] [--threads 16] [--connections 128]
    dropdb -h 127.0.0.1 -U postgres bench_clicks
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RATE_TARGET, P99_TARGET_MS = 1000.0, 25.0
# Throw-away secrets for the benchmark's own app instance (production configuration, its own database).
BENCH_SECRET = "bench-clicks-not-a-secret"
BENCH_FERNET_KEY = "YmVuY2gtY2xpY2tzLW5vdC1hLWtleS0zMi1ieXRlcy0="
USER_AGENT = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
              "Version/17.0 Mobile/15E148 Safari/604.1")


def bench_app():
    """The real app plus one bench-only route: a redirect that touches nothing (gunicorn's app factory)."""
    from flask import redirect

    from portal import create_app, ready_to_serve

    app = create_app()

    @app.get("/bench/bare/<int:affiliate_id>/<int:offer_id>")
    def bench_bare(affiliate_id: int, offer_id: int):
        return redirect("https://advertiser.example/landing?tid=bare", 302), {"Cache-Control": "no-store"}

    return ready_to_serve(app)  # as wsgi.py serves it


def environment(tmp: Path, database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_") and k != "DATABASE_URL"}
    env.update({"PORTAL_ENV": "production", "PORTAL_SECRET_KEY": BENCH_SECRET,
                "PORTAL_KEY_ENCRYPTION_KEY": BENCH_FERNET_KEY, "PORTAL_INSTANCE_PATH": str(tmp),
                "DATABASE_URL": database_url})
    return env


def prepare(env: dict[str, str], database_url: str) -> tuple[int, int]:
    """Empty the database, migrate it, add a partner and an offer; their ids."""
    import sqlalchemy as sa

    if sa.engine.make_url(database_url).database in ("test", "postgres", None):
        raise SystemExit("give a database of the benchmark's own (not test, not postgres)")
    engine = sa.create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()
    os.environ.update(env)
    from flask_migrate import upgrade

    from portal import create_app
    from portal.extensions import db
    from portal.models import Offer
    from portal.services.partners import create_partner

    app = create_app()
    with app.app_context(), contextlib.redirect_stderr(io.StringIO()):  # Alembic's progress lines
        upgrade()
        partner = create_partner(name="Bench Media", first_name="Bench", last_name="Clicker")
        offer = Offer(name="Bench offer", destination_url="https://advertiser.example/landing?tid={transaction_id}"
                      "&s1={sub1}&aff={affiliate_id}")
        db.session.add(offer)
        db.session.commit()
        ids = partner.id, offer.id
        db.session.remove()
        db.engine.dispose()
    return ids


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(env: dict[str, str], port: int, workers: int, threads: int, log: Path) -> subprocess.Popen:
    with log.open("w") as stderr:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-w", str(workers), "-k", "gthread", "--threads", str(threads),
             "-b", f"127.0.0.1:{port}", "--backlog", "2048", "bench.clicks:bench_app()"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=stderr, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return server
        if server.poll() is not None:
            break
        time.sleep(0.1)
    raise SystemExit(f"gunicorn did not start:\n{log.read_text()}")


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    if length:
        await reader.readexactly(length)
    return status


async def offer_load(port: int, paths: list[str], rate: float, seconds: float, connections: int):
    """Send len(paths)-cycling GETs at `rate`/s for `seconds`; (latencies in s, status counts, elapsed)."""
    total = int(rate * seconds)
    queue: asyncio.Queue = asyncio.Queue()
    latencies: list[float] = []
    statuses: Counter = Counter()
    loop = asyncio.get_running_loop()

    opened = 0
    all_open = asyncio.Event()

    async def connection() -> None:
        nonlocal opened
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        opened += 1
        if opened == connections:
            all_open.set()
        while True:
            item = await queue.get()
            if item is None:
                writer.close()
                return
            scheduled, path = item
            writer.write(f"GET {path} HTTP/1.1\r\nHost: bench\r\nUser-Agent: {USER_AGENT}\r\n\r\n".encode())
            try:
                statuses[await _read_response(reader)] += 1
            except (asyncio.IncompleteReadError, ConnectionError):
                statuses["error"] += 1
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            latencies.append(loop.time() - scheduled)

    tasks = [asyncio.create_task(connection()) for _ in range(connections)]
    await all_open.wait()  # the clock starts with every keep-alive connection open, as in steady state
    start = loop.time()
    for i in range(total):
        scheduled = start + i / rate
        delay = scheduled - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        queue.put_nowait((scheduled, paths[i % len(paths)]))
    for _ in tasks:
        queue.put_nowait(None)
    await asyncio.gather(*tasks)
    return latencies, statuses, loop.time() - start


def server_cpu_seconds(server: subprocess.Popen) -> float:
    """CPU time (user + system) used so far by gunicorn's workers (Linux /proc; 0 elsewhere)."""
    ticks = os.sysconf("SC_CLK_TCK")
    try:
        children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
    except OSError:
        return 0.0
    total = 0
    for pid in children:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def click_rows(database_url: str) -> int:
    import sqlalchemy as sa

    engine = sa.create_engine(database_url)
    with engine.connect() as conn:
        count = conn.execute(sa.text("SELECT count(*) FROM clicks")).scalar_one()
    engine.dispose()
    return count


def measure(name: str, server: subprocess.Popen, port: int, paths: list[str], args,
            rows=None) -> tuple[float, float, Counter, int | None]:
    """Offer the load (after --warmup seconds of it, not counted), print achieved rate, latencies, statuses
    and the server's CPU per request; with `rows` (a count of recorded rows), also how many the counted
    run recorded."""
    if args.warmup > 0:
        asyncio.run(offer_load(port, paths, args.rate, args.warmup, args.connections))
    before = rows() if rows else None
    cpu = server_cpu_seconds(server)
    latencies, statuses, elapsed = asyncio.run(offer_load(port, paths, args.rate, args.seconds, args.connections))
    cpu = server_cpu_seconds(server) - cpu
    done = sum(n for status, n in statuses.items() if status != "error")
    ordered = sorted(latencies)
    p50 = statistics.median(ordered) * 1000
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000
    print(f"{name:8} {done / elapsed:6.0f} req/s  p50 {p50:7.1f} ms  p99 {p99:8.1f} ms  "
          f"server CPU {cpu / max(done, 1) * 1e6:5.0f} µs/request  statuses {dict(statuses)}")
    return done / elapsed, p99, statuses, (rows() - before if rows else None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("database_url", help="a PostgreSQL database of the benchmark's own (emptied)")
    parser.add_argument("--rate", type=float, default=1000.0, help="offered requests per second")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of the same load before each count")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes (the Procfile's)")
    parser.add_argument("--threads", type=int, default=16, help="threads per gunicorn worker (gthread)")
    parser.add_argument("--connections", type=int, default=128, help="client keep-alive connections")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-clicks-") as tmp:
        env = environment(Path(tmp), args.database_url)
        partner_id, offer_id = prepare(env, args.database_url)
        port = free_port()
        server = start_server(env, port, args.workers, args.threads, Path(tmp) / "gunicorn.log")
        try:
            warm = [f"/c/{partner_id}/{offer_id}?sub1=warm", f"/bench/bare/{partner_id}/{offer_id}"]
            asyncio.run(offer_load(port, warm, 200, 2, 16))  # imports, GeoIP database, caches, connections
            print(f"{args.rate:.0f} requests/s offered for {args.seconds:.0f} s; gunicorn {args.workers} workers × "
                  f"{args.threads} threads on {os.cpu_count()} CPUs, client on the same machine")
            bare = measure("bare", server, port, [f"/bench/bare/{partner_id}/{offer_id}"], args)
            clicks = [f"/c/{partner_id}/{offer_id}?sub1=s{i}&sub2=campaign" for i in range(50)]
            tracker = measure("tracker", server, port, clicks, args, rows=lambda: click_rows(args.database_url))
            statuses, recorded = tracker[2], tracker[3]
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(30)
        print(f"clicks recorded {recorded} == 302s answered {statuses[302]}: {recorded == statuses[302]}")
        print(f"tracker / bare: throughput {tracker[0] / bare[0]:.2f}, p99 {tracker[1] / bare[1]:.1f}×; "
              f"targets ≥ {RATE_TARGET:.0f}/s and p99 ≤ {P99_TARGET_MS:.0f} ms: "
              f"{'met' if tracker[0] >= RATE_TARGET * 0.98 and tracker[1] <= P99_TARGET_MS else 'NOT met'}")


if __name__ == "__main__":
    main()
