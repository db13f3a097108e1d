"""Real portal processes for tests that need more than one: gunicorn serving the app with an environment of
the test's choosing (`serving`), started side by side and stopped afterwards.

A real upstream portal for two-portal tests (`running_upstream`): migrate and seed an SQLite file, serve it
with gunicorn (two workers, its /v1/networks and /v1/affiliates), call it over HTTP, stop it.
`seed(make, db)` runs in an app on that file and returns what the test needs to know (keys, ids)."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from portal import create_app
from portal.extensions import db as _db
from tests import conftest as suite
from tests.factories import Factories

ROOT = Path(__file__).resolve().parents[3]
PUBLIC_BASE_URL = "https://track.upstream.example"


@dataclass
class LiveUpstream:
    url: str
    process: subprocess.Popen
    seeded: dict

    def call(self, method: str, path: str, key: str, body=None) -> tuple[int, dict | bytes, dict]:
        host, port = self.url.removeprefix("http://").split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=20)
        payload = json.dumps(body).encode() if body is not None else None
        conn.request(method, path, body=payload, headers={"X-Eflow-API-Key": key, "Content-Type": "application/json"})
        response = conn.getresponse()
        data = response.read()
        conn.close()
        is_json = response.getheader("Content-Type", "").startswith("application/json")
        return response.status, (json.loads(data) if is_json else data), dict(response.getheaders())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_healthy(process: subprocess.Popen, port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the upstream exited early: {process.stderr.read().decode(errors='replace')[-2000:]}")
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        try:
            conn.request("GET", "/healthz")
            answer = conn.getresponse()
            answer.read()
            if answer.status == 200:
                return
        except OSError:
            time.sleep(0.1)
        finally:
            conn.close()
    pytest.fail("the upstream did not become healthy")


def _seed(url: str, seed: Callable[[Factories, object], dict]) -> dict:
    from flask_migrate import upgrade

    app = create_app(suite.base_config(SQLALCHEMY_DATABASE_URI=url))
    with app.app_context():
        upgrade()
        seeded = seed(Factories(_db), _db)
        _db.session.remove()
        _db.engine.dispose()
    return seeded


def portal_env(**settings: str) -> dict[str, str]:
    """This process's environment without its PORTAL_* settings and DATABASE_URL, for a portal in tests (the
    suite's keys, the API budgets and the usage flush out of the way), with `settings` on top."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_") and k != "DATABASE_URL"}
    env.update({"PORTAL_ENV": "test", "PORTAL_SECRET_KEY": suite.base_config()["SECRET_KEY"],
                "PORTAL_KEY_ENCRYPTION_KEY": suite.base_config()["KEY_ENCRYPTION_KEY"],
                "PORTAL_API_USAGE_FLUSH_SECONDS": "3600",
                "PORTAL_API_RATE_PER_SECOND": "1000", "PORTAL_API_RATE_BURST": "1000",
                "PORTAL_EFLOW_NETWORK_API_RATE_PER_SECOND": "1000", "PORTAL_EFLOW_NETWORK_API_RATE_BURST": "1000"})
    env.update(settings)
    return env


@contextlib.contextmanager
def serving(*envs: dict[str, str], workers: int = 2, threads: int = 1) -> Iterator[list[LiveUpstream]]:
    """One gunicorn process per environment (`workers` workers of `threads` threads each), started side by
    side, each healthy before the test runs; stopped afterwards."""
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    running: list[LiveUpstream] = []
    try:
        for env in envs:
            port = free_port()
            process = subprocess.Popen([gunicorn, "--workers", str(workers), "--threads", str(threads), "--bind",
                                        f"127.0.0.1:{port}", "wsgi:app"], cwd=ROOT, env=env,
                                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            running.append(LiveUpstream(url=f"http://127.0.0.1:{port}", process=process, seeded={}))
        for live in running:
            wait_until_healthy(live.process, int(live.url.rsplit(":", 1)[1]))
        yield running
    finally:
        for live in running:
            live.process.terminate()
        for live in running:
            live.process.wait(timeout=15)
            live.process.stderr.close()


@contextlib.contextmanager
def running_upstream(tmp_path: Path, seed: Callable[[Factories, object], dict]) -> Iterator[LiveUpstream]:
    url = f"sqlite:///{tmp_path / 'upstream.sqlite'}"
    seeded = _seed(url, seed)
    env = portal_env(PORTAL_SECRET_KEY="upstream-secret-key", DATABASE_URL=url, PORTAL_INSTANCE_PATH=str(tmp_path),
                     PORTAL_PUBLIC_BASE_URL=PUBLIC_BASE_URL)
    with serving(env) as (live,):
        live.seeded = seeded
        yield live


def upstream_fixtures(start: Callable) -> tuple:
    """The `module_upstream` and `upstream` fixtures of a two-portal test module, over `start(directory)` (a
    context manager yielding a running upstream). Starting a portal process on a migrated, seeded database
    takes seconds, so the module's tests share one; a test parametrized (indirectly) with "own" — one that
    stops or changes the upstream — gets one of its own."""

    @pytest.fixture(scope="module")
    def module_upstream(tmp_path_factory):
        with start(tmp_path_factory.mktemp("upstream")) as live:
            yield live

    @pytest.fixture
    def upstream(request, tmp_path):
        if getattr(request, "param", None) != "own":
            yield request.getfixturevalue("module_upstream")
            return
        with start(tmp_path) as live:
            yield live

    return module_upstream, upstream

