"""Staff API activity page: usage by partner and key, open alerts, and acknowledging them."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from portal.models import ApiUsage, AuditEvent, KeyAlert
from portal.models.base import utcnow
from portal.services.keys import issue_key


def _usage(db, key, minutes_ago: int, requests: int, limited: int = 0, endpoint: str = "/v1/affiliates/affiliate"):
    minute = (utcnow() - timedelta(minutes=minutes_ago)).replace(second=0, microsecond=0)
    db.session.add(ApiUsage(api_key_id=key.id, partner_id=key.partner_id, minute=minute, endpoint=endpoint,
                            requests=requests, client_errors=0, server_errors=0, rate_limited=limited))
    db.session.commit()


def test_usage_is_summed_per_partner_and_key_for_the_period(client, db, make, login_as):
    login_as.staff(make.staff(permissions=["partners:view"]))
    alpha, beta = make.partner(name="Alpha Media"), make.partner(name="Beta Deals")
    a_key = issue_key(alpha, "Looker").key
    b_key = issue_key(beta, "Sheets").key
    _usage(db, a_key, 5, 30, limited=2)
    _usage(db, a_key, 65, 12, endpoint="/v1/meta/timezones")
    _usage(db, b_key, 3 * 24 * 60, 500)  # three days ago: only in the 7-day view
    day = client.get("/staff/api-activity").get_data(as_text=True)
    assert "Alpha Media" in day and "Looker" in day and ">42<" in day and ">2<" in day
    assert "Beta Deals" not in day
    week = client.get("/staff/api-activity?period=7d").get_data(as_text=True)
    assert "Beta Deals" in week and ">500<" in week
    assert week.index("Beta Deals") < week.index("Alpha Media")  # busiest first


def test_alerts_are_listed_and_acknowledged_by_key_admins(client, db, make, login_as):
    partner = make.partner(name="Gamma Traffic")
    key = issue_key(partner, "Nightly export").key
    alert = KeyAlert(api_key_id=key.id, partner_id=partner.id, kind="off_hours", detail={"hour": "03:00"})
    db.session.add(alert)
    db.session.commit()

    login_as.staff(make.staff(permissions=["partners:view", "partners:manage"]))
    page = client.get("/staff/api-activity").get_data(as_text=True)
    assert "Used outside its usual hours" in page and "Gamma Traffic" in page and "Acknowledge" not in page
    refused = client.post(f"/staff/api-activity/alerts/{alert.id}/acknowledge")
    assert refused.status_code == 403
    db.session.refresh(alert)
    assert alert.acknowledged_at is None

    client.post("/logout")
    admin = make.staff()
    login_as.staff(admin)
    assert "Acknowledge" in client.get("/staff/api-activity").get_data(as_text=True)
    assert client.post(f"/staff/api-activity/alerts/{alert.id}/acknowledge").status_code == 302
    db.session.refresh(alert)
    assert alert.acknowledged_by_id == admin.id
    assert "No open alerts." in client.get("/staff/api-activity").get_data(as_text=True)
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.action == "api_key.alert_acknowledged"))
    assert client.post("/staff/api-activity/alerts/999999/acknowledge").status_code == 404
