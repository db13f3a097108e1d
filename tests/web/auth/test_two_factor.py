"""Two-factor sign-in end to end through the real pages, for partner users and staff: turning it on (a wrong
first code refused), signing in with a code from a real TOTP generator, wrong and replayed codes refused,
recovery codes good once, new recovery codes, turning it off; the pending step bound server-side."""

from __future__ import annotations

import re

import pytest
from flask import g
from sqlalchemy import func, select

from portal.models import AuditEvent, PendingSignIn, RecoveryCode, SignInSession, TwoFactorSecret
from portal.models.base import utcnow
from portal.services.pending_sign_in import CODE_FAILED
from tests.conftest import TEST_PASSWORD
from tests.two_factor import DOORS, PARTNER, STAFF, codes_from, enable, fresh_code, secret_from, wrong_code


def _user(make, door):
    return make.partner_user(make.partner()) if door.kind == "partner" else make.staff()


def _password_step(client, user, door, **extra):
    return client.post(door.login + extra.pop("query", ""), data={"email": user.email, "password": TEST_PASSWORD,
                                                                  **extra})


def _actions(db, user) -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).where(AuditEvent.actor_type == user.session_kind,
                                                                   AuditEvent.actor_id == user.id,
                                                                   AuditEvent.action.like("two_factor.%"))
                                   .order_by(AuditEvent.id)))


@pytest.mark.parametrize("door", DOORS, ids=lambda d: d.kind)
def test_two_factor_from_setup_to_sign_in_to_turning_it_off(client, db, make, door):
    user = _user(make, door)
    assert _password_step(client, user, door).status_code == 302
    security = client.get(door.security).get_data(as_text=True)
    assert "Two-factor sign-in" in security and "<strong>Off.</strong>" in security

    # Setup: the QR code (an SVG drawn here) and the key as text, on a page no cache keeps.
    assert client.post(door.url("/start")).headers["Location"] == door.url("")
    setup = client.get(door.url(""))
    assert setup.status_code == 200 and setup.headers["Cache-Control"] == "no-store"
    page = setup.get_data(as_text=True)
    assert 'src="data:image/svg+xml' in page
    secret = secret_from(page)

    # A wrong first code leaves two-factor off; the right one turns it on and shows ten recovery codes once.
    refused = client.post(door.url("/confirm"), data={"code": wrong_code(secret)})
    assert refused.status_code == 400 and b"That code is not right" in refused.data
    assert db.session.scalar(select(TwoFactorSecret.confirmed_at)) is None
    shown = client.post(door.url("/confirm"), data={"code": fresh_code(db, user, secret)})
    assert shown.status_code == 200 and shown.headers["Cache-Control"] == "no-store"
    codes = codes_from(shown.get_data(as_text=True))
    assert len(codes) == len(set(codes)) == 10
    assert b'download="recovery-codes.txt"' in shown.data
    assert b"<strong>On.</strong>" in client.get(door.security).data
    assert _actions(db, user) == ["two_factor.enabled"]

    # Signing in now takes two steps; the password alone starts no session.
    client.post("/logout")
    step = _password_step(client, user, door)
    assert step.status_code == 302 and step.headers["Location"] == door.second_step
    assert client.get(door.security).status_code == 302
    assert b"Enter the 6-digit code from your app, or a recovery code." in client.get(door.second_step).data

    wrong = client.post(door.second_step, data={"code": wrong_code(secret)})
    assert wrong.status_code == 401 and CODE_FAILED.encode() in wrong.data
    db.session.refresh(user)
    assert user.failed_logins == 1  # a wrong code counts like a wrong password
    code = fresh_code(db, user, secret)
    done = client.post(door.second_step, data={"code": code[:3] + " " + code[3:]})  # as some apps show it
    assert done.status_code == 302 and done.headers["Location"] == door.home
    assert client.get(door.security).status_code == 200
    db.session.refresh(user)
    assert user.failed_logins == 0
    assert db.session.scalars(select(SignInSession.method).where(SignInSession.ended_at.is_(None))).all() == \
        ["two_factor"]

    # The same code again, in its own window: refused.
    client.post("/logout")
    _password_step(client, user, door)
    replay = client.post(door.second_step, data={"code": code})
    assert replay.status_code == 401 and CODE_FAILED.encode() in replay.data

    # A recovery code works once (typed in capitals, without hyphens), and is recorded.
    used = client.post(door.second_step, data={"code": codes[0].replace("-", "").upper()})
    assert used.status_code == 302 and client.get(door.security).status_code == 200
    assert b"9 unused recovery codes left" in client.get(door.security).data
    client.post("/logout")
    _password_step(client, user, door)
    assert client.post(door.second_step, data={"code": codes[0]}).status_code == 401
    assert client.post(door.second_step, data={"code": codes[1]}).status_code == 302
    used_event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "two_factor.recovery_code_used")
                                    .order_by(AuditEvent.id)).all()
    assert [event.detail for event in used_event] == [{"left": 9}, {"left": 8}]

    # Turning it off needs the password and a code.
    no_password = client.post(door.url("/disable"), data={"password": "not-the-password",
                                                          "code": fresh_code(db, user, secret)})
    assert no_password.status_code == 400 and b"The password is not correct." in no_password.data
    no_code = client.post(door.url("/disable"), data={"password": TEST_PASSWORD, "code": wrong_code(secret)})
    assert no_code.status_code == 400 and b"That code is not right" in no_code.data
    assert client.post(door.url("/disable"), data={"password": TEST_PASSWORD}).status_code == 400
    off = client.post(door.url("/disable"), data={"password": TEST_PASSWORD, "code": fresh_code(db, user, secret)})
    assert off.status_code == 302 and off.headers["Location"] == door.security
    assert db.session.scalar(select(func.count()).select_from(TwoFactorSecret)) == 0
    assert db.session.scalar(select(func.count()).select_from(RecoveryCode)) == 0
    assert _actions(db, user) == ["two_factor.enabled", "two_factor.recovery_code_used",
                                  "two_factor.recovery_code_used", "two_factor.disabled"]
    client.post("/logout")
    assert _password_step(client, user, door).headers["Location"] == door.home  # one step again


