"""Conversion export and aggregated reports of a big partner, against plain baselines on the same database.

"Big Partner" from `flask demo-data --big-partner-conversions N` has N conversions and 5·N clicks over a
year. On that partner, in one run per database (SQLite and/or PostgreSQL), this script measures:

* **CSV export of every conversion through the app's export path** — AffiliateScope.conversion_export →
  exports.conversion_frames (local times, Unix timestamps, money) → exports.csv_chunks (formula-safe),
  consumed to the end — against a plain csv-module loop (csv.writer.writerows) over the same SELECT
  (same columns, same join to offers, same WHERE and ORDER BY), streamed with yield_per, writing the rows
  as the driver returns them. Targets: time ≤ 1.2× the baseline; peak RSS growth ≤ 150 MB. Each
  measurement runs in a fresh subprocess so that its peak RSS (ru_maxrss) is its own; the two are
  alternated over --rounds. The figure is the ratio of the best times (noise on a shared machine
  only ever adds time); the median of the paired rounds' ratios is printed beside it.
* **Aggregated reports over the year by date, by offer and by sub1** (clicks, conversions, earnings, CVR,
  EPC) through AffiliateScope.report, against a bare GROUP BY over the raw clicks and conversions tables
  (same partner, window and test-data rule; CVR and EPC derived from the sums). Targets: ≤ 0.25× the
  baseline's time for date and offer, ≤ 1.0× for sub1. Both must give the same figures (checked).
  For information, the ratio to DuckDB running the same GROUP BYs over the same raw rows, loaded into
  an in-memory DuckDB first (untimed; needs `pip install -e '.[bench]'`).

    .venv/bin/python bench/reports.py [--conversions 1000000] [--database sqlite|postgresql|both]
                                      [--reuse PATH_OR_URL]… [--keep] [--rounds 5]

Generating 1,000,000 conversions and 5,000,000 clicks takes about 5 minutes on SQLite (a 3.5 GB file) and
longer on PostgreSQL. --keep keeps the generated SQLite file and prints its path; --reuse PATH (an SQLite
file) or --reuse URL (postgresql+psycopg://…) measures an existing database that has Big Partner instead.
PostgreSQL data goes to its own database, `bench_reports` on --postgresql-server (created, or emptied and
re-created, by this script; never `test`). Either database is analysed (VACUUM ANALYZE / ANALYZE) before
measuring, as a maintained database would be.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.databases import fresh_postgresql  # noqa: E402  (after the path is set)

DIMENSIONS = ("date", "offer", "sub1")
REPORT_TARGETS = {"date": 0.25, "offer": 0.25, "sub1": 1.0}
EXPORT_TARGET = 1.2
MEMORY_TARGET_MB = 150
BATCH_ROWS = 10_000
POSTGRESQL_DATABASE = "bench_reports"
# Throw-away secrets for the benchmark's own app instances (development configuration, local database).
BENCH_SECRET = "bench-reports-not-a-secret"
BENCH_FERNET_KEY = "YmVuY2gtcmVwb3J0cy1ub3QtYS1rZXktMzItYnl0ZXM="


# --- set-up (parent process) ------------------------------------------------------------------------


def environment(url: str, instance: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_") and k != "DATABASE_URL"}
    env.update({"PORTAL_ENV": "development", "PORTAL_SECRET_KEY": BENCH_SECRET,
                "PORTAL_KEY_ENCRYPTION_KEY": BENCH_FERNET_KEY, "PORTAL_INSTANCE_PATH": str(instance),
                "DATABASE_URL": url})
    return env


def flask(env: dict[str, str], *arguments: str) -> None:
    subprocess.run([str(ROOT / ".venv/bin/flask"), "--app", "wsgi", *arguments], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)


def generate(url: str, instance: Path, conversions: int) -> None:
    env = environment(url, instance)
    print(f"  generating Big Partner: {conversions:,} conversions, {5 * conversions:,} clicks …", flush=True)
    began = time.perf_counter()
    flask(env, "db", "upgrade")
    # A token amount of the ordinary demo traffic: the benchmark is about Big Partner.
    flask(env, "demo-data", "--clicks", "1000", "--conversions", "100",
          "--big-partner-conversions", str(conversions))
    print(f"  generated in {time.perf_counter() - began:.0f} s", flush=True)


def analyse(url: str) -> None:
    """Planner statistics, as autovacuum (PostgreSQL) or a maintained database (SQLite) would have them:
    a freshly loaded, never analysed table gets plans for an empty one."""
    import sqlalchemy as sa

    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT" if url.startswith("postgres") else None)
    with engine.connect() as conn:
        conn.execute(sa.text("VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"))
        conn.commit()
    engine.dispose()


def measure(url: str, instance: Path, what: str, rounds: int = 1) -> dict:
    """Run one measurement in a fresh interpreter; it prints one JSON line."""
    command = [sys.executable, str(Path(__file__).resolve()), "--measure", what, "--url", url,
               "--rounds", str(rounds)]
    done = subprocess.run(command, cwd=ROOT, env=environment(url, instance), check=True, capture_output=True,
                          text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- measurements (child process) -------------------------------------------------------------------


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


class Sink:
    """Where an export goes: counted and checksummed, then dropped (both paths pay the same for this)."""

    def __init__(self) -> None:
        self.bytes = 0
        self.crc = 0

    def write(self, data: bytes) -> None:
        self.bytes += len(data)
        self.crc = zlib.crc32(data, self.crc)


def year_window(partner_id: int, timezone: str):
    """Whole local days from the partner's first to its last click (at most a year)."""
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    from sqlalchemy import func, select

    from portal.affiliate.criteria import window_for_days
    from portal.extensions import db
    from portal.models import Click

    first, last = db.session.execute(select(func.min(Click.created_at), func.max(Click.created_at))
                                     .where(Click.partner_id == partner_id)).one()
    if first is None:
        raise SystemExit("Big Partner has no clicks")
    tz = ZoneInfo(timezone)
    last_day = last.astimezone(tz).date()
    first_day = max(first.astimezone(tz).date(), last_day - timedelta(days=365))
    return window_for_days(first_day, last_day, timezone)


