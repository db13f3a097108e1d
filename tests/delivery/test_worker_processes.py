"""Real worker processes on PostgreSQL: at-least-once across a SIGKILL, exactly once across concurrent workers.

The workers are `flask --app wsgi postbacks work` subprocesses pointed at the test database through an
instance folder of their own. PostgreSQL only: SQLite runs a single worker by design.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select, update

from portal.models import PostbackAttempt, PostbackDelivery
from portal.models.base import utcnow
from tests.conftest import base_config, database_url
from tests.delivery.conftest import Reply, wait_until

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(not database_url().startswith("postgresql"),
                                reason="several workers side by side need PostgreSQL (SKIP LOCKED)")


class Workers:
    """Worker subprocesses sharing the test database; stderr of each goes to a file the test can read."""

    def __init__(self, tmp_path: Path) -> None:
        self.instance = tmp_path / "instance"
        self.instance.mkdir()
        settings = {key: value for key, value in base_config().items() if key != "TESTING"}
        settings["POSTBACK_ALLOW_PRIVATE_DESTINATIONS"] = True
        (self.instance / "config.py").write_text(
            "".join(f"{key} = {value!r}\n" for key, value in settings.items()))
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_") and k != "DATABASE_URL"}
        self.env["PORTAL_INSTANCE_PATH"] = str(self.instance)
        self.tmp_path = tmp_path
        self.processes: list[tuple[subprocess.Popen, Path]] = []

    def start(self, *args: str) -> subprocess.Popen:
        log = self.tmp_path / f"worker-{len(self.processes)}.log"
        with log.open("w") as stderr:  # the child keeps its own copy of the descriptor
            process = subprocess.Popen(
                [sys.executable, "-m", "flask", "--app", "wsgi", "postbacks", "work", *args],
                cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL, stderr=stderr)
        self.processes.append((process, log))
        return process

    def log(self, process: subprocess.Popen) -> str:
        return next(log for p, log in self.processes if p is process).read_text()

    def exit_code(self, process: subprocess.Popen, timeout: float) -> int:
        """The worker's exit code; a worker still running after `timeout` fails the test with its log."""
        try:
            return process.wait(timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the worker did not stop within {timeout} s of SIGTERM; its log:\n{self.log(process)}")

    def wait_started(self, process: subprocess.Popen, timeout: float = 30) -> None:
        assert wait_until(lambda: "worker started" in self.log(process) or process.poll() is not None, timeout)
        assert process.poll() is None, self.log(process)

    def stop_all(self) -> None:
        for process, _ in self.processes:
            if process.poll() is None:
                process.kill()
                process.wait(10)


@pytest.fixture
def workers(app, tmp_path):
    pool = Workers(tmp_path)
    yield pool
    pool.stop_all()


def counted(db, *conditions) -> int:
    db.session.rollback()  # see what the workers committed since
    return db.session.scalar(select(func.count()).select_from(PostbackDelivery).where(*conditions))


def event_ids(listener) -> Counter:
    return Counter(parse_qs(urlsplit(r.path).query)["eid"][0] for r in listener.requests)


def test_a_worker_killed_mid_delivery_loses_nothing(db, outbox_rows, listener, workers):
    stall = threading.Event()
    listener.reply(Reply(200, stall=stall))  # the first request hangs until the worker is dead
    postback = outbox_rows.postback(listener.url("/pb?eid={event_id}"))
    deliveries = [outbox_rows.conversion(postback) for _ in range(4)]
    all_ids = {d.event_id for d in deliveries}

    first = workers.start("--batch", "10", "--concurrency", "2", "--idle-sleep", "0.1")
    assert wait_until(lambda: counted(db, PostbackDelivery.status == "delivered") == 3)
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    stall.set()
    (stuck,) = db.session.scalars(select(PostbackDelivery).where(PostbackDelivery.status == "pending"))
    assert stuck.claimed_until is not None and stuck.attempts == 0  # sent, but the worker died before logging it

    # Time passes: the dead worker's lease runs out (moved back rather than waited for).
    db.session.execute(update(PostbackDelivery).where(PostbackDelivery.claimed_until.is_not(None))
                       .values(claimed_until=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    again = workers.start("--once", "--idle-sleep", "0.1")
    assert again.wait(60) == 0, workers.log(again)

    assert counted(db, PostbackDelivery.status == "delivered") == 4
    seen = event_ids(listener)
    assert set(seen) == all_ids and len(listener.requests) == 5
    assert seen[stuck.event_id] == 2 and all(seen[e] == 1 for e in all_ids - {stuck.event_id})


def test_concurrent_workers_deliver_each_event_exactly_once(db, outbox_rows, listener, workers):
    listener.default = Reply(200, delay=0.03)
    postback = outbox_rows.postback(listener.url("/pb?eid={event_id}"))
    deliveries = [outbox_rows.conversion(postback) for _ in range(40)]
    db.session.execute(update(PostbackDelivery).values(next_attempt_at=utcnow() + timedelta(hours=1)))
    db.session.commit()
    running = [workers.start("--batch", "5", "--concurrency", "2", "--idle-sleep", "0.05") for _ in range(2)]
    for process in running:
        workers.wait_started(process)

    db.session.execute(update(PostbackDelivery).values(next_attempt_at=utcnow()))  # all due at once
    db.session.commit()
    assert wait_until(lambda: counted(db, PostbackDelivery.status == "delivered") == 40)
    for process in running:
        process.send_signal(signal.SIGTERM)
    assert [workers.exit_code(process, 60) for process in running] == [0, 0]

    per_worker = [int(workers.log(p).rsplit("stopped after ", 1)[1].split()[0]) for p in running]
    assert sum(per_worker) == 40 and all(per_worker), per_worker  # both took part
    assert event_ids(listener) == Counter({d.event_id: 1 for d in deliveries})
    assert db.session.scalar(select(func.count()).select_from(PostbackAttempt)) == 40
