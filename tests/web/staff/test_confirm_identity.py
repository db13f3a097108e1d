"""Confirm your identity: a partner's payout details and API keys are shown in full only to a staff member who
confirmed who they are in this session within the window (password, and a code when two-factor is on). Without
it nothing is revealed; failures are audited and count toward the sign-in lockout; `next` stays in the console;
bad input is a 4xx."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, quote_from_bytes, urlsplit

import pytest
from sqlalchemy import func, select, update

from portal.domain.payouts import PayoutChange
from portal.models import AuditEvent, SignInSession, StaffUser
from portal.models.base import utcnow
from portal.services import identity_confirmation
from portal.services import payouts as payout_service
from portal.services.keys import issue_key
from tests.conftest import TEST_PASSWORD
from tests.two_factor import STAFF, enable, fresh_code, wrong_code

CONFIRM = "/staff/confirm-identity"
IBAN = "DE89370400440532013000"


def _audits(db, action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def _count(db, action: str) -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action))


def _post_raw(client, path: str, fields: dict[str, str]):
    """A form whose values may hold lone surrogates or NUL, percent-encoded as a browser sends their bytes."""
    body = "&".join(f"{name}={quote_from_bytes(value.encode('utf-8', 'surrogatepass'))}"
                    for name, value in fields.items())
    return client.post(path, data=body, content_type="application/x-www-form-urlencoded")


@pytest.fixture
def secrets(make, db):
    """A partner with SEPA payout details and an API key: (partner, key, its secret)."""
    partner = make.partner()
    owner = make.partner_user(partner)
    payout_service.update_payout_details(partner, owner, PayoutChange(
        method="sepa", values={"account_holder": "Maria Garcia", "iban": IBAN}, tax_form=None,
        tax_status="not_submitted", password=TEST_PASSWORD, code=None), ip=None)
    issued = issue_key(partner, "BI tool", actor=None)
    return partner, issued.key, issued.secret


def _reveal_urls(partner, key) -> dict[str, str]:
    return {"payout": f"/staff/partners/{partner.id}/payout/reveal",
            "key": f"/staff/partners/{partner.id}/api/keys/{key.id}/reveal"}


def _back_page(partner) -> dict[str, str]:
    return {"payout": f"/staff/partners/{partner.id}/payout", "key": f"/staff/partners/{partner.id}/api"}


@pytest.mark.parametrize("what", ["payout", "key"])
def test_a_reveal_without_confirmation_sends_to_the_confirmation_and_shows_nothing(client, db, admin, secrets, what):
    partner, key, secret = secrets
    response = client.post(_reveal_urls(partner, key)[what])
    assert response.status_code == 303
    location = urlsplit(response.headers["Location"])
    assert location.path == CONFIRM and parse_qs(location.query)["next"] == [_back_page(partner)[what]]
    body = response.get_data(as_text=True)
    assert secret not in body and IBAN not in body and "Maria Garcia" not in body
    assert _count(db, "api_key.revealed") == 0 and _count(db, "payout_details.revealed") == 0
    # The page it goes to asks for the password and keeps where to come back to.
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Confirm your identity" in page and 'type="password"' in page
    assert f'value="{_back_page(partner)[what]}"' in page


def test_a_script_asking_for_the_key_as_json_gets_401_with_where_to_confirm(client, db, admin, secrets):
    partner, key, secret = secrets
    response = client.post(_reveal_urls(partner, key)["key"], headers={"Accept": "application/json"})
    assert response.status_code == 401 and secret not in response.get_data(as_text=True)
    assert response.get_json()["confirm_url"] == f"{CONFIRM}?next=/staff/partners/{partner.id}/api"
    assert response.headers["Cache-Control"] == "no-store"


def test_a_wrong_password_is_refused_audited_and_counted(client, db, admin, secrets):
    partner, key, secret = secrets
    refused = client.post(CONFIRM, data={"password": "not-my-password", "next": f"/staff/partners/{partner.id}/api"})
    assert refused.status_code == 401 and b"The password is not correct." in refused.data
    [event] = _audits(db, "identity.confirmation_failed")
    assert event.actor_id == admin.id and event.detail == {"reason": "password"}
    assert db.session.get(StaffUser, admin.id, populate_existing=True).failed_logins == 1
    assert _count(db, "identity.confirmed") == 0
    response = client.post(_reveal_urls(partner, key)["key"])
    assert response.status_code == 303 and secret not in response.get_data(as_text=True)


def test_the_right_password_opens_reveals_and_goes_back_to_the_page(client, db, admin, secrets):
    partner, key, secret = secrets
    client.post(CONFIRM, data={"password": "wrong-once"})
    back = f"/staff/partners/{partner.id}/payout"
    confirmed = client.post(CONFIRM, data={"password": TEST_PASSWORD, "next": back})
    assert confirmed.status_code == 303 and confirmed.headers["Location"] == back
    [event] = _audits(db, "identity.confirmed")
    assert event.actor_id == admin.id and event.detail == {"method": "password"}
    assert db.session.get(StaffUser, admin.id, populate_existing=True).failed_logins == 0  # proved: forgotten
    shown = client.post(_reveal_urls(partner, key)["payout"])
    assert shown.status_code == 200 and IBAN in shown.get_data(as_text=True)
    revealed = client.post(_reveal_urls(partner, key)["key"], headers={"Accept": "application/json"})
    assert revealed.get_json() == {"key": secret}


def test_the_confirmation_belongs_to_this_session_only(app, client, db, make, admin, login_as, secrets):
    partner, key, secret = secrets
    other = app.test_client()  # the same staff member signed in elsewhere (or a copied sign-in)
    assert other.post("/staff/login", data={"email": admin.email, "password": TEST_PASSWORD}).status_code == 302
    login_as.confirm_identity()
    assert other.post(_reveal_urls(partner, key)["key"]).status_code == 303
    login_as.logout()
    login_as.staff(admin)  # signing in again is a new session: it confirms again
    assert client.post(_reveal_urls(partner, key)["key"]).status_code == 303


def test_the_confirmation_expires_after_the_window(client, db, admin, login_as, secrets):
    partner, key, secret = secrets
    login_as.confirm_identity()
    url = _reveal_urls(partner, key)["key"]
    assert client.post(url).status_code == 200
    window = timedelta(seconds=client.application.config["STAFF_CONFIRMATION_SECONDS"])
    assert window == timedelta(minutes=10)  # the default
    db.session.execute(update(SignInSession).values(identity_confirmed_at=utcnow() - window - timedelta(seconds=1)))
    db.session.commit()
    response = client.post(url)
    assert response.status_code == 303 and secret not in response.get_data(as_text=True)


def test_the_window_is_measured_on_the_apps_clock(client, admin, login_as, secrets, monkeypatch):
    partner, key, _ = secrets
    login_as.confirm_identity()
    url = _reveal_urls(partner, key)["payout"]
    now = utcnow()
    monkeypatch.setattr(identity_confirmation, "utcnow", lambda: now + timedelta(minutes=9, seconds=50))
    assert client.post(url).status_code == 200
    monkeypatch.setattr(identity_confirmation, "utcnow", lambda: now + timedelta(minutes=10, seconds=1))
    assert client.post(url).status_code == 303
    monkeypatch.setattr(identity_confirmation, "utcnow", lambda: now - timedelta(minutes=1))  # clock set back
    assert client.post(url).status_code == 303


def test_the_window_is_a_setting(make_app, make, secrets):
    app = make_app(STAFF_CONFIRMATION_SECONDS=60)
    partner, key, _ = secrets
    with app.app_context():
        client = app.test_client()
        client.post("/staff/login", data={"email": make.staff().email, "password": TEST_PASSWORD})
        confirmed = client.post(CONFIRM, data={"password": TEST_PASSWORD}, follow_redirects=True)
        assert b"for the next 1 minute" in confirmed.data


def test_with_two_factor_on_the_code_is_needed_too(client, db, admin, secrets):
    partner, key, secret = secrets
    two_factor_secret, codes = enable(client, db, admin, STAFF)
    page = client.get(CONFIRM).get_data(as_text=True)
    assert 'type="password"' in page and 'autocomplete="one-time-code"' in page
    no_code = client.post(CONFIRM, data={"password": TEST_PASSWORD})
    assert no_code.status_code == 400 and _count(db, "identity.confirmed") == 0
    wrong = client.post(CONFIRM, data={"password": TEST_PASSWORD, "code": wrong_code(two_factor_secret)})
    assert wrong.status_code == 401 and b"That code is not right." in wrong.data
    assert _audits(db, "identity.confirmation_failed")[-1].detail == {"reason": "code"}
    assert client.post(_reveal_urls(partner, key)["key"]).status_code == 303
    code = fresh_code(db, admin, two_factor_secret)
    assert client.post(CONFIRM, data={"password": "wrong-password", "code": code}).status_code == 401
    ok = client.post(CONFIRM, data={"password": TEST_PASSWORD, "code": fresh_code(db, admin, two_factor_secret)})
    assert ok.status_code == 303
    assert _audits(db, "identity.confirmed")[-1].detail == {"method": "password+code"}
    assert secret in client.post(_reveal_urls(partner, key)["key"]).get_data(as_text=True)


def test_a_recovery_code_works_once(client, db, admin, secrets):
    _, codes = enable(client, db, admin, STAFF)
    assert client.post(CONFIRM, data={"password": TEST_PASSWORD, "code": codes[0]}).status_code == 303
    assert client.post(CONFIRM, data={"password": TEST_PASSWORD, "code": codes[0]}).status_code == 401
    assert _count(db, "two_factor.recovery_code_used") == 1


def test_an_account_without_a_password_confirms_with_its_code(client, db, admin, secrets):
    """Single sign-on accounts may have no password: they confirm with two-factor, or cannot confirm at all."""
    partner, key, secret = secrets
    db.session.execute(update(StaffUser).where(StaffUser.id == admin.id).values(password_hash=None))
    db.session.commit()
    page = client.get(CONFIRM).get_data(as_text=True)
    assert "no password and no two-factor sign-in" in page and "<form method=\"post\" action=\"/staff/conf" not in page
    refused = client.post(CONFIRM, data={"password": TEST_PASSWORD, "code": "123456"})
    assert refused.status_code == 403 and b"Turn on" in refused.data
    assert _audits(db, "identity.confirmation_failed")[-1].detail == {"reason": "nothing_to_confirm_with"}
    assert client.post(_reveal_urls(partner, key)["key"]).status_code == 303

    two_factor_secret, _ = enable(client, db, admin, STAFF)
    page = client.get(CONFIRM).get_data(as_text=True)
    assert 'type="password"' not in page and 'autocomplete="one-time-code"' in page
    assert client.post(CONFIRM, data={"code": wrong_code(two_factor_secret)}).status_code == 401
    assert client.post(CONFIRM, data={"code": fresh_code(db, admin, two_factor_secret)}).status_code == 303
    assert _audits(db, "identity.confirmed")[-1].detail == {"method": "code"}
    assert secret in client.post(_reveal_urls(partner, key)["key"]).get_data(as_text=True)


def test_failures_lead_to_the_sign_in_lockout(app, client, db, admin, secrets):
    free = app.config["LOGIN_FREE_ATTEMPTS"]
    for _ in range(free - 1):
        assert client.post(CONFIRM, data={"password": "guess"}).status_code == 401
    paused = client.post(CONFIRM, data={"password": "guess"})
    assert paused.status_code == 429 and int(paused.headers["Retry-After"]) > 0 and b"paused" in paused.data
    # Paused: even the right password confirms nothing, and signing in elsewhere is paused as well.
    assert client.post(CONFIRM, data={"password": TEST_PASSWORD}).status_code == 429
    assert _count(db, "identity.confirmation_locked") == 1 and _count(db, "identity.confirmed") == 0
    elsewhere = app.test_client().post("/staff/login", data={"email": admin.email, "password": TEST_PASSWORD})
    assert elsewhere.status_code == 429


@pytest.mark.parametrize("target", [
    "https://evil.example/staff/", "//evil.example/staff/", "/\\evil.example", "\\\\evil.example",
    "javascript:alert(1)", "/partners", "/login", "staff/", "/staff/\r\nLocation: https://evil.example",
    "http:/staff/", "/staff" + "x" * 3000,
])
def test_next_stays_in_the_console(client, admin, target):
    page = client.get(CONFIRM, query_string={"next": target}).get_data(as_text=True)
    assert "evil" not in page and 'name="next" type="hidden" value="/staff/"' in page
    response = client.post(CONFIRM, data={"password": TEST_PASSWORD, "next": target[:2000]})
    assert response.status_code == 303 and response.headers["Location"] == "/staff/"


@pytest.mark.parametrize("fields", [
    {"password": "x" * 10_000}, {"password": "\ud800"}, {"password": TEST_PASSWORD + "\x00"},
    {"password": TEST_PASSWORD, "code": "\udfff"}, {"password": TEST_PASSWORD, "code": "1" * 5000},
    {"password": TEST_PASSWORD, "next": "/staff/" + "x" * 5000},
    {"password": TEST_PASSWORD, "next": "/staff/\x00"},
])
def test_bad_input_is_a_4xx_and_confirms_nothing(client, db, admin, fields):
    response = _post_raw(client, CONFIRM, fields)
    assert 400 <= response.status_code < 500
    assert _count(db, "identity.confirmed") == 0


@pytest.mark.parametrize("target", ["/staff/\ud800", "\udfff/evil.example", "/staff/partners\udc00"])
def test_a_lone_surrogate_in_next_never_leaves_the_console(client, db, admin, target):
    """The form's bytes are decoded with replacement characters, so the path is ordinary text by then: refused
    or kept in the console, never a server error."""
    response = _post_raw(client, CONFIRM, {"password": TEST_PASSWORD, "next": target})
    assert response.status_code in (303, 400)
    if response.status_code == 303:
        assert response.headers["Location"].startswith("/staff/")


@pytest.mark.parametrize("query", ["next=%ED%A0%80", "next=/staff/%ED%A0%80", "next=%00", "next=" + "x" * 10_000])
def test_a_bad_next_on_the_page_is_no_error(client, admin, query):
    response = client.get(f"{CONFIRM}?{query}")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"


def test_partners_and_strangers_cannot_open_it(client, make, login_as):
    assert client.get(CONFIRM).headers["Location"].startswith("/staff/login")
    login_as.partner(make.partner_user(make.partner()))
    assert client.post(CONFIRM, data={"password": TEST_PASSWORD}).headers["Location"].startswith("/staff/login")
