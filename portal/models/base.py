"""Shared column helpers for the models."""

from datetime import UTC

from sqlalchemy import BigInteger, Integer
from sqlalchemy.types import DateTime, TypeDecorator

from portal.domain.clock import utcnow

__all__ = ["utcnow", "UTCDateTime", "BigId"]


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every engine (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        if dialect.name == "sqlite":
            return value.astimezone(UTC).replace(tzinfo=None)
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# Big integer primary keys on PostgreSQL, but INTEGER on SQLite so that rowid aliasing works.
BigId = BigInteger().with_variant(Integer(), "sqlite")
