"""Read-then-write on SQLite: take the database's write lock before reading what will be changed."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session


def begin_write(session: Session) -> None:
    """On SQLite, start the transaction with BEGIN IMMEDIATE, so no other writer commits between what
    this one reads and what it writes (the driver itself begins only at the first write, and FOR UPDATE
    does nothing there). PostgreSQL callers lock the rows they read (FOR UPDATE) instead."""
    if session.get_bind().dialect.name != "sqlite":
        return
    driver_connection = session.connection().connection.dbapi_connection
    if not driver_connection.in_transaction:  # already writing: the lock is held since the first write
        session.execute(text("BEGIN IMMEDIATE"))
