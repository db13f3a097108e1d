"""Requests/second of key-authenticated `GET /v1/affiliates/affiliate` against `GET /healthz`, same server, same run.

The ratio is what authentication, the IP allowlist, the rate limit and usage tracking cost together
(target: ≥ 0.8). The script builds a throw-away SQLite database with a partner, an account manager and
a key, serves the real app with gunicorn (one gthread worker), and drives both routes with persistent
HTTP/1.1 connections from a few client threads, alternating the order between rounds. On a machine
with two or more CPUs the server worker and the clients are pinned to different CPUs, so that the
clients do not steal the server's time; the server's CPU time per request is printed too (Linux).

    .venv/bin/python bench/api_auth.py [--requests 3000] [--rounds 6] [--threads 4] [--redis redis://…]

With --redis every API request makes one round trip to Redis (spending the budget and reading what is
left for X-RateLimit-Remaining), so expect a lower ratio than with the in-process store.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import io
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
API_PATH = "/v1/affiliates/affiliate"
HEALTH_PATH = "/healthz"


def server_environment(tmp: Path, redis_url: str | None, rate: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_") and k != "DATABASE_URL"}
    env.update({
        "PORTAL_ENV": "production",
        "PORTAL_SECRET_KEY": Fernet.generate_key().decode(),
        "PORTAL_KEY_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "PORTAL_INSTANCE_PATH": str(tmp),
        "DATABASE_URL": f"sqlite:///{tmp / 'bench.sqlite'}",
        # Above what the server can do, so the budget is spent on every request but never refuses.
        "PORTAL_API_RATE_PER_SECOND": str(rate),
        "PORTAL_API_RATE_BURST": str(rate),
        "PORTAL_RATELIMIT_KEY_PREFIX": f"bench-{os.getpid()}",
    })
    if redis_url:
        env["PORTAL_REDIS_URL"] = redis_url
    return env


def prepare_database(env: dict[str, str]) -> str:
    """Migrate the database and add an account manager, a partner and a key; return the key."""
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    from flask_migrate import upgrade

    from portal import create_app
    from portal.extensions import db
    from portal.models import StaffUser
    from portal.services.keys import issue_key
    from portal.services.partners import create_partner

    app = create_app()
    with app.app_context(), contextlib.redirect_stderr(io.StringIO()):  # Alembic's progress lines
        upgrade()
        manager = StaffUser(email="am@bench.test", name="Bench Manager", password_hash=None, permissions=[])
        db.session.add(manager)
        db.session.commit()
        partner = create_partner(name="Bench Media", first_name="Bench", last_name="Partner")
        partner.account_manager_id = manager.id
        db.session.commit()
        secret = issue_key(partner, "benchmark").secret
        db.session.remove()
        db.engine.dispose()
    return secret


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(env: dict[str, str], port: int, threads: int = 1) -> subprocess.Popen:
    command = [str(ROOT / ".venv/bin/gunicorn"), "--workers", "1", "--worker-class", "gthread",
               "--threads", str(threads), "--bind", f"127.0.0.1:{port}", "--keep-alive", "30", "wsgi:app"]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_until_up(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        try:
            conn.request("GET", HEALTH_PATH)
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.1)
        finally:
            conn.close()
    raise SystemExit("the server did not answer /healthz in time")


def worker_pid(server: subprocess.Popen) -> int | None:
    """The gunicorn worker's pid (the master only supervises), from /proc on Linux."""
    try:
        children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
    except OSError:
        return None
    return int(children[0]) if children else None


def cpu_seconds(pid: int | None) -> float | None:
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pin(server_pid: int | None) -> str:
    """Server worker on one CPU, this process (the clients) on the others, when there are two or more."""
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    if server_pid is None or len(cpus) < 2:
        return "not pinned"
    os.sched_setaffinity(server_pid, {cpus[0]})
    os.sched_setaffinity(0, set(cpus[1:]))
    return f"server worker on CPU {cpus[0]}, clients on CPU {','.join(map(str, cpus[1:]))}"


def drive(port: int, path: str, headers: dict[str, str], requests: int, threads: int) -> float:
    """Send `requests` GETs split over `threads` keep-alive connections; return requests per second."""
    failures: list[int] = []
    start_line = threading.Barrier(threads + 1)

    def client(count: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        start_line.wait()
        for _ in range(count):
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                failures.append(response.status)
        conn.close()

    workers = [threading.Thread(target=client, args=(requests // threads,)) for _ in range(threads)]
    for worker in workers:
        worker.start()
    start_line.wait()
    began = time.perf_counter()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - began
    if failures:
        raise SystemExit(f"{path}: {len(failures)} responses were not 200 (first: {failures[0]})")
    return (requests // threads) * threads / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000, help="requests per route per round")
    parser.add_argument("--threads", type=int, default=4, help="client threads, one keep-alive connection each")
    parser.add_argument("--server-threads", type=int, default=1, help="gthread threads in the server worker")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--redis", help="rate-limit storage URL (default: in-process memory)")
    parser.add_argument("--rate", type=int, help="budget per second for the run (default 1000000 in memory; "
                        "5000 with Redis, whose moving window lists every hit of the last second)")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="portal-bench-"))
    server = None
    try:
        rate = args.rate or (5000 if args.redis else 1_000_000)
        env = server_environment(tmp, args.redis, rate)
        key = prepare_database(env)
        port = free_port()
        server = start_server(env, port, args.server_threads)
        wait_until_up(port)
        worker = worker_pid(server)
        pinning = pin(worker)
        routes = {HEALTH_PATH: {}, API_PATH: {"X-Eflow-API-Key": key}}
        for path, headers in routes.items():  # warm up imports, pools and caches
            drive(port, path, headers, 400, args.threads)
        rates: dict[str, list[float]] = {path: [] for path in routes}
        cpu: dict[str, list[float]] = {path: [] for path in routes}
        for round_no in range(args.rounds):
            order = list(routes) if round_no % 2 == 0 else list(reversed(routes))
            for path in order:
                before = cpu_seconds(worker)
                rates[path].append(drive(port, path, routes[path], args.requests, args.threads))
                after = cpu_seconds(worker)
                if before is not None and after is not None:
                    cpu[path].append((after - before) / args.requests * 1e6)
        print(f"gunicorn, 1 gthread worker × {args.server_threads} thread(s); SQLite; rate-limit storage: "
              f"{args.redis or 'in-process memory'} ({rate}/s budget); {pinning}; {args.requests} requests × {args.rounds} rounds "
              f"per route over {args.threads} keep-alive connections")
        for path in routes:
            rounds = ", ".join(f"{r:.0f}" for r in rates[path])
            per_request = f"; server CPU {statistics.median(cpu[path]):.0f} µs/request" if cpu[path] else ""
            print(f"  GET {path:<26} median {statistics.median(rates[path]):6.0f} req/s{per_request}  "
                  f"(rounds: {rounds})")
        # Each round measures both routes back to back, so a round's ratio cancels the machine's drift
        # between rounds (other tenants, CPU frequency); the median of those ratios is the figure.
        paired = [a / h for a, h in zip(rates[API_PATH], rates[HEALTH_PATH])]
        print(f"ratio (API / health), requests per second, median of {len(paired)} paired rounds: "
              f"{statistics.median(paired):.2f}   target ≥ 0.80")
        if len(cpu[HEALTH_PATH]) == len(cpu[API_PATH]) == args.rounds:
            ratio = statistics.median(h / a for h, a in zip(cpu[HEALTH_PATH], cpu[API_PATH]))
            print(f"ratio (health / API), server CPU per request, median of paired rounds: {ratio:.2f}")
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
