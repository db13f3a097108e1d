"""The time now, in UTC: the one clock of the models and the façade (tests move it by patching callers)."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)
