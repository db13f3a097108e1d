"""One Alembic chain builds the schema on SQLite and PostgreSQL, and it matches the models exactly."""

from __future__ import annotations

import os
import uuid

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from portal import create_app
from portal.extensions import db
from tests.conftest import base_config

PG_SERVER = os.environ.get("TEST_POSTGRES_SERVER_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def _postgres_reachable() -> bool:
    try:
        engine = sa.create_engine(PG_SERVER)
        with engine.connect():
            pass
        engine.dispose()
        return True
    except sa.exc.OperationalError:
        return False


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite'}"
        return
    if not _postgres_reachable():
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is not reachable at {PG_SERVER}")
        pytest.skip("PostgreSQL is not reachable here (CI requires it)")
    name = f"portal_migrations_{uuid.uuid4().hex[:8]}"
    server = sa.create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_SERVER.rsplit("/", 1)[0] + "/" + name
    finally:
        with server.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


def _diff(app) -> list:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True})
        return compare_metadata(context, db.metadata)


def test_migrations_build_exactly_the_models_on_an_empty_database(empty_database):
    app = create_app(base_config(SQLALCHEMY_DATABASE_URI=empty_database))
    with app.app_context():
        upgrade()
        assert _diff(app) == []
        tables = set(sa.inspect(db.engine).get_table_names())
        assert {"partners", "partner_users", "staff_users", "api_keys", "offers", "clicks", "conversions",
                "postbacks", "postback_deliveries", "audit_events", "network_settings",
                "partner_key_reservations"} <= tables
        seeded = db.session.execute(sa.text("SELECT partner_key, is_test FROM partners")).all()
        assert [(key, bool(is_test)) for key, is_test in seeded] == [("gstest", True)]
        assert db.session.scalar(sa.text("SELECT count(*) FROM network_settings")) == 1
        db.session.remove()

        downgrade(revision="base")
        assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        assert _diff(app) == []
        db.session.remove()
        db.engine.dispose()


def test_0010_sanitises_the_offer_descriptions_saved_before_it(tmp_path):
    """Descriptions were stored as typed until 0010, and partner pages render them as HTML: the upgrade puts
    every existing one through the allow-list staff saves use now."""
    app = create_app(base_config(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'before.sqlite'}"))
    dirty = '<p>Great <b>offer</b><script>alert(1)</script><img src=x onerror="alert(2)"></p>' + "x" * 150_000
    with app.app_context():
        upgrade(revision="0009")
        with db.engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO offers (id, name, status, visibility, currency, payout_type, payout_amount, "
                "network_revenue_amount, destination_url, description, category, hold_days, created_at) VALUES "
                "(:id, 'Old', 'active', 'public', 'USD', 'flat', 500, 800, 'https://a.example/', :description, "
                "'', 0, CURRENT_TIMESTAMP)"), [{"id": 1, "description": dirty}, {"id": 2, "description": "<p>Fine</p>"}])
        upgrade()
        with db.engine.connect() as conn:
            stored = dict(conn.execute(sa.text("SELECT id, description FROM offers")).all())
        db.session.remove()
        db.engine.dispose()
    assert stored[1] == "<p>Great <b>offer</b></p>" + "x" * 150_000  # even longer than staff may save now
    assert stored[2] == "<p>Fine</p>"
