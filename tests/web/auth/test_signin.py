"""Sign-in, sign-out, throttling, safe redirects, CSRF, session rotation and response headers."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal import create_app
from portal.models import AuditEvent, KeyAlert
from portal.models.base import utcnow
from portal.services.keys import issue_key
from portal.services.signin import SIGN_IN_FAILED
from tests.conftest import TEST_PASSWORD, base_config


@pytest.fixture
def partner_user(make):
    return make.partner_user(make.partner(), email="owner@partner.test")


def test_partner_signs_in_and_out(client, partner_user, login_as):
    response = login_as.partner(partner_user)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert client.get("/").status_code == 200
    out = login_as.logout()
    assert out.status_code == 302 and out.headers["Location"] == "/login"
    assert client.get("/").status_code == 302


def test_staff_signs_in_to_the_console(client, make, login_as):
    staff = make.staff()
    response = login_as.staff(staff)
    assert response.headers["Location"] == "/staff/"
    assert client.get("/staff/partners").status_code == 200


def test_sign_in_is_case_insensitive_on_email(client, partner_user):
    response = client.post("/login", data={"email": "OWNER@Partner.test", "password": TEST_PASSWORD})
    assert response.status_code == 302


def test_unknown_email_and_wrong_password_get_the_same_answer(client, partner_user):
    unknown = client.post("/login", data={"email": "nobody@partner.test", "password": TEST_PASSWORD})
    wrong = client.post("/login", data={"email": partner_user.email, "password": "not-the-password"})
    assert unknown.status_code == wrong.status_code == 401
    assert SIGN_IN_FAILED.encode() in unknown.data
    # Same page apart from the email echoed back into the form.
    assert unknown.data.replace(b"nobody@partner.test", b"") == wrong.data.replace(partner_user.email.encode(), b"")


def test_each_kind_of_user_signs_in_only_at_its_own_door(client, make, partner_user):
    staff = make.staff()
    assert client.post("/staff/login", data={"email": partner_user.email, "password": TEST_PASSWORD}).status_code == 401
    assert client.post("/login", data={"email": staff.email, "password": TEST_PASSWORD}).status_code == 401


def test_failures_lock_the_account_with_a_growing_delay(app, client, db, partner_user):
    free = app.config["LOGIN_FREE_ATTEMPTS"]
    for _ in range(free):
        client.post("/login", data={"email": partner_user.email, "password": "wrong-password"})
    db.session.refresh(partner_user)
    first_lock = partner_user.locked_until - utcnow()
    assert timedelta(seconds=0) < first_lock <= timedelta(seconds=app.config["LOGIN_LOCKOUT_BASE_SECONDS"])

    # While locked, even the right password is refused, and the answer says sign-in is paused.
    locked = client.post("/login", data={"email": partner_user.email, "password": TEST_PASSWORD})
    assert locked.status_code == 429 and b"Sign-in for this account is paused for" in locked.data
    assert client.get("/").status_code == 302

    # After the lock runs out, one more failure locks for twice as long.
    partner_user.locked_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    client.post("/login", data={"email": partner_user.email, "password": "wrong-password"})
    db.session.refresh(partner_user)
    second_lock = partner_user.locked_until - utcnow()
    assert second_lock > first_lock + timedelta(seconds=app.config["LOGIN_LOCKOUT_BASE_SECONDS"] // 2)

    # Once the lock runs out, the right password works and clears the counter.
    partner_user.locked_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert client.post("/login", data={"email": partner_user.email, "password": TEST_PASSWORD}).status_code == 302
    db.session.refresh(partner_user)
    assert partner_user.failed_logins == 0 and partner_user.locked_until is None


def test_failed_and_successful_sign_ins_are_audited(client, db, partner_user):
    client.post("/login", data={"email": "Nobody@Partner.test", "password": "whatever-it-is"})
    client.post("/login", data={"email": partner_user.email, "password": "wrong-password"})
    client.post("/login", data={"email": partner_user.email, "password": TEST_PASSWORD})
    events = db.session.execute(
        select(AuditEvent.action, AuditEvent.actor_id, AuditEvent.detail)
        .where(AuditEvent.action.like("signin.%")).order_by(AuditEvent.id)).all()
    assert [e.action for e in events] == ["signin.failed", "signin.failed", "signin.succeeded"]
    # An unknown email is recorded too (same work as a known one), with what was typed.
    assert events[0].actor_id is None and events[0].detail == {"email": "Nobody@Partner.test"}
    assert events[1].actor_id == partner_user.id


def test_old_failures_are_forgotten(app, client, db, partner_user):
    """A typo now and then does not add up to a lockout: a day without failures clears the count."""
    free = app.config["LOGIN_FREE_ATTEMPTS"]
    for _ in range(free - 1):
        client.post("/login", data={"email": partner_user.email, "password": "wrong-password"})
    db.session.refresh(partner_user)
    assert partner_user.failed_logins == free - 1 and partner_user.locked_until is None
    partner_user.last_failed_login_at = utcnow() - timedelta(days=2)
    db.session.commit()
    client.post("/login", data={"email": partner_user.email, "password": "wrong-password"})
    db.session.refresh(partner_user)
    assert partner_user.failed_logins == 1 and partner_user.locked_until is None


@pytest.mark.parametrize("status", ["suspended", "inactive"])
def test_a_suspended_partners_users_are_signed_out_and_kept_out(client, db, partner_user, login_as, status):
    login_as.partner(partner_user)
    assert client.get("/").status_code == 200
    partner_user.partner.status = status
    db.session.commit()
    assert client.get("/").status_code == 302  # the running session ends
    response = client.post("/login", data={"email": partner_user.email, "password": TEST_PASSWORD})
    assert response.status_code == 401 and SIGN_IN_FAILED.encode() in response.data


def test_a_pending_partner_in_onboarding_may_sign_in(client, db, partner_user):
    partner_user.partner.status = "pending"
    partner_user.partner.onboarding = "onboarding"
    db.session.commit()
    assert client.post("/login", data={"email": partner_user.email, "password": TEST_PASSWORD}).status_code == 302


def test_inactive_users_cannot_sign_in(client, db, partner_user):
    partner_user.active = False
    db.session.commit()
    assert client.post("/login", data={"email": partner_user.email, "password": TEST_PASSWORD}).status_code == 401


@pytest.mark.parametrize(
    ("next_value", "expected"),
    [
        ("/reports?from=2026-11-01", "/reports?from=2026-11-01"),
        ("/account/api", "/account/api"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("\\\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("http:/evil.example", "/"),
        ("/%0d%0aSet-Cookie:x=1", "/%0d%0aSet-Cookie:x=1"),
        ("/staff/partners", "/staff/partners"),
    ],
)
def test_partner_post_login_redirect_goes_only_to_our_own_paths(client, partner_user, next_value, expected):
    response = client.post("/login", data={"email": partner_user.email, "password": TEST_PASSWORD, "next": next_value})
    assert response.status_code == 302
    assert response.headers["Location"] == expected


@pytest.mark.parametrize(("next_value", "expected"), [
    ("/staff/settings", "/staff/settings"), ("/reports", "/staff/"), ("//evil.example/staff", "/staff/"),
])
def test_staff_post_login_redirect_stays_in_the_console(client, make, next_value, expected):
    staff = make.staff()
    response = client.post("/staff/login", data={"email": staff.email, "password": TEST_PASSWORD, "next": next_value})
    assert response.headers["Location"] == expected


def test_the_sign_in_page_keeps_the_page_asked_for(client):
    response = client.get("/reports")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/reports"
    page = client.get("/login?next=/reports")
    assert b'value="/reports"' in page.data


@pytest.fixture
def csrf_client(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        yield app.test_client()


def _form_posts():
    """Every rule of the browser-facing blueprints that accepts a state-changing method."""
    app = create_app(base_config())
    rules = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] in ("auth", "partner", "staff") and rule.methods & {"POST", "PUT", "PATCH", "DELETE"}:
            rules.append(rule.rule)
    return sorted(set(rules))


FORM_POSTS = _form_posts()


def test_the_form_list_covers_the_known_forms():
    assert {"/login", "/staff/login", "/logout", "/account", "/staff/account", "/staff/settings",
            "/staff/partners/<int:partner_id>/api/keys/new"} <= set(FORM_POSTS)


@pytest.mark.parametrize("rule", FORM_POSTS)
def test_every_form_needs_a_csrf_token(csrf_client, make, db, rule):
    """Signed in as an admin (so the guards let the request through), a POST without a token is refused."""
    admin = make.staff()
    partner = make.partner()
    user = make.partner_user(partner)
    key = issue_key(partner, "CSRF probe").key
    alert = KeyAlert(api_key_id=key.id, partner_id=partner.id, kind="new_endpoint", detail={})
    db.session.add(alert)
    db.session.commit()
    path = (rule.replace("<int:partner_id>", str(partner.id)).replace("<int:key_id>", str(key.id))
            .replace("<int:alert_id>", str(alert.id)).replace("<int:postback_id>", "1").replace("<int:delivery_id>", "1")
            .replace("<int:pair_id>", "1").replace("<int:eflow_key_id>", "1").replace("<int:session_id>", "1")
            .replace("<int:invitation_id>", "1")
            .replace("<int:user_id>", "1").replace("<token>", "A" * 43))
    # Upload views look their offer up before their form checks the token; elsewhere the token comes first.
    path = path.replace("<int:offer_id>", str(make.offer().id))
    for variable in ("url_id", "creative_id", "coupon_id", "feed_id", "access_id", "notice_id", "control_id",
                     "invoice_id"):
        path = path.replace(f"<int:{variable}>", "1")
    assert "<" not in path, f"no sample value for a variable of {rule}"
    if rule.startswith("/staff/") and rule != "/staff/login":
        # Signed in for real: upload views are exempt from the app-wide check and their forms check the
        # token, so the request has to reach the view (past the staff guard) to be refused there.
        page = csrf_client.get("/staff/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        signed_in = csrf_client.post("/staff/login", data={"email": admin.email, "password": TEST_PASSWORD,
                                                           "csrf_token": token})
        assert signed_in.status_code == 302 and "/login" not in signed_in.headers["Location"]
    else:
        with csrf_client.session_transaction() as session:
            session["_user_id"] = (user if rule == "/account" else admin).get_id()
            session["_fresh"] = True
    before = db.session.scalar(select(func.count()).select_from(AuditEvent))
    response = csrf_client.post(path, data={"email": "a@b.test", "password": "x", "label": "Sneaky"})
    assert response.status_code == 400
    assert b"form expired" in response.data or b"CSRF" in response.data
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == before


def test_sign_in_works_with_the_csrf_token_from_the_form(csrf_client, make):
    user = make.partner_user(make.partner())
    page = csrf_client.get("/login").data.decode()
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = csrf_client.post("/login", data={"email": user.email, "password": TEST_PASSWORD, "csrf_token": token})
    assert response.status_code == 302


def test_a_password_change_ends_the_users_other_sessions(app, make, db):
    user = make.partner_user(make.partner())
    laptop, phone = app.test_client(), app.test_client()
    for c in (laptop, phone):
        assert c.post("/login", data={"email": user.email, "password": TEST_PASSWORD}).status_code == 302
    changed = laptop.post("/account", data={"current_password": TEST_PASSWORD, "new_password": "a-brand-new-secret",
                                             "confirm_password": "a-brand-new-secret"})
    assert changed.status_code == 302
    assert laptop.get("/").status_code == 200  # this session carries on
    assert phone.get("/").status_code == 302  # the other one is over
    assert phone.post("/login", data={"email": user.email, "password": TEST_PASSWORD}).status_code == 401
    assert phone.post("/login", data={"email": user.email, "password": "a-brand-new-secret"}).status_code == 302
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "password.changed")) == 1


@pytest.mark.parametrize(("current", "new", "confirm", "message"), [
    ("wrong-password", "a-brand-new-secret", "a-brand-new-secret", b"current password is not correct"),
    (TEST_PASSWORD, "short", "short", b"at least 10 characters"),
    (TEST_PASSWORD, "a-brand-new-secret", "another-new-secret", b"confirmation differ"),
])
def test_a_refused_password_change_says_why_and_changes_nothing(client, make, db, login_as, current, new, confirm, message):
    user = make.partner_user(make.partner())
    login_as.partner(user)
    before = user.password_hash
    response = client.post("/account", data={"current_password": current, "new_password": new, "confirm_password": confirm})
    assert response.status_code == 400 and message in response.data
    db.session.refresh(user)
    assert user.password_hash == before


def test_staff_password_change_ends_other_staff_sessions(app, make):
    staff = make.staff()
    a, b = app.test_client(), app.test_client()
    for c in (a, b):
        c.post("/staff/login", data={"email": staff.email, "password": TEST_PASSWORD})
    a.post("/staff/account", data={"current_password": TEST_PASSWORD, "new_password": "another-long-secret",
                                    "confirm_password": "another-long-secret"})
    assert a.get("/staff/partners").status_code == 200
    assert b.get("/staff/partners").status_code == 302


def test_session_cookie_flags(make_app, make):
    app = make_app()
    with app.app_context():
        user = make.partner_user(make.partner())
        response = app.test_client().post("/login", data={"email": user.email, "password": TEST_PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_production_session_cookie_is_secure(make_app, make):
    app = make_app(ENV_NAME="production")
    with app.app_context():
        user = make.partner_user(make.partner())
        response = app.test_client().post("/login", data={"email": user.email, "password": TEST_PASSWORD},
                                          base_url="https://portal.example")
    assert "Secure" in response.headers["Set-Cookie"]


@pytest.mark.parametrize("path", ["/login", "/staff/login", "/docs", "/", "/nowhere"])
def test_every_response_forbids_framing_and_limits_sources(client, path):
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
