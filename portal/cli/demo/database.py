"""What is in the database already, and wiping it back to a fresh installation for --reset."""

from __future__ import annotations

from sqlalchemy import delete, func, inspect, select, text, update

from portal.cli.demo.people import ADMIN_EMAIL, TEST_PARTNER_KEY
from portal.extensions import db
from portal.models import (Click, Conversion, NetworkSettings, Offer, Partner, PartnerGroup, PartnerKeyReservation,
                           PartnerUser, StaffUser)

# What the migrations create and a reset keeps: the settings row, the built-in test partner gstest and the
# default partner group.
KEPT_TABLES = frozenset({"network_settings", "partners", "partner_key_reservations", "partner_groups"})


def contents() -> dict[str, int]:
    """Row counts of what a fresh installation does not have (all zero: the database is empty)."""
    counted = {
        "staff users": select(func.count()).select_from(StaffUser),
        "partners": select(func.count()).select_from(Partner).where(Partner.partner_key != TEST_PARTNER_KEY),
        "partner users": select(func.count()).select_from(PartnerUser),
        "offers": select(func.count()).select_from(Offer),
        "clicks": select(func.count()).select_from(select(Click.id).limit(1).subquery()),
        "conversions": select(func.count()).select_from(select(Conversion.id).limit(1).subquery()),
    }
    return {name: db.session.scalar(stmt) or 0 for name, stmt in counted.items()}


def has_demo_data() -> bool:
    return db.session.scalar(select(StaffUser.id).where(StaffUser.email == ADMIN_EMAIL)) is not None


def wipe() -> None:
    """Delete every row except what the migrations create; TRUNCATE where PostgreSQL allows it."""
    present = set(inspect(db.session.connection()).get_table_names())  # a model may be ahead of the migrations
    db.session.execute(update(NetworkSettings).values(network_api_offer_id=None))  # the offers go below
    # Children before the tables they refer to.
    tables = [t for t in reversed(db.metadata.sorted_tables) if t.name in present]
    cleared = [t for t in tables if t.name not in KEPT_TABLES]
    truncated = _truncatable(cleared, tables) if db.engine.dialect.name == "postgresql" else []
    if truncated:
        names = ", ".join(db.engine.dialect.identifier_preparer.quote(t.name) for t in truncated)
        db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY"))
    default_group = select(PartnerGroup.id).where(PartnerGroup.is_default.is_(True)).scalar_subquery()
    db.session.execute(update(Partner).where(Partner.partner_key == TEST_PARTNER_KEY).values(
        account_manager_id=None, status="active", onboarding="complete", fraud_flag=False, tags=[],
        archived_at=None, group_id=default_group))
    for table in tables:
        if table is Partner.__table__:
            db.session.execute(delete(Partner).where(Partner.partner_key != TEST_PARTNER_KEY))
        elif table is PartnerKeyReservation.__table__:
            db.session.execute(delete(PartnerKeyReservation).where(PartnerKeyReservation.key != TEST_PARTNER_KEY))
        elif table is PartnerGroup.__table__:
            db.session.execute(delete(PartnerGroup).where(PartnerGroup.is_default.is_(False)))
        elif table.name not in KEPT_TABLES and table not in truncated:
            db.session.execute(table.delete())
    if db.engine.dialect.name == "postgresql":
        _restart_ids([t for t in tables if t not in truncated])
    db.session.commit()


def _restart_ids(tables) -> None:
    """Let new ids follow the highest one left, as SQLite does, so that a reset gives the same ids."""
    for table in tables:
        if len(table.primary_key.columns) != 1:
            continue
        column = next(iter(table.primary_key.columns))
        sequence = db.session.scalar(text("SELECT pg_get_serial_sequence(:table, :column)"),
                                     {"table": table.name, "column": column.name})
        if sequence:
            highest = db.session.scalar(select(func.max(column)))
            db.session.execute(text("SELECT setval(:sequence, :next, false)"),
                               {"sequence": sequence, "next": (highest or 0) + 1})


def _truncatable(cleared, tables):
    """The cleared tables that no kept or deleted-row-by-row table refers to (TRUNCATE refuses those)."""
    chosen = set(cleared)
    while True:
        referenced = {fk.column.table for t in tables if t not in chosen for fk in t.foreign_keys}
        smaller = chosen - referenced
        if smaller == chosen:
            return [t for t in cleared if t in chosen]
        chosen = smaller
