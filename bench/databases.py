"""What the benchmarks share: a PostgreSQL database of their own, emptied and created afresh."""

from __future__ import annotations


def fresh_postgresql(server: str, name: str) -> str:
    """Drop and create the database `name` on `server`; its URL. Never the test suite's database."""
    import sqlalchemy as sa

    if name == "test":
        raise SystemExit("refusing to use the database named test")
    engine = sa.create_engine(f"{server.rstrip('/')}/postgres", isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return f"{server.rstrip('/')}/{name}"