def export_app(scope, window) -> dict:
    from portal.affiliate.criteria import ConversionQuery
    from portal.exports.conversions import conversion_frames
    from portal.exports.tabular import csv_chunks, expect_rows

    rows = 0

    def counted(frames):
        nonlocal rows
        for frame in frames:
            rows += len(frame)
            yield frame

    sink = Sink()
    export = scope.conversion_export(ConversionQuery(window=window, include_test=True), BATCH_ROWS)
    frames = expect_rows(conversion_frames(export.batches, window.timezone), export.count)
    for chunk in csv_chunks(counted(frames)):
        sink.write(chunk)
    return {"rows": rows, "bytes": sink.bytes}


def export_baseline(partner_id: int, window) -> dict:
    """A plain csv-module loop over the same SELECT the export runs, streamed a batch at a time."""
    from sqlalchemy import select

    from portal.affiliate.records import CONVERSION_FIELDS
    from portal.extensions import db
    from portal.models import Conversion, Offer
    from portal.queries.conversions import COLUMNS

    stmt = (select(*COLUMNS).join(Offer, Offer.id == Conversion.offer_id)
            .where(Conversion.partner_id == partner_id, Conversion.created_at >= window.start,
                   Conversion.created_at < window.end)
            .order_by(Conversion.created_at.desc(), Conversion.id.desc())  # the export's default order
            .execution_options(yield_per=BATCH_ROWS))
    sink, rows = Sink(), 0
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CONVERSION_FIELDS)
    result = db.session.execute(stmt)
    for partition in result.partitions(BATCH_ROWS):
        writer.writerows(partition)
        rows += len(partition)
        sink.write(buffer.getvalue().encode("utf-8"))
        buffer.seek(0)
        buffer.truncate()
    result.close()
    sink.write(buffer.getvalue().encode("utf-8"))
    return {"rows": rows, "bytes": sink.bytes}


def report_app(scope, window, dimension: str) -> dict[str, list[int]]:
    from portal.affiliate.criteria import ReportQuery

    result = scope.report(ReportQuery(window=window, columns=(dimension,)))
    if result.incomplete_results:
        raise SystemExit(f"the {dimension} report hit the row cap; the figures cannot be compared")
    figures = {}
    for row in result.rows:
        cell = row.cells[0]
        m = row.metrics
        figures[cell.id if dimension == "offer" else cell.label] = [m.total_click, m.cv, m.revenue_cents,
                                                                    m.cvr, round(m.rpc_cents, 6)]
    return figures


