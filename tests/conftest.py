"""Fixtures: one migrated database per run (SQLite, or PostgreSQL from TEST_DATABASE_URL), an app per test,
a client, factories, and sign-in helpers. Every test starts from the rows a fresh installation has."""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from flask import g
from hypothesis import settings
from sqlalchemy import event

from portal import create_app
from portal.extensions import db as _db
from portal.services.keys import issue_key
from tests import factories, url_builders

TEST_PASSWORD = factories.TEST_PASSWORD
_KEY_ENCRYPTION_KEY = Fernet.generate_key().decode()
_TMP = Path(tempfile.mkdtemp(prefix="portal-tests-"))
url_builders.install()  # every app of the run shares the URL builders werkzeug compiles for its rules


# Properties hold however slow the machine: no per-example deadline anywhere in the suite (a loaded CI
# machine once failed a property on a 275 ms example). Examples and shrinking are unchanged.
settings.register_profile("portal", deadline=None)
settings.load_profile("portal")

def database_url() -> str:
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{_TMP / 'test.sqlite'}"


def base_config(**overrides) -> dict:
    config = {
        "ENV_NAME": "test",
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "KEY_ENCRYPTION_KEY": _KEY_ENCRYPTION_KEY,
        "SQLALCHEMY_DATABASE_URI": database_url(),
        "PASSWORD_TIME_COST": 1,
        "PASSWORD_MEMORY_COST": 64,
        "WTF_CSRF_ENABLED": False,
        "SERVER_NAME": None,
    }
    config.update(overrides)
    return config


def reset_schema(url: str) -> None:
    """Start the run from an empty database, then build it with the real migrations."""
    engine = sa.create_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def migrated_database():
    from flask_migrate import upgrade

    url = database_url()
    reset_schema(url)
    app = create_app(base_config(SQLALCHEMY_DATABASE_URI=url))
    with app.app_context():
        upgrade()
        _db.engine.dispose()
    return url


def clean_to_fresh_installation() -> None:
    """Delete every row a test made, keeping what the migrations create (settings, gstest, the default group)."""
    keep = {"network_settings", "partners", "partner_key_reservations", "partner_groups", "alembic_version"}
    # Partners point at staff (account managers): unhook them first so staff rows can go.
    _db.session.execute(sa.text("UPDATE partners SET account_manager_id = NULL"))
    _db.session.execute(sa.text("UPDATE network_settings SET network_api_offer_id = NULL"))  # offers go next
    for table in reversed(_db.metadata.sorted_tables):
        if table.name not in keep:
            _db.session.execute(table.delete())
    _db.session.execute(sa.text("DELETE FROM partner_key_reservations WHERE key <> 'gstest'"))
    _db.session.execute(sa.text("DELETE FROM partners WHERE partner_key <> 'gstest'"))
    _db.session.execute(sa.text(
        "UPDATE partners SET status = 'active', onboarding = 'complete', fraud_flag = :off, "
        "name = 'Test partner (gstest)', timezone = 'UTC', currency = 'USD', tags = '[]', archived_at = NULL, "
        "group_id = (SELECT id FROM partner_groups WHERE is_default = :on) WHERE partner_key = 'gstest'"),
        {"off": False, "on": True})
    _db.session.execute(sa.text("DELETE FROM partner_groups WHERE is_default = :off"), {"off": False})
    _db.session.execute(sa.text(
        "UPDATE network_settings SET network_name = 'Partner Network', logo_url = NULL, timezone = 'UTC', "
        "currency = 'USD', support_email = NULL, partner_postbacks_enabled = :on, staff_require_two_factor = :off, "
        "payment_terms_days = 30, minimum_payout_cents = 0 "
        "WHERE id = 1"), {"on": True, "off": False})
    _db.session.commit()


@pytest.fixture(scope="session")
def cleaner(migrated_database):
    """One app for the whole run that returns the database to a fresh installation after each test. Building
    an app costs tens of milliseconds (werkzeug compiles every URL rule), too much to repeat per test."""
    return create_app(base_config())


