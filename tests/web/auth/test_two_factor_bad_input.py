"""Whatever is typed into a code field (huge numbers, NUL, lone surrogates, pages of text) the answer is a
4xx, never a 500, and nothing is signed in, turned on or turned off."""

from __future__ import annotations

from urllib.parse import quote_from_bytes

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from portal.extensions import db as _db
from portal.models import RecoveryCode, SignInSession, TwoFactorSecret
from tests.conftest import TEST_PASSWORD
from tests.two_factor import PARTNER, STAFF, enable

BAD_CODES = st.one_of(
    st.integers(min_value=2**63, max_value=2**200).map(str),
    st.integers(min_value=-(2**200), max_value=-(2**63)).map(str),
    st.text(max_size=30).map(lambda text: text + "\ud800"),
    st.text(max_size=30).map(lambda text: "\udfff" + text),
    st.text(max_size=30).map(lambda text: text[:3] + "\x00" + text[3:]),
    st.text(min_size=65, max_size=3000),
    st.text(max_size=80),
    st.just(""),
)
FUZZ = settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])


def post_raw(client, path: str, fields: dict[str, str]):
    """Post a form whose values may hold lone surrogates, percent-encoded as a browser would send their bytes."""
    body = "&".join(f"{name}={quote_from_bytes(value.encode('utf-8', 'surrogatepass'))}"
                    for name, value in fields.items())
    return client.post(path, data=body, content_type="application/x-www-form-urlencoded")


@pytest.fixture
def app(make_app):
    app = make_app(LOGIN_FREE_ATTEMPTS=10**6)  # every example reaches the code check, none meets a pause
    with app.app_context():
        yield app
        _db.session.remove()


def _open_sessions(db) -> int:
    return db.session.scalar(select(func.count()).select_from(SignInSession).where(SignInSession.ended_at.is_(None)))


@pytest.mark.parametrize("door", [PARTNER, STAFF], ids=lambda d: d.kind)
@FUZZ
@given(code=BAD_CODES)
def test_any_code_at_the_second_step_is_a_4xx_and_signs_nobody_in(app, db, make, door, code):
    client = app.test_client()
    user = make.partner_user(make.partner()) if door.kind == "partner" else make.staff()
    client.post(door.login, data={"email": user.email, "password": TEST_PASSWORD})
    enable(client, db, user, door)
    client.post("/logout")
    client.post(door.login, data={"email": user.email, "password": TEST_PASSWORD})
    response = post_raw(client, door.second_step, {"code": code})
    assert 400 <= response.status_code < 500, response.status_code
    assert _open_sessions(db) == 0
    assert db.session.scalar(select(func.count()).select_from(RecoveryCode).where(RecoveryCode.used_at.is_not(None))) == 0


@FUZZ
@given(code=BAD_CODES, password=st.one_of(st.just(TEST_PASSWORD), BAD_CODES))
def test_any_code_in_the_setup_forms_is_a_4xx_and_changes_nothing(app, db, make, code, password):
    client = app.test_client()
    user = make.partner_user(make.partner())
    client.post("/login", data={"email": user.email, "password": TEST_PASSWORD})
    client.post(PARTNER.url("/start"))
    assert 400 <= post_raw(client, PARTNER.url("/confirm"), {"code": code}).status_code < 500
    assert db.session.scalar(select(TwoFactorSecret.confirmed_at).where(TwoFactorSecret.user_id == user.id)) is None
    enable(client, db, user, PARTNER)
    hashes = set(db.session.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user.id)))
    assert 400 <= post_raw(client, PARTNER.url("/disable"), {"password": password, "code": code}).status_code < 500
    assert 400 <= post_raw(client, PARTNER.url("/recovery-codes"), {"password": code, "code": code}).status_code < 500
    assert db.session.scalar(select(TwoFactorSecret.confirmed_at).where(TwoFactorSecret.user_id == user.id))
    assert set(db.session.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user.id))) == hashes


@FUZZ
@given(email=BAD_CODES, password=BAD_CODES)
def test_any_address_and_password_at_the_password_step_is_a_4xx(app, db, email, password):
    client = app.test_client()
    for door in ("/login", "/staff/login"):
        response = post_raw(client, door, {"email": email, "password": password})
        assert 400 <= response.status_code < 500, response.status_code
    assert _open_sessions(db) == 0
