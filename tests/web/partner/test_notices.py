"""Notices about the company's offers (staff decisions): unread ones at the top of the partner's pages, Mark
read for one or all, for the whole company; another partner's notice is a 404 and stays unread."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.models import AuditEvent, PartnerNotice
from portal.models.base import utcnow


@pytest.fixture
def partner(make):
    return make.partner()


def notice(db, partner, title, minutes_ago=0, **fields):
    row = PartnerNotice(partner_id=partner.id, kind=fields.pop("kind", "offer_approved"), title=title,
                        created_at=utcnow() - timedelta(minutes=minutes_ago), **fields)
    db.session.add(row)
    db.session.commit()
    return row


def read_at(db, row):
    db.session.expire_all()
    return db.session.get(PartnerNotice, row.id).read_at


@pytest.mark.parametrize("role", ["admin", "reports", "postbacks_reports"])
def test_unread_notices_show_on_the_dashboard_and_other_pages(client, db, make, login_as, partner, role):
    offer = make.offer(name="Bluebird VPN")
    notice(db, partner, "Approved: Bluebird VPN", offer_id=offer.id, body="Start sending traffic.")
    login_as.partner(make.partner_user(partner, role=role))
    for path in ("/", "/reports", "/offers"):
        page = client.get(path).get_data(as_text=True)
        assert 'id="notices"' in page and "Approved: Bluebird VPN" in page and "Start sending traffic." in page
        assert f'href="/offers/{offer.id}"' in page


def test_no_notices_no_box(client, make, login_as, partner):
    login_as.partner(make.partner_user(partner))
    assert 'id="notices"' not in client.get("/").get_data(as_text=True)


def test_mark_one_read_for_the_whole_company(client, db, make, login_as, partner):
    first, second = notice(db, partner, "Approved: A", 2), notice(db, partner, "Rejected: B", 1)
    login_as.partner(make.partner_user(partner))
    response = client.post(f"/notices/{first.id}/read", data={"next": "/offers?tab=all"})
    assert response.status_code == 302 and response.headers["Location"] == "/offers?tab=all"
    assert read_at(db, first) is not None and read_at(db, second) is None
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "notice.read")) is not None
    login_as.partner(make.partner_user(partner, role="reports"))  # a teammate no longer sees it either
    page = client.get("/").get_data(as_text=True)
    assert "Approved: A" not in page and "Rejected: B" in page


def test_mark_all_read(client, db, make, login_as, partner):
    rows = [notice(db, partner, f"Notice {n}", n) for n in range(7)]
    login_as.partner(make.partner_user(partner))
    page = client.get("/").get_data(as_text=True)
    assert "7 unread" in page and page.count("data-notice-id=") == 5  # the newest five, all counted
    assert client.post("/notices/read", data={"next": "https://evil.example/"}).headers["Location"] == "/"
    assert all(read_at(db, row) is not None for row in rows)
    assert 'id="notices"' not in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("which", ["others", "unknown", "huge"])
def test_another_partners_notice_is_a_404_and_stays_unread(client, db, make, login_as, partner, which):
    others = notice(db, make.partner(), "Theirs")
    login_as.partner(make.partner_user(partner))
    notice_id = {"others": others.id, "unknown": others.id + 1000, "huge": 2**63}[which]
    assert client.post(f"/notices/{notice_id}/read").status_code == 404
    assert client.post("/notices/read").status_code == 302
    assert read_at(db, others) is None
