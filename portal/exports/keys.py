"""The staff keys table as a DataFrame with declared columns and types."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

import pandas as pd

from portal.domain.keys import masked

KEY_COLUMNS = {
    "label": "string",
    "key": "string",
    "status": "string",
    "created_at": "string",
    "created_by": "string",
    "created_by_email": "string",
    "last_used_at": "string",
    "last_used_ip": "string",
    "last_used_endpoint": "string",
    "ip_allowlist": "string",
    "revoked_at": "string",
    "revoked_by": "string",
    "revoked_by_email": "string",
}
# Who issued or revoked a key from the command line: no staff account (the page says the same).
OPERATOR = "operator"


def iso_utc(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with a Z, to the second: the one time format of both the CSV and the JSON export.

    Written as text here rather than left to each writer, which would spell it differently (the CSV
    writer as "2026-01-02 03:04:05+00:00", pandas' JSON as "2026-01-02T03:04:05.000Z")."""
    if moment is None:
        return None
    if moment.tzinfo is None:  # the database hands back naive UTC on SQLite
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _name(user) -> str:
    return (user.name or user.email) if user is not None else OPERATOR


def keys_frame(keys: Iterable) -> pd.DataFrame:
    """ApiKey rows → the exported table. Keys appear masked: an export never holds a usable key."""
    records = [{
        "label": k.label, "key": masked(k.prefix), "status": "revoked" if k.revoked_at else "active",
        "created_at": iso_utc(k.created_at), "created_by": _name(k.created_by),
        "created_by_email": k.created_by.email if k.created_by else None,
        "last_used_at": iso_utc(k.last_used_at), "last_used_ip": k.last_used_ip,
        "last_used_endpoint": k.last_used_endpoint, "ip_allowlist": " ".join(k.ip_allowlist or []),
        "revoked_at": iso_utc(k.revoked_at), "revoked_by": _name(k.revoked_by) if k.revoked_at else None,
        "revoked_by_email": k.revoked_by.email if k.revoked_by else None,
    } for k in keys]
    frame = pd.DataFrame.from_records(records, columns=list(KEY_COLUMNS))
    return frame.astype(KEY_COLUMNS)
