"""Helpers for the Affiliate API tests: issuing keys, calling /v1 with a key, counting SQL statements."""

from __future__ import annotations

import contextlib

import pytest
from sqlalchemy import event

from portal.services.keys import issue_key

KEY_HEADER = "X-Eflow-API-Key"


class Api:
    """Calls the API through the test client with a key in the header (or none)."""

    def __init__(self, client) -> None:
        self.client = client

    def get(self, path: str, key: str | None = None, header: str = KEY_HEADER, ip: str | None = None, **kwargs):
        headers = dict(kwargs.pop("headers", {}))
        if key is not None:
            headers[header] = f"Bearer {key}" if header == "Authorization" else key
        if ip is not None:
            kwargs["environ_base"] = {"REMOTE_ADDR": ip}
        return self.client.get(path, headers=headers, **kwargs)


@pytest.fixture
def api(client):
    return Api(client)


@pytest.fixture
def issue(db):
    """issue(partner, label="…") → the new key string (issued by the system, no risk questions)."""

    def _issue(partner, label: str = "Reporting script") -> str:
        return issue_key(partner, label, acknowledged_risk=True).secret

    return _issue


class StatementCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, conn, cursor, statement, parameters, context, executemany) -> None:
        self.statements.append(statement)

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_statements(db):
    """with count_statements() as counter: … → counter.statements sent to the database."""

    @contextlib.contextmanager
    def _count():
        counter = StatementCounter()
        event.listen(db.engine, "before_cursor_execute", counter)
        try:
            yield counter
        finally:
            event.remove(db.engine, "before_cursor_execute", counter)

    return _count


def pytest_configure(config):
    config.addinivalue_line("markers", "redis: needs the Redis at 127.0.0.1:6379 (skipped without it, except in CI)")
