"""Upstream mode: a partner's report and conversion export through the proxy, against the same calls made
directly on the upstream in the same run.

Two portals, each a gunicorn process (4 workers, as the Procfile runs it) on its own SQLite file: the upstream, with "Big Partner" from
`flask demo-data --big-partner-conversions N` (default 100,000 conversions, 500,000 clicks) and a network
key; the proxy, in upstream mode against it (PORTAL_UPSTREAM_URL), with Big Partner imported by
`flask partners import-upstream` and a key of its own. The same partner asks both, through HTTP:

* **Report** — `POST /v1/affiliates/reporting/entity/table` by date over the partner's year. Direct: the
  upstream's own Affiliate API with the partner's key there. Proxy: the proxy's Affiliate API, which asks the
  upstream's `/v1/networks/reporting/entity/table` with the affiliate filter. Target ≤ 1.3×. The two
  answers must be equal (checked).
* **Export** — `POST /v1/affiliates/reporting/conversions/export` (CSV) of every conversion of the year,
  streamed to the end. The proxy asks the upstream's `/v1/networks/reporting/conversions/export` once
  (format json, streamed from one snapshot, its row count in X-Row-Count) and decodes it as it arrives.
  Target ≤ 1.5×, with the proxy worker's memory flat: its peak resident set grows by at most
  MEMORY_TARGET_MB over the run. Both files must hold the same number of rows (checked).

The figure is the ratio of the best times over --rounds (noise on a shared machine only adds time), the
median of the paired rounds' ratios beside it.

    .venv/bin/python bench/upstream.py [--conversions 100000] [--rounds 5] [--keep]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
REPORT_TARGET, EXPORT_TARGET, MEMORY_TARGET_MB = 1.3, 1.5, 150
# Throw-away secrets for the benchmark's own instances (development configuration, local databases).
BENCH_SECRET = "bench-upstream-not-a-secret"
BENCH_FERNET_KEY = "YmVuY2gtcmVwb3J0cy1ub3QtYS1rZXktMzItYnl0ZXM="


def environment(url: str, instance: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_") and k != "DATABASE_URL"}
    env.update({"PORTAL_ENV": "development", "PORTAL_SECRET_KEY": BENCH_SECRET,
                "PORTAL_KEY_ENCRYPTION_KEY": BENCH_FERNET_KEY, "PORTAL_INSTANCE_PATH": str(instance),
                "DATABASE_URL": url, "PORTAL_API_USAGE_FLUSH_SECONDS": "3600",
                # Budgets out of the way: the benchmark measures the work, not the limits.
                "PORTAL_API_RATE_PER_SECOND": "10000", "PORTAL_API_RATE_BURST": "10000", "PORTAL_API_PARTNER_SHARE": "1",
                "PORTAL_EFLOW_NETWORK_API_RATE_PER_SECOND": "10000", "PORTAL_EFLOW_NETWORK_API_RATE_BURST": "10000",
                **extra})
    return env


def flask(env: dict[str, str], *arguments: str) -> str:
    done = subprocess.run([str(VENV_BIN / "flask"), "--app", "wsgi", *arguments], cwd=ROOT, env=env, check=True,
                          capture_output=True, text=True)
    return done.stdout


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(env: dict[str, str], workers: int = 4) -> tuple[subprocess.Popen, int]:
    port = free_port()
    process = subprocess.Popen([str(VENV_BIN / "gunicorn"), "--workers", str(workers), "--timeout", "300", "--bind",
                                f"127.0.0.1:{port}", "wsgi:app"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            status, _ = call(port, "GET", "/healthz", None, None)
            if status == 200:
                return process, port
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise SystemExit("a portal did not start")


def call(port: int, method: str, path: str, key: str | None, body: dict | None) -> tuple[int, int]:
    """Status and the body's line count, the body read to its end in 64 KB pieces (never held whole)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    headers = {"Content-Type": "application/json", **({"X-Eflow-API-Key": key} if key else {})}
    conn.request(method, path, body=json.dumps(body).encode() if body is not None else None, headers=headers)
    response = conn.getresponse()
    lines = 0
    while chunk := response.read(65536):
        lines += chunk.count(b"\n")
    conn.close()
    return response.status, lines


def fetch_json(port: int, path: str, key: str, body: dict) -> dict:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    conn.request("POST", path, body=json.dumps(body).encode(),
                 headers={"Content-Type": "application/json", "X-Eflow-API-Key": key})
    response = conn.getresponse()
    data = json.loads(response.read())
    conn.close()
    return data


def workers_peak_rss_mb(master: subprocess.Popen) -> float:
    """The largest peak resident set (VmHWM) among the gunicorn master's workers."""
    children = Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split()
    peaks = []
    for pid in children:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                peaks.append(int(line.split()[1]) / 1024)
    return max(peaks)


