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


def test_0013_backfills_the_networks_revenue_into_the_rollups_as_a_rebuild_would(tmp_path):
    """Rollups written before 0013 had no network revenue: the upgrade sums the counted conversions' revenue
    into each row, so the rollups equal what a rebuild from the raw rows gives."""
    from datetime import UTC, datetime, timedelta

    from portal.models import ReportRollup
    from portal.services import rollups
    from tests.factories import Factories

    app = create_app(base_config(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'rollups.sqlite'}"))
    day = datetime(2026, 11, 10, 12, tzinfo=UTC)
    with app.app_context():
        upgrade()
        make = Factories(db)
        partners, offer = [make.partner(), make.partner()], make.offer(network_revenue_amount=900)
        for n, partner in enumerate(partners):
            make.click(partner, offer, at=day, sub1="a")
            make.conversion(partner, offer, at=day, payout_cents=500 + n, network_revenue_cents=900 + n, sub1="a")
            make.conversion(partner, offer, at=day + timedelta(hours=3), payout_cents=100, network_revenue_cents=333)
            make.conversion(partner, offer, at=day, payout_cents=100, network_revenue_cents=7777, status="rejected")
            make.conversion(partner, offer, at=day, payout_cents=100, network_revenue_cents=55, event_name="upsell",
                            sub1="a")
        ids = [p.id for p in partners]
        db.session.remove()
        downgrade(revision="0012")  # as before 0013: the rollups carry no network revenue
        upgrade()

        def table():
            db.session.expire_all()
            rows = db.session.scalars(sa.select(ReportRollup)).all()
            return {(r.partner_id, r.hour, r.offer_id, r.sub1, r.is_test): r.network_revenue_cents for r in rows}

        backfilled = table()
        rollups.rebuild(db.session, ids)
        db.session.commit()
        rebuilt = table()
        db.session.remove()
        db.engine.dispose()
    assert backfilled == rebuilt and sum(backfilled.values()) == 900 + 901 + 2 * 333 + 2 * 55