@pytest.fixture
def make_app(cleaner):
    """Build an app on the test database with config overrides; cleans the database afterwards."""
    apps = []

    def _make(**overrides):
        app = create_app(base_config(**overrides))
        # Tests keep an app context open between requests, so Flask reuses its `g`; a real server
        # starts every request with a fresh one. Forget the loaded user as a real request would.
        app.teardown_request(lambda exc: g.pop("_login_user", None))
        apps.append(app)
        return app

    yield _make
    for app in apps:
        with app.app_context():
            _db.session.remove()
            _db.engine.dispose()
    if apps:
        with cleaner.app_context():
            clean_to_fresh_installation()
            _db.engine.dispose()


@pytest.fixture
def app(make_app):
    app = make_app()
    with app.app_context():
        yield app
        _db.session.remove()


@pytest.fixture
def unbudgeted_app(make_app):
    """An app whose API budgets and failed-authentication limit no test reaches, for tests that make many
    API calls (those limits are tested on their own); a module uses it by defining `app` to return it."""
    app = make_app(API_RATE_PER_SECOND=100_000, API_RATE_BURST=100_000, API_PARTNER_SHARE=1,
                   NETWORK_API_RATE_PER_SECOND=100_000, NETWORK_API_RATE_BURST=100_000, API_AUTH_FAILURES=100_000,
                   EFLOW_NETWORK_API_RATE_PER_SECOND=100_000, EFLOW_NETWORK_API_RATE_BURST=100_000)
    with app.app_context():
        yield app
        _db.session.remove()



class FakeTime:
    def __init__(self) -> None:
        self.now = time.time()  # starts at the real time: Flask-Limiter measures Retry-After from it

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    """The clock of the in-process budget store and of what reads it (API budgets, the failed-authentication
    throttle), under the test's control."""
    from portal.http import auth_throttle, memory_storage, ratelimit

    fake = FakeTime()
    for module in (memory_storage, ratelimit, auth_throttle):
        monkeypatch.setattr(module, "time", fake)
    return fake

@pytest.fixture
def mailbox():
    """A real SMTP server on 127.0.0.1 that keeps what it receives (tests/mailbox.py)."""
    from tests.mailbox import Mailbox

    with Mailbox() as box:
        yield box


@pytest.fixture
def mail_app(make_app, mailbox):
    """An app that sends its mail to `mailbox`; a module uses it by defining `app` to return it."""
    app = make_app(SMTP_URL=mailbox.url, MAIL_FROM="Partner Network <portal@network.test>")
    with app.app_context():
        yield app
        _db.session.remove()


@pytest.fixture
def app_without_database(make_app):
    """An app whose database cannot be reached (a closed port): what an outage looks like to the app."""
    app = make_app(SQLALCHEMY_DATABASE_URI="postgresql+psycopg://nobody@127.0.0.1:1/unreachable",
                   SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"connect_timeout": 2}})
    with app.app_context():
        yield app


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def make(db):
    """Factories bound to the test database: make.partner(), make.partner_user(partner), make.staff(...)."""
    return factories.Factories(db)


class Auth:
    def __init__(self, client):
        self.client = client

    def partner(self, user, password: str = TEST_PASSWORD):
        return self.client.post("/login", data={"email": user.email, "password": password})

    def staff(self, user, password: str = TEST_PASSWORD):
        return self.client.post("/staff/login", data={"email": user.email, "password": password})

    def confirm_identity(self, password: str = TEST_PASSWORD, code: str = ""):
        """The signed-in staff member confirms who they are again (reveals need it); asserts it worked."""
        response = self.client.post("/staff/confirm-identity", data={"password": password, "code": code})
        assert response.status_code == 303, response.status_code
        return response

    def logout(self):
        return self.client.post("/logout")


@pytest.fixture
def login_as(client):
    """login_as.partner(user) / login_as.staff(user): sign in through the real form; login_as.confirm_identity()
    before a staff reveal."""
    return Auth(client)


@pytest.fixture
def admin(make, login_as):
    """A staff member with every permission, signed in on `client`."""
    user = make.staff(email="admin@network.test", name="Ada Admin")
    login_as.staff(user)
    return user


@pytest.fixture(scope="session")
def chromium():
    """One headless Chromium per run."""
    from tests.browser import CHROMIUM, CHROMIUM_FLAGS, require_chromium

    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium):
    context = chromium.new_context()
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def live_server(app):
    """The test app served over real HTTP on 127.0.0.1."""
    from tests.browser import LiveServer

    with LiveServer(app) as server:
        yield server


# --- the Affiliate API: issuing keys, calling /v1 with a key, counting SQL statements -----------------

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