def big_partner(url: str) -> tuple[int, str]:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.connect() as conn:
        found = conn.execute(sa.text("SELECT id, partner_key FROM partners WHERE name = 'Big Partner'")).one()
    engine.dispose()
    return found[0], found[1]


def linked_partner_key(url: str, upstream_id: int) -> str:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.connect() as conn:
        found = conn.execute(sa.text("SELECT partner_key FROM partners WHERE upstream_affiliate_id = :id"),
                             {"id": upstream_id}).scalar_one()
    engine.dispose()
    return found


def timed(port: int, path: str, key: str, body: dict) -> tuple[float, int]:
    began = time.perf_counter()
    status, size = call(port, "POST", path, key, body)
    if status != 200:
        raise SystemExit(f"{path} answered {status}")
    return time.perf_counter() - began, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversions", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the two SQLite files and print where")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-upstream-"))
    up_url, proxy_url = f"sqlite:///{work / 'upstream.sqlite'}", f"sqlite:///{work / 'proxy.sqlite'}"
    (work / "up").mkdir()
    (work / "proxy").mkdir()
    servers: list[subprocess.Popen] = []
    try:
        up_env = environment(up_url, work / "up")
        print(f"upstream: {args.conversions:,} conversions for Big Partner …", flush=True)
        flask(up_env, "db", "upgrade")
        flask(up_env, "demo-data", "--clicks", "1000", "--conversions", "100",
              "--big-partner-conversions", str(args.conversions))
        network_key = flask(up_env, "eflow-keys", "issue", "--label", "Benchmark proxy").strip().splitlines()[-1]
        big_id, big_key = big_partner(up_url)
        direct_key = flask(up_env, "keys", "issue", "--partner", big_key, "--label", "Benchmark",
                           "--acknowledge-risk").strip().splitlines()[-1]
        upstream, up_port = serve(up_env)
        servers.append(upstream)

        proxy_env = environment(proxy_url, work / "proxy", PORTAL_UPSTREAM_URL=f"http://127.0.0.1:{up_port}",
                                PORTAL_UPSTREAM_API_KEY=network_key, PORTAL_UPSTREAM_TIMEOUT="120",
                                PORTAL_UPSTREAM_REQUESTS_PER_SECOND="10000")
        flask(proxy_env, "db", "upgrade")
        print("proxy: " + flask(proxy_env, "partners", "import-upstream").strip(), flush=True)
        proxy_key = flask(proxy_env, "keys", "issue", "--partner", linked_partner_key(proxy_url, big_id), "--label",
                          "Benchmark", "--acknowledge-risk").strip().splitlines()[-1]
        proxy, proxy_port = serve(proxy_env)
        servers.append(proxy)

        last = date.today()
        window = {"from": (last - timedelta(days=364)).isoformat(), "to": last.isoformat(), "timezone_id": 67}
        report = dict(window, currency_id="USD", columns=[{"column": "date"}], query={"filters": []})
        table = "/v1/affiliates/reporting/entity/table"
        same = fetch_json(up_port, table, direct_key, report) == fetch_json(proxy_port, table, proxy_key, report)
        export = dict(window, format="csv")
        path = "/v1/affiliates/reporting/conversions/export"
        memory_before = workers_peak_rss_mb(proxy)
        results: dict[str, list[tuple[float, float]]] = {"report": [], "export": []}
        lines = set()
        for _ in range(args.rounds):
            direct, _ = timed(up_port, table, direct_key, report)
            through, _ = timed(proxy_port, table, proxy_key, report)
            results["report"].append((direct, through))
            direct, direct_size = timed(up_port, path, direct_key, export)
            through, proxy_size = timed(proxy_port, path, proxy_key, export)
            results["export"].append((direct, through))
            lines.add((direct_size, proxy_size))
        growth = workers_peak_rss_mb(proxy) - memory_before

        print(f"\nreport by date over the year: the same answer through the proxy: {same}")
        for name, target in (("report", REPORT_TARGET), ("export", EXPORT_TARGET)):
            pairs = results[name]
            best = min(t for _, t in pairs) / min(d for d, _ in pairs)
            median = statistics.median(t / d for d, t in pairs)
            print(f"{name:7s} direct {min(d for d, _ in pairs):7.3f} s  proxy {min(t for _, t in pairs):7.3f} s  "
                  f"ratio {best:5.2f}× (median {median:4.2f}×)  target ≤ {target}×  "
                  f"{'ok' if best <= target else 'MISSED'}")
        print(f"export lines (direct, proxy): {sorted(lines)}; the same: {all(d == p for d, p in lines)}")
        print(f"proxy worker peak RSS growth over the run: {growth:.0f} MB (target ≤ {MEMORY_TARGET_MB} MB) "
              f"{'ok' if growth <= MEMORY_TARGET_MB else 'MISSED'}")
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=30)
        if args.keep:
            print(f"kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
