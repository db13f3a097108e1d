"""Whole UTC hours as integers (hours since 1970), computed the same way in SQL and in Python."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Integer, cast, func
from sqlalchemy.sql.elements import ColumnElement

HOUR = 3600


def hour_number(at: datetime) -> int:
    return int(at.timestamp()) // HOUR


def hour_start(number: int) -> datetime:
    return datetime.fromtimestamp(number * HOUR, UTC)


def hour_number_sql(column, dialect: str) -> ColumnElement[int]:
    """The hour number of a UTCDateTime column, in this engine's SQL."""
    if dialect == "sqlite":
        # Stored as 'YYYY-MM-DD HH:MM:SS.ffffff'; strftime would round 10:59:59.9 up to 11:00, so cut the fraction.
        return cast(func.strftime("%s", func.substr(column, 1, 19)), Integer) // HOUR
    return cast(func.floor(func.extract("epoch", column) / HOUR), Integer)