@pytest.mark.parametrize("door", DOORS, ids=lambda d: d.kind)
def test_new_recovery_codes_replace_the_old_ones(client, db, make, door):
    user = _user(make, door)
    _password_step(client, user, door)
    secret, old = enable(client, db, user, door)
    # The password alone (a session left open somewhere, a phished password) mints no second factor.
    by_password = client.post(door.url("/recovery-codes"), data={"password": TEST_PASSWORD})
    assert by_password.status_code == 400
    refused = client.post(door.url("/recovery-codes"), data={"code": "000000"})
    assert refused.status_code == 400 and b"Confirm with a current code from your app" in refused.data
    assert client.post(door.url("/recovery-codes"), data={}).status_code == 400
    by_code = client.post(door.url("/recovery-codes"), data={"code": fresh_code(db, user, secret)})
    assert by_code.status_code == 200 and by_code.headers["Cache-Control"] == "no-store"
    new = codes_from(by_code.get_data(as_text=True))
    assert len(new) == 10 and not set(new) & set(old)
    assert _actions(db, user) == ["two_factor.enabled", "two_factor.recovery_codes_regenerated"]
    client.post("/logout")
    _password_step(client, user, door)
    assert client.post(door.second_step, data={"code": old[0]}).status_code == 401
    assert client.post(door.second_step, data={"code": new[0]}).status_code == 302


def test_the_page_after_sign_in_is_the_one_asked_for(client, db, make):
    user = make.partner_user(make.partner())
    _password_step(client, user, PARTNER)
    secret, _ = enable(client, db, user, PARTNER)
    client.post("/logout")
    _password_step(client, user, PARTNER, next="/reports")
    assert client.post(PARTNER.second_step, data={"code": fresh_code(db, user, secret)}).headers["Location"] == \
        "/reports"
    client.post("/logout")
    _password_step(client, user, PARTNER, next="https://evil.example/")
    assert client.post(PARTNER.second_step, data={"code": fresh_code(db, user, secret)}).headers["Location"] == "/"