def _group_key(model, dimension: str, dialect: str, timezone: str):
    from sqlalchemy import func

    if dimension == "date":
        if dialect == "sqlite":
            if timezone != "UTC":
                raise SystemExit("the SQLite baseline groups UTC dates; Big Partner's timezone is UTC")
            return func.date(model.created_at)
        return func.date(func.timezone(timezone, model.created_at))
    if dimension == "offer":
        return model.offer_id
    return func.coalesce(model.sub1, "")


def report_baseline(partner_id: int, window, dimension: str) -> dict[str, list[int]]:
    """Bare GROUP BYs over the raw clicks and conversions, merged in Python, rates derived."""
    from sqlalchemy import case, func, select

    from portal.extensions import db
    from portal.models import Click, Conversion, Offer

    dialect = db.session.get_bind().dialect.name
    counted = Conversion.status.in_(("approved", "pending"))
    figures: dict[str, list] = {}
    click_key = _group_key(Click, dimension, dialect, window.timezone)
    clicks = select(click_key, func.count()).where(
        Click.partner_id == partner_id, Click.created_at >= window.start, Click.created_at < window.end,
        Click.is_test.is_(False)).group_by(click_key)
    for key, n in db.session.execute(clicks):
        figures[str(key)] = [n, 0, 0]
    conversion_key = _group_key(Conversion, dimension, dialect, window.timezone)
    conversions = select(
        conversion_key,
        func.sum(case((counted & Conversion.event_name.is_(None), 1), else_=0)),
        func.sum(case((counted, Conversion.payout_cents), else_=0)),
    ).where(Conversion.partner_id == partner_id, Conversion.created_at >= window.start,
            Conversion.created_at < window.end, Conversion.is_test.is_(False)).group_by(conversion_key)
    for key, n, cents in db.session.execute(conversions):
        slot = figures.setdefault(str(key), [0, 0, 0])
        slot[1], slot[2] = int(n or 0), int(cents or 0)
    if dimension == "offer":  # the report shows names: look them up as the app does
        dict(db.session.execute(select(Offer.id, Offer.name).where(Offer.id.in_([int(k) for k in figures]))).all())
    return {key: [c, v, e, round(100 * v / c, 4) if c else 0.0, round(e / c, 6) if c else 0.0]
            for key, (c, v, e) in figures.items()}


def duckdb_reports(partner_id: int, window, rounds: int) -> dict:
    """Load the partner's raw rows of the window into an in-memory DuckDB (untimed), then time the GROUP BYs."""
    import duckdb
    import pandas as pd
    from sqlalchemy import select

    from portal.extensions import db
    from portal.models import Click, Conversion

    def frame(stmt, names):
        result = db.session.execute(stmt.execution_options(yield_per=200_000))
        parts = [pd.DataFrame(part, columns=names) for part in result.partitions(200_000)]
        return pd.concat(parts, ignore_index=True)

    clicks = frame(select(Click.created_at, Click.offer_id, Click.sub1, Click.is_test).where(
        Click.partner_id == partner_id, Click.created_at >= window.start, Click.created_at < window.end),
        ["created_at", "offer_id", "sub1", "is_test"])
    conversions = frame(select(Conversion.created_at, Conversion.offer_id, Conversion.sub1, Conversion.is_test,
                               Conversion.status, Conversion.event_name, Conversion.payout_cents).where(
        Conversion.partner_id == partner_id, Conversion.created_at >= window.start,
        Conversion.created_at < window.end),
        ["created_at", "offer_id", "sub1", "is_test", "status", "event_name", "payout_cents"])
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.register("clicks_frame", clicks)
    con.register("conversions_frame", conversions)
    con.execute("CREATE TABLE clicks AS SELECT * FROM clicks_frame")
    con.execute("CREATE TABLE conversions AS SELECT * FROM conversions_frame")
    del clicks, conversions
    keys = {"date": "CAST(timezone('{tz}', created_at) AS DATE)".format(tz=window.timezone),
            "offer": "offer_id", "sub1": "coalesce(sub1, '')"}
    times: dict[str, float] = {}
    for dimension, key in keys.items():
        samples = []
        for _ in range(rounds):
            began = time.perf_counter()
            con.execute(f"SELECT {key}, count(*) FROM clicks WHERE NOT is_test GROUP BY 1").fetchall()
            con.execute(f"SELECT {key}, sum(CASE WHEN status IN ('approved', 'pending') AND event_name IS NULL "
                        "THEN 1 ELSE 0 END), sum(CASE WHEN status IN ('approved', 'pending') THEN payout_cents "
                        f"ELSE 0 END) FROM conversions WHERE NOT is_test GROUP BY 1").fetchall()
            samples.append(time.perf_counter() - began)
        times[dimension] = min(samples)
    return {"times": times, "version": duckdb.__version__}


