"""The staff API-activity reads: usage by partner and key for a period, open alerts newest first."""

from __future__ import annotations

from datetime import timedelta

from portal.models import ApiUsage, KeyAlert
from portal.models.base import utcnow
from portal.queries import api_activity
from portal.services.keys import find_by_secret, revoke_key


def add_usage(db, key, minutes_ago: int, requests: int, endpoint: str = "GET /v1/affiliates/affiliate", **counts):
    minute = (utcnow() - timedelta(minutes=minutes_ago)).replace(second=0, microsecond=0)
    db.session.add(ApiUsage(api_key_id=key.id, partner_id=key.partner_id, minute=minute, endpoint=endpoint,
                            requests=requests, client_errors=counts.get("client_errors", 0),
                            server_errors=counts.get("server_errors", 0), rate_limited=counts.get("rate_limited", 0)))
    db.session.commit()


def test_usage_is_summed_per_key_for_the_last_day_and_the_last_week(db, make, issue):
    alpha, beta = make.partner(name="Alpha"), make.partner(name="Beta")
    looker, sheets = find_by_secret(issue(alpha, "Looker")), find_by_secret(issue(alpha, "Sheets"))
    beta_key = find_by_secret(issue(beta, "BI"))
    add_usage(db, looker, 5, 10, client_errors=2, rate_limited=1)
    add_usage(db, looker, 90, 5, endpoint="GET /v1/meta/timezones", server_errors=1)
    add_usage(db, sheets, 30, 1)
    add_usage(db, beta_key, 3 * 24 * 60, 500)
    add_usage(db, beta_key, 9 * 24 * 60, 7000)  # older than a week
    revoke_key(sheets)

    day = api_activity.recent_usage(utcnow() - timedelta(hours=24))
    assert [(u.partner_name, u.key_label, u.requests) for u in day] == [("Alpha", "Looker", 15), ("Alpha", "Sheets", 1)]
    looker_row = day[0]
    assert (looker_row.client_errors, looker_row.server_errors, looker_row.rate_limited, looker_row.endpoints) == (
        2, 1, 1, 2)
    assert looker_row.last_minute.tzinfo is not None and utcnow() - looker_row.last_minute < timedelta(minutes=7)
    assert day[1].key_revoked and not day[0].key_revoked

    week = api_activity.recent_usage(utcnow() - timedelta(days=7))
    assert [(u.partner_name, u.requests) for u in week] == [("Beta", 500), ("Alpha", 15), ("Alpha", 1)]


def test_open_alerts_are_listed_newest_first_with_their_partner_and_key(db, make, issue):
    key = find_by_secret(issue(make.partner(name="Gamma"), "Nightly"))
    now = utcnow()
    for minutes_ago, kind in ((30, "rate_limited"), (5, "new_endpoint"), (60, "off_hours")):
        db.session.add(KeyAlert(api_key_id=key.id, partner_id=key.partner_id, kind=kind, detail={},
                                created_at=now - timedelta(minutes=minutes_ago)))
    db.session.add(KeyAlert(api_key_id=key.id, partner_id=key.partner_id, kind="off_hours", detail={},
                            created_at=now, acknowledged_at=now))
    db.session.commit()
    rows = api_activity.open_alerts()
    assert [r.kind for r in rows] == ["new_endpoint", "rate_limited", "off_hours"]
    assert {(r.partner_name, r.key_label) for r in rows} == {("Gamma", "Nightly")}
    assert api_activity.alert(rows[0].id).kind == "new_endpoint"
    assert api_activity.alert(999_999) is None
