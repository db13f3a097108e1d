"""Network-wide reads for the staff "API activity" page: recent key usage and open alerts (not partner-scoped)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import ApiKey, ApiUsage, KeyAlert, Partner


@dataclass(frozen=True)
class KeyUsage:
    """One key's traffic since a moment (counts include calls its allowlist refused)."""

    partner_id: int
    partner_name: str
    partner_key: str
    key_id: int
    key_label: str
    key_prefix: str
    key_revoked: bool
    requests: int
    client_errors: int
    server_errors: int
    rate_limited: int
    endpoints: int
    last_minute: datetime


@dataclass(frozen=True)
class AlertRow:
    id: int
    kind: str
    detail: dict
    created_at: datetime
    partner_id: int
    partner_name: str
    partner_key: str
    api_key_id: int
    key_label: str
    key_prefix: str


def recent_usage(since: datetime) -> list[KeyUsage]:
    """Usage per partner and key from `since` on (e.g. now − 24 h or now − 7 days), busiest key first."""
    total = func.sum(ApiUsage.requests)
    stmt = (
        select(Partner.id, Partner.name, Partner.partner_key, ApiKey.id, ApiKey.label, ApiKey.prefix,
               ApiKey.revoked_at, total, func.sum(ApiUsage.client_errors), func.sum(ApiUsage.server_errors),
               func.sum(ApiUsage.rate_limited), func.count(func.distinct(ApiUsage.endpoint)),
               func.max(ApiUsage.minute))
        .join(ApiKey, ApiKey.id == ApiUsage.api_key_id)
        .join(Partner, Partner.id == ApiUsage.partner_id)
        .where(ApiUsage.minute >= since)
        .group_by(Partner.id, Partner.name, Partner.partner_key, ApiKey.id, ApiKey.label, ApiKey.prefix,
                  ApiKey.revoked_at)
        .order_by(total.desc(), Partner.name, ApiKey.id)
    )
    return [
        KeyUsage(partner_id=row[0], partner_name=row[1], partner_key=row[2], key_id=row[3], key_label=row[4],
                 key_prefix=row[5], key_revoked=row[6] is not None, requests=int(row[7]),
                 client_errors=int(row[8]), server_errors=int(row[9]), rate_limited=int(row[10]),
                 endpoints=int(row[11]), last_minute=_aware(row[12]))
        for row in db.session.execute(stmt)
    ]


def open_alerts(limit: int = 200) -> list[AlertRow]:
    """Alerts nobody has acknowledged yet, newest first."""
    stmt = (
        select(KeyAlert, Partner.name, Partner.partner_key, ApiKey.label, ApiKey.prefix)
        .join(ApiKey, ApiKey.id == KeyAlert.api_key_id)
        .join(Partner, Partner.id == KeyAlert.partner_id)
        .where(KeyAlert.acknowledged_at.is_(None))
        .order_by(KeyAlert.created_at.desc(), KeyAlert.id.desc())
        .limit(limit)
    )
    return [
        AlertRow(id=a.id, kind=a.kind, detail=a.detail or {}, created_at=a.created_at, partner_id=a.partner_id,
                 partner_name=name, partner_key=partner_key, api_key_id=a.api_key_id, key_label=label,
                 key_prefix=prefix)
        for a, name, partner_key, label, prefix in db.session.execute(stmt)
    ]


def alert(alert_id: int) -> KeyAlert | None:
    return db.session.get(KeyAlert, alert_id)


def _aware(value: datetime | str) -> datetime:
    # max() over a UTC column comes back without the column's type on SQLite: naive, or even a string.
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)