def run_measurement(what: str, rounds: int) -> None:
    from sqlalchemy import select

    from portal import create_app
    from portal.affiliate import AffiliateScope
    from portal.affiliate.criteria import ConversionQuery
    from portal.cli.demo.people import BIG_PARTNER
    from portal.extensions import db
    from portal.models import Partner

    app = create_app()
    with app.app_context():
        partner = db.session.scalar(select(Partner).where(Partner.name == BIG_PARTNER.name))
        if partner is None:
            raise SystemExit("no Big Partner in this database (flask demo-data --big-partner-conversions N)")
        scope = AffiliateScope(partner)
        window = year_window(partner.id, partner.timezone or "UTC")
        dialect = db.session.get_bind().dialect.name
        out: dict = {"dialect": dialect, "window": [str(window.first_day), str(window.last_day)]}
        if what in ("export_app", "export_baseline"):
            expected = scope.conversion_count(ConversionQuery(window=window, include_test=True))
            db.session.commit()
            before = peak_rss_mb()
            began = time.perf_counter()
            figures = export_app(scope, window) if what == "export_app" else export_baseline(partner.id, window)
            out.update(figures, seconds=time.perf_counter() - began, rss_growth_mb=peak_rss_mb() - before,
                       expected_rows=expected)
        elif what == "reports":
            app_times = {d: [] for d in DIMENSIONS}
            base_times = {d: [] for d in DIMENSIONS}
            same = {}
            for round_no in range(rounds):
                for dimension in DIMENSIONS:
                    order = ("app", "base") if round_no % 2 == 0 else ("base", "app")
                    for who in order:
                        began = time.perf_counter()
                        figures = (report_app(scope, window, dimension) if who == "app"
                                   else report_baseline(partner.id, window, dimension))
                        (app_times if who == "app" else base_times)[dimension].append(time.perf_counter() - began)
                        db.session.commit()
                        same.setdefault(dimension, {})[who] = figures
            out["app"], out["baseline"] = app_times, base_times
            out["same_figures"] = {d: same[d]["app"] == same[d]["base"] for d in DIMENSIONS}
            out["groups"] = {d: len(same[d]["app"]) for d in DIMENSIONS}
        elif what == "duckdb":
            out.update(duckdb_reports(partner.id, window, rounds))
        else:
            raise SystemExit(f"unknown measurement {what}")
    print(json.dumps(out))


# --- the run (parent process) -------------------------------------------------------------------------


def verdict(ratio: float, target: float) -> str:
    return "PASS" if ratio <= target else "FAIL"


