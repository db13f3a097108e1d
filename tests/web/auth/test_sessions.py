"""Sign-out ends the session for every copy of its cookie; sessions time out when idle or old; My Account →
Security lists the user's live sessions and signs out one or all the others, for partners and staff."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.models import Postback, SignInSession
from portal.models.base import utcnow
from tests.conftest import TEST_PASSWORD

CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36"
IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
          "Version/17.0 Mobile/15E148 Safari/604.1")


def _signed_in(app, user, *, staff: bool = False, agent: str = CHROME, ip: str = "198.51.100.7"):
    """A new browser (its own cookie jar, address and user agent) signed in as the user."""
    browser = app.test_client()
    browser.environ_base.update({"HTTP_USER_AGENT": agent, "REMOTE_ADDR": ip})
    response = browser.post("/staff/login" if staff else "/login",
                            data={"email": user.email, "password": TEST_PASSWORD})
    assert response.status_code == 302, response.status_code
    return browser


def _cookie(browser) -> str:
    return browser.get_cookie("portal_session").value


def _replay(app, browser):
    """Another client with a copy of the browser's cookie, sending its address and user agent too (so that
    Flask-Login's session protection, which compares those, cannot be what stops it)."""
    thief = app.test_client()
    thief.environ_base.update(browser.environ_base)
    thief.set_cookie("portal_session", _cookie(browser))
    return thief


def test_a_cookie_copied_before_sign_out_opens_nothing_afterwards(app, make, db):
    partner = make.partner()
    user = make.partner_user(partner)
    browser = _signed_in(app, user)
    thief = _replay(app, browser)
    assert thief.get("/account").status_code == 200  # the copy works while signed in
    assert browser.post("/logout").status_code == 302
    page = thief.get("/account")
    assert page.status_code == 302 and page.headers["Location"].startswith("/login")
    created = thief.post("/postbacks/new", data={"delivery_method": "postback", "offers": "all",
                                                 "postback_type": "conversion", "status": "active",
                                                 "url": "https://tracker.example/pb?t={transaction_id}"})
    assert created.status_code == 302 and created.headers["Location"].startswith("/login")
    assert db.session.scalars(select(Postback)).all() == []
    ended = db.session.scalars(select(SignInSession)).one()
    assert ended.ended_reason == "signed_out" and ended.ended_at is not None


def test_a_staff_cookie_copied_before_sign_out_opens_nothing_afterwards(app, make):
    admin = make.staff(permissions=["settings:manage"])
    browser = _signed_in(app, admin, staff=True)
    thief = _replay(app, browser)
    assert thief.get("/staff/settings").status_code == 200
    browser.post("/logout")
    page = thief.get("/staff/settings")
    assert page.status_code == 302 and page.headers["Location"].startswith("/staff/login")


@pytest.mark.parametrize("column", ["last_seen_at", "created_at"])
def test_an_idle_or_old_session_is_over(app, make, db, column):
    user = make.partner_user(make.partner())
    browser = _signed_in(app, user)
    record = db.session.scalars(select(SignInSession)).one()
    limit = app.config["SESSION_IDLE_TIMEOUT" if column == "last_seen_at" else "PERMANENT_SESSION_LIFETIME"]
    setattr(record, column, utcnow() - timedelta(seconds=limit - 60))
    db.session.commit()
    assert browser.get("/account").status_code == 200  # within the limit
    setattr(record, column, utcnow() - timedelta(seconds=limit + 60))
    if column == "created_at":
        record.last_seen_at = utcnow()
    db.session.commit()
    assert browser.get("/account").headers["Location"].startswith("/login")


def test_use_keeps_a_session_alive_with_at_most_one_write_a_minute(app, make, db):
    user = make.partner_user(make.partner())
    browser = _signed_in(app, user)
    record = db.session.scalars(select(SignInSession)).one()
    first_seen = record.last_seen_at
    browser.get("/account")
    db.session.refresh(record)
    assert record.last_seen_at == first_seen  # seen a moment ago: no write
    record.last_seen_at = utcnow() - timedelta(minutes=5)
    db.session.commit()
    browser.get("/account")
    db.session.refresh(record)
    assert utcnow() - record.last_seen_at < timedelta(minutes=1)


def test_the_security_page_lists_live_sessions_and_signs_out_one(app, make, db):
    partner = make.partner()
    user = make.partner_user(partner)
    laptop = _signed_in(app, user, agent=CHROME, ip="198.51.100.7")
    phone = _signed_in(app, user, agent=IPHONE, ip="203.0.113.9")
    other_user = make.partner_user(partner)
    _signed_in(app, other_user)
    page = laptop.get("/account/security").get_data(as_text=True)
    assert "Chrome 156 on Linux" in page and "Mobile Safari 17 on iOS (iPhone)" in page
    assert "198.51.100.7" in page and "203.0.113.9" in page and "This session" in page
    assert page.count("data-session-id=") == 2  # not the teammate's
    phone_row = db.session.scalar(select(SignInSession).where(SignInSession.ip == "203.0.113.9"))
    ended = laptop.post(f"/account/security/sessions/{phone_row.id}/end")
    assert ended.status_code == 302
    assert phone.get("/account").headers["Location"].startswith("/login")
    assert laptop.get("/account").status_code == 200
    assert laptop.get("/account/security").get_data(as_text=True).count("data-session-id=") == 1


def test_another_users_session_cannot_be_ended(app, make, db):
    user, stranger = make.partner_user(make.partner()), make.partner_user(make.partner())
    browser = _signed_in(app, user)
    theirs = _signed_in(app, stranger)
    their_row = db.session.scalar(select(SignInSession).where(SignInSession.user_id == stranger.id,
                                                              SignInSession.user_kind == "partner"))
    assert browser.post(f"/account/security/sessions/{their_row.id}/end").status_code == 404
    for huge in (2**31, 2**63, 10**30):
        assert browser.post(f"/account/security/sessions/{huge}/end").status_code == 404
    assert theirs.get("/account").status_code == 200


def test_sign_out_all_others_keeps_this_one(app, make):
    admin = make.staff(permissions=["settings:manage"])
    here = _signed_in(app, admin, staff=True)
    elsewhere = [_signed_in(app, admin, staff=True, ip=f"203.0.113.{n}") for n in (1, 2)]
    page = here.get("/staff/account/security").get_data(as_text=True)
    assert page.count("data-session-id=") == 3
    done = here.post("/staff/account/security/sessions/end-others", follow_redirects=True)
    assert "Signed out 2 other sessions." in done.get_data(as_text=True)
    for browser in elsewhere:
        assert browser.get("/staff/settings").headers["Location"].startswith("/staff/login")
    assert here.get("/staff/settings").status_code == 200


def test_a_password_change_ends_every_other_session(app, make, db):
    user = make.partner_user(make.partner())
    here, there = _signed_in(app, user), _signed_in(app, user)
    changed = here.post("/account", data={"current_password": TEST_PASSWORD, "new_password": "a much newer pass",
                                          "confirm_password": "a much newer pass"})
    assert changed.status_code == 302
    assert there.get("/account").headers["Location"].startswith("/login")
    assert here.get("/account").status_code == 200
    reasons = sorted(r.ended_reason or "" for r in db.session.scalars(select(SignInSession)))
    assert reasons == ["", "password_changed"]