def test_the_pending_step_is_held_server_side_used_once_and_short_lived(app, client, db, make):
    user = make.partner_user(make.partner())
    _password_step(client, user, PARTNER)
    secret, codes = enable(client, db, user, PARTNER)
    client.post("/logout")
    _password_step(client, user, PARTNER)
    copy = app.test_client()
    copy.set_cookie("portal_session", client.get_cookie("portal_session").value)
    assert client.post(PARTNER.second_step, data={"code": codes[0]}).status_code == 302

    # A copy of the cookie from before the code was given opens nothing: the pending row has ended.
    again = copy.post(PARTNER.second_step, data={"code": codes[1]})
    assert again.status_code == 302 and again.headers["Location"] == "/login"
    assert copy.get("/").status_code == 302

    # Past its deadline, the step is gone even with a good code.
    client.post("/logout")
    _password_step(client, user, PARTNER)
    pending = db.session.scalars(select(PendingSignIn).where(PendingSignIn.ended_at.is_(None))).one()
    pending.expires_at = utcnow()
    db.session.commit()
    late = client.post(PARTNER.second_step, data={"code": codes[1]})
    assert late.status_code == 302 and late.headers["Location"] == "/login"
    assert b"Your sign-in timed out" in client.get("/login").data
    assert client.get("/").status_code == 302
    assert db.session.scalar(select(func.count()).select_from(RecoveryCode).where(RecoveryCode.used_at.is_not(None))) == 1


def test_a_pending_step_opens_only_its_own_door(client, db, make):
    user = make.partner_user(make.partner())
    _password_step(client, user, PARTNER)
    _, codes = enable(client, db, user, PARTNER)
    client.post("/logout")
    _password_step(client, user, PARTNER)
    wrong_door = client.post(STAFF.second_step, data={"code": codes[0]})
    assert wrong_door.status_code == 302 and wrong_door.headers["Location"] == "/staff/login"
    assert client.get("/staff/partners").status_code == 302
    assert db.session.scalar(select(func.count()).select_from(RecoveryCode).where(RecoveryCode.used_at.is_not(None))) == 0


def test_without_a_pending_sign_in_the_second_step_sends_people_to_sign_in(client):
    assert client.get("/login/two-factor").headers["Location"] == "/login"
    assert client.post("/staff/login/two-factor", data={"code": "123456"}).headers["Location"] == "/staff/login"


def test_a_partner_user_changes_only_their_own_two_factor(app, client, db, make):
    """Partner A's session cannot see or turn off partner B's two-factor, whatever it sends."""
    a_user = make.partner_user(make.partner())
    b_user = make.partner_user(make.partner())
    b_client = app.test_client()
    _password_step(b_client, b_user, PARTNER)
    b_secret, b_codes = enable(b_client, db, b_user, PARTNER)

    _password_step(client, a_user, PARTNER)
    assert b_secret not in client.get(PARTNER.url("")).get_data(as_text=True)
    assert b"<strong>Off.</strong>" in client.get(PARTNER.security).data
    # B's password and B's code, with B's ids thrown in, from A's session: nothing of B's changes.
    for data in ({"password": TEST_PASSWORD, "code": b_codes[0], "user_id": b_user.id, "partner_id": b_user.partner_id},
                 {"password": TEST_PASSWORD, "code": fresh_code(db, b_user, b_secret), "user_id": b_user.id}):
        assert client.post(PARTNER.url("/disable"), data=data).status_code == 400
        assert client.post(PARTNER.url("/recovery-codes"), data=data).status_code == 400
    rows = db.session.scalars(select(TwoFactorSecret)).all()
    assert [(row.user_id, row.confirmed_at is not None) for row in rows] == [(b_user.id, True)]
    assert db.session.scalar(select(func.count()).select_from(RecoveryCode)
                             .where(RecoveryCode.user_id == b_user.id, RecoveryCode.used_at.is_(None))) == 10
    client.post("/logout")
    _password_step(client, b_user, PARTNER)
    assert client.post(PARTNER.second_step, data={"code": b_codes[0]}).status_code == 302


def test_a_staff_member_and_a_partner_user_with_the_same_id_keep_separate_secrets(client, db, make):
    partner_user = make.partner_user(make.partner())
    staff = make.staff()
    _password_step(client, partner_user, PARTNER)
    enable(client, db, partner_user, PARTNER)
    client.post("/logout")
    _password_step(client, staff, STAFF)
    assert b"<strong>Off.</strong>" in client.get(STAFF.security).data
    assert client.post(STAFF.url("/disable"), data={"password": TEST_PASSWORD, "code": "123456"}).status_code == 400
    assert db.session.scalar(select(func.count()).select_from(TwoFactorSecret)) == 1