def bench_database(label: str, url: str, instance: Path, rounds: int) -> None:
    print(f"\n== {label} ==", flush=True)
    exports: dict[str, list[dict]] = {"export_app": [], "export_baseline": []}
    measure(url, instance, "export_baseline")  # warm the page cache; not counted
    for round_no in range(rounds):
        order = ("export_app", "export_baseline") if round_no % 2 == 0 else ("export_baseline", "export_app")
        for what in order:
            exports[what].append(measure(url, instance, what))
    app, base = exports["export_app"], exports["export_baseline"]
    first = app[0]
    print(f"Big Partner, {first['window'][0]} to {first['window'][1]}: {first['expected_rows']:,} conversions")
    rows_ok = all(m["rows"] == first["expected_rows"] for m in app + base)
    print(f"CSV export of every conversion ({rounds} rounds, alternating, each in a fresh process; "
          f"rows = the query's count: {'yes' if rows_ok else 'NO'})")
    for label, runs in (("app export path", app), ("csv.writer loop", base)):
        times = ", ".join(f"{m['seconds']:.1f}" for m in runs)
        print(f"  {label:<17} best {min(m['seconds'] for m in runs):6.2f} s  ({times})  "
              f"{runs[0]['bytes'] / 1e6:6.1f} MB  peak RSS growth ≤ {max(m['rss_growth_mb'] for m in runs):5.1f} MB")
    ratio = min(m["seconds"] for m in app) / min(m["seconds"] for m in base)
    paired = statistics.median(a["seconds"] / b["seconds"] for a, b in zip(app, base))
    growth = max(m["rss_growth_mb"] for m in app)
    print(f"  ratio (app / csv loop), best times: {ratio:.2f}   target ≤ {EXPORT_TARGET}  "
          f"{verdict(ratio, EXPORT_TARGET)}   (median of paired rounds: {paired:.2f})")
    print(f"  app peak RSS growth: {growth:.0f} MB   target ≤ {MEMORY_TARGET_MB} MB  "
          f"{verdict(growth, MEMORY_TARGET_MB)}")

    reports = measure(url, instance, "reports", rounds=max(rounds, 3))
    duck = None
    try:
        duck = measure(url, instance, "duckdb", rounds=max(rounds, 3))
    except subprocess.CalledProcessError as error:
        print(f"  (DuckDB comparison skipped: {error.stderr.strip().splitlines()[-1] if error.stderr else error})")
    print(f"Aggregated report over the year ({max(rounds, 3)} rounds, alternating; best times)")
    for dimension in DIMENSIONS:
        app_s = min(reports["app"][dimension])
        base_s = min(reports["baseline"][dimension])
        ratio = app_s / base_s
        target = REPORT_TARGETS[dimension]
        line = (f"  by {dimension:<6} {reports['groups'][dimension]:>6} rows  app {app_s * 1000:8.1f} ms   "
                f"GROUP BY {base_s * 1000:8.1f} ms   ratio {ratio:.3f}  target ≤ {target}  {verdict(ratio, target)}"
                f"   same figures: {'yes' if reports['same_figures'][dimension] else 'NO'}")
        if duck:
            line += (f"   (app / DuckDB {app_s / duck['times'][dimension]:.1f}; "
                     f"DuckDB {duck['times'][dimension] * 1000:.1f} ms)")
        print(line, flush=True)
    if duck:
        print(f"  DuckDB {duck['version']}, in memory, over the same raw rows (loaded before timing)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversions", type=int, default=1_000_000, help="Big Partner's conversions (5× clicks)")
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="sqlite")
    parser.add_argument("--reuse", action="append", default=[],
                        help="an SQLite file or a postgresql+psycopg:// URL that already has Big Partner")
    parser.add_argument("--postgresql-server", default="postgresql+psycopg://postgres@127.0.0.1:5432",
                        help=f"server for the generated database `{POSTGRESQL_DATABASE}` (trust auth)")
    parser.add_argument("--rounds", type=int, default=5, help="export rounds (reports: at least 3)")
    parser.add_argument("--keep", action="store_true", help="keep the generated SQLite file")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.measure:
        run_measurement(args.measure, args.rounds)
        return

    reuse = {"postgresql" if value.startswith("postgres") else "sqlite": value for value in args.reuse}
    engines = ("sqlite", "postgresql") if args.database == "both" else (args.database,)
    tmp = Path(tempfile.mkdtemp(prefix="portal-bench-reports-"))
    try:
        print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs; export batches of {BATCH_ROWS:,} rows")
        for engine in engines:
            if engine == "sqlite":
                if "sqlite" in reuse:
                    url = f"sqlite:///{Path(reuse['sqlite']).resolve()}"
                else:
                    url = f"sqlite:///{tmp / 'bench.sqlite'}"
                    generate(url, tmp, args.conversions)
            else:
                url = reuse.get("postgresql")
                if url is None:
                    url = fresh_postgresql(args.postgresql_server, POSTGRESQL_DATABASE)
                    generate(url, tmp, args.conversions)
                elif url.rsplit("/", 1)[-1] == "test":
                    raise SystemExit("refusing to use the database named test")
            analyse(url)
            bench_database(f"{engine}: {url.split('@')[-1]}", url, tmp, args.rounds)
    finally:
        if args.keep and (tmp / "bench.sqlite").exists():
            print(f"\nkept {tmp / 'bench.sqlite'} (use --reuse {tmp / 'bench.sqlite'})")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