def test_starting_again_replaces_an_unconfirmed_key_and_an_enabled_one_stays(client, db, make):
    user = make.partner_user(make.partner())
    _password_step(client, user, PARTNER)
    client.post(PARTNER.url("/start"))
    first = secret_from(client.get(PARTNER.url("")).get_data(as_text=True))
    client.post(PARTNER.url("/start"))
    second = secret_from(client.get(PARTNER.url("")).get_data(as_text=True))
    assert first != second
    assert client.post(PARTNER.url("/confirm"), data={"code": fresh_code(db, user, first)}).status_code == 400
    assert client.post(PARTNER.url("/confirm"), data={"code": fresh_code(db, user, second)}).status_code == 200
    # Once on, "start" changes nothing and the setup page leads back to Security.
    assert client.post(PARTNER.url("/start")).headers["Location"] == PARTNER.security
    assert client.get(PARTNER.url("")).headers["Location"] == PARTNER.security
    assert client.post(PARTNER.url("/confirm"), data={"code": "123456"}).status_code == 302


def test_every_two_factor_form_works_with_the_csrf_token_it_carries(make_app, make, db):
    """With CSRF protection on, as in production: each page's own token is enough, from setup to sign-in."""
    app = make_app(WTF_CSRF_ENABLED=True)
    # The test keeps one app context (and so one `g`) across requests; a real server starts each request with a
    # fresh one, so Flask-WTF's token cached in `g` must not outlive the sign-in that renews the session.
    app.teardown_request(lambda exc: g.pop("csrf_token", None))
    with app.app_context():
        client = app.test_client()
        user = make.partner_user(make.partner())

        def post(page_path: str, form_id: str, path: str, **data):
            page = client.get(page_path).get_data(as_text=True)
            form = page[page.index(form_id):] if form_id else page
            token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
            return client.post(path, data={**data, "csrf_token": token})

        assert post("/login", "", "/login", email=user.email, password=TEST_PASSWORD).status_code == 302
        assert post(PARTNER.security, 'id="two-factor"', PARTNER.url("/start")).status_code == 302
        secret = secret_from(client.get(PARTNER.url("")).get_data(as_text=True))
        shown = post(PARTNER.url(""), "<form", PARTNER.url("/confirm"), code=fresh_code(db, user, secret))
        assert shown.status_code == 200 and len(codes_from(shown.get_data(as_text=True))) == 10
        new = post(PARTNER.security, 'id="regenerate-codes"', PARTNER.url("/recovery-codes"),
                   code=fresh_code(db, user, secret))
        assert new.status_code == 200
        recovery = codes_from(new.get_data(as_text=True))[0]
        assert post(PARTNER.security, "<header", "/logout").status_code == 302
        assert post("/login", "", "/login", email=user.email, password=TEST_PASSWORD).status_code == 302
        # A recovery code here: the window holds three app codes, and three are spent in this walk.
        signed_in = post(PARTNER.second_step, "", PARTNER.second_step, code=recovery)
        assert signed_in.status_code == 302 and client.get("/").status_code == 200
        off = post(PARTNER.security, 'id="disable-two-factor"', PARTNER.url("/disable"), password=TEST_PASSWORD,
                   code=fresh_code(db, user, secret))
        assert off.status_code == 302


@pytest.mark.parametrize("door", DOORS, ids=lambda d: d.kind)
def test_no_session_opened_with_the_password_alone_outlives_turning_two_factor_on(app, client, db, make, door):
    """Another browser signed in with the password (a leftover session, or someone who has the password) is
    signed out when the setup starts, never sees the secret being set up, and is signed out again when
    two-factor goes on; the browser that turned it on stays, proved with both factors."""
    user = _user(make, door)
    other = app.test_client()
    assert _password_step(client, user, door).status_code == 302
    assert _password_step(other, user, door).status_code == 302
    assert client.post(door.url("/start")).status_code == 302
    assert other.get(door.security).status_code == 302  # ended: back to the sign-in page
    secret = secret_from(client.get(door.url("")).get_data(as_text=True))

    assert _password_step(other, user, door).status_code == 302  # signs in again while the setup is open
    assert secret not in other.get(door.url("")).get_data(as_text=True)
    assert secret not in other.get(door.security).get_data(as_text=True)

    page = client.post(door.url("/confirm"), data={"code": fresh_code(db, user, secret)})
    assert page.status_code == 200 and len(codes_from(page.get_data(as_text=True))) == 10
    assert other.get(door.security).status_code == 302
    assert client.get(door.security).status_code == 200
    methods = db.session.scalars(select(SignInSession.method).where(SignInSession.user_kind == user.session_kind,
                                                                    SignInSession.user_id == user.id,
                                                                    SignInSession.ended_at.is_(None))).all()
    assert methods == ["two_factor"]
