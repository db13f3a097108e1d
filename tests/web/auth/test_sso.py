"""Staff single sign-on (OIDC) against a real, local OpenID provider (oidc-provider-mock on 127.0.0.1).

The Flask test client is the browser towards the portal; `requests` is the browser towards the provider,
whose authorization form takes a subject (`sub`) whose claims we set beforehand (PUT /users/<sub>).
The portal itself discovers the provider and exchanges the code at its token endpoint over real HTTP.
In this module `app` (and so `client`, `make`) is an app with single sign-on configured.
"""

from __future__ import annotations

import secrets
import socket
import warnings
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from authlib.deprecate import AuthlibDeprecationWarning

from portal.extensions import db as _db
from portal.models import StaffUser

with warnings.catch_warnings():  # the mock imports authlib.jose, deprecated since Authlib 1.7
    warnings.simplefilter("ignore", AuthlibDeprecationWarning)
    import oidc_provider_mock


@pytest.fixture(scope="module")
def provider():
    with oidc_provider_mock.run_server_in_thread() as server:
        yield f"http://127.0.0.1:{server.server_port}"


def sso_config(provider, client_id="partner-portal"):
    return {"OIDC_ISSUER": provider, "OIDC_CLIENT_ID": client_id, "OIDC_CLIENT_SECRET": "sso-client-secret"}


@pytest.fixture
def app(make_app, provider):
    app = make_app(**sso_config(provider))
    with app.app_context():
        yield app
        _db.session.remove()


def start_sign_in(client, provider):
    """Click the SSO button; return the provider's authorize URL the portal redirected to."""
    response = client.get("/staff/sso/login")
    assert response.status_code == 302
    assert response.location.startswith(f"{provider}/oauth2/authorize?")
    return response.location


def authorize(provider, authorize_url, email, sub=None, email_verified=True):
    """Sign in at the provider as `sub` with these claims; return the callback path and query."""
    sub = sub or f"idp-{secrets.token_hex(4)}"
    claims = {"email": email, "email_verified": email_verified, "name": "Sam Single"}
    requests.put(f"{provider}/users/{sub}", json=claims, timeout=5).raise_for_status()
    response = requests.post(authorize_url, data={"sub": sub}, allow_redirects=False, timeout=5)
    assert response.status_code == 302, response.text
    callback = urlsplit(response.headers["Location"])
    assert (callback.scheme, callback.netloc, callback.path) == ("http", "localhost", "/staff/sso/callback")
    assert {"code", "state"} <= parse_qs(callback.query).keys()
    return f"{callback.path}?{callback.query}"


def sign_in_via_idp(client, provider, email, **claims):
    """The whole round trip; return the portal's response to the callback."""
    callback = authorize(provider, start_sign_in(client, provider), email, **claims)
    return client.get(callback)


def assert_refused(client, response, message=b"no access to this staff console"):
    assert response.status_code == 302
    assert response.location == "/staff/login"
    assert message in client.get("/staff/login").data  # the flash message
    assert client.get("/staff/partners").location.startswith("/staff/login")
    assert client.get("/").location.startswith("/login")


def test_an_active_staff_member_signs_in_and_the_subject_is_bound(client, make, provider):
    staff = make.staff(email="sso@network.test")
    response = sign_in_via_idp(client, provider, "SSO@network.test", sub="idp-sso-1")
    assert response.status_code == 302
    assert response.location == "/staff/"
    assert client.get("/staff/partners").status_code == 200
    _db.session.expire_all()
    staff = _db.session.get(StaffUser, staff.id)
    assert staff.oidc_subject == "idp-sso-1"
    assert staff.last_login_at is not None

    client.post("/logout")  # the next sign-in with the same subject works too
    assert sign_in_via_idp(client, provider, "sso@network.test", sub="idp-sso-1").location == "/staff/"


def test_an_unknown_email_is_refused(client, make, provider):
    make.staff(email="someone-else@network.test")
    assert_refused(client, sign_in_via_idp(client, provider, "stranger@network.test"))


def test_an_inactive_staff_member_is_refused(client, make, provider):
    make.staff(email="gone@network.test", active=False)
    assert_refused(client, sign_in_via_idp(client, provider, "gone@network.test"))


def test_an_unverified_email_is_refused(client, make, provider):
    make.staff(email="unverified@network.test")
    assert_refused(client, sign_in_via_idp(client, provider, "unverified@network.test", email_verified=False))


def test_a_different_subject_for_a_bound_staff_member_is_refused(client, make, provider):
    staff = make.staff(email="bound@network.test", oidc_subject="idp-original")
    assert_refused(client, sign_in_via_idp(client, provider, "bound@network.test", sub="idp-impostor"))
    _db.session.expire_all()
    assert _db.session.get(StaffUser, staff.id).oidc_subject == "idp-original"


def test_a_subject_already_bound_to_another_staff_member_is_refused(client, make, provider):
    make.staff(email="old-address@network.test", oidc_subject="idp-moved")
    newcomer = make.staff(email="new-address@network.test")
    assert_refused(client, sign_in_via_idp(client, provider, "new-address@network.test", sub="idp-moved"))
    _db.session.expire_all()
    assert _db.session.get(StaffUser, newcomer.id).oidc_subject is None


def test_a_partner_users_email_never_yields_a_session(client, make, provider):
    partner_user = make.partner_user(make.partner(), email="pat@partner.test")
    assert_refused(client, sign_in_via_idp(client, provider, partner_user.email))


def test_a_tampered_state_gets_a_friendly_redirect(client, make, provider):
    make.staff(email="sso@network.test")
    callback = authorize(provider, start_sign_in(client, provider), "sso@network.test")
    path, query = callback.split("?")
    params = {key: values[0] for key, values in parse_qs(query).items()}
    response = client.get(path, query_string={**params, "state": "forged-state"})
    assert_refused(client, response, message=b"Single sign-on did not complete")


@pytest.mark.parametrize("query", ["", "?code=made-up", "?error=access_denied&error_description=Denied"])
def test_a_callback_without_a_started_sign_in_is_refused(client, query):
    assert_refused(client, client.get(f"/staff/sso/callback{query}"), message=b"Single sign-on did not complete")


def test_a_made_up_code_with_a_genuine_state_is_refused(client, provider):
    state = parse_qs(urlsplit(start_sign_in(client, provider)).query)["state"][0]
    response = client.get("/staff/sso/callback", query_string={"code": "made-up", "state": state})
    assert_refused(client, response, message=b"Single sign-on did not complete")


def test_a_code_issued_for_another_browser_is_refused(app, make, provider):
    """Login CSRF: the victim's browser is fed the attacker's code; the ID token's nonce gives it away."""
    make.staff(email="sso@network.test")
    attacker, victim = app.test_client(), app.test_client()
    attackers_callback = authorize(provider, start_sign_in(attacker, provider), "sso@network.test")
    victims_state = parse_qs(urlsplit(start_sign_in(victim, provider)).query)["state"][0]
    code = parse_qs(urlsplit(attackers_callback).query)["code"][0]
    response = victim.get("/staff/sso/callback", query_string={"code": code, "state": victims_state})
    assert_refused(victim, response, message=b"Single sign-on did not complete")


def test_an_unreachable_provider_gets_a_friendly_redirect(make_app):
    with socket.socket() as closed:  # a port nothing listens on once the socket is closed
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    client = make_app(**sso_config(f"http://127.0.0.1:{port}")).test_client()
    response = client.get("/staff/sso/login")
    assert (response.status_code, response.location) == (302, "/staff/login")
    assert b"Single sign-on is unavailable right now" in client.get("/staff/login").data


def test_the_staff_sign_in_page_offers_single_sign_on(client):
    page = client.get("/staff/login")
    assert b'id="sso-sign-in"' in page.data
    assert b'href="/staff/sso/login"' in page.data


def test_the_partner_sign_in_page_never_offers_single_sign_on(client):
    assert b"sso-sign-in" not in client.get("/login").data


def test_without_configuration_there_is_no_button_and_no_route(make_app):
    client = make_app().test_client()
    assert b"sso-sign-in" not in client.get("/staff/login").data
    assert b"sso-sign-in" not in client.get("/login").data
    assert client.get("/staff/sso/login").status_code == 404
    assert client.get("/staff/sso/callback").status_code == 404


def test_each_app_uses_its_own_client_configuration(make_app, provider):
    """Apps built in one process (with and without single sign-on) must not share an OIDC client."""
    first = make_app(**sso_config(provider, client_id="first-portal")).test_client()
    make_app().test_client()
    second = make_app(**sso_config(provider, client_id="second-portal")).test_client()
    for client, client_id in ((second, "second-portal"), (first, "first-portal")):
        query = parse_qs(urlsplit(start_sign_in(client, provider)).query)
        assert query["client_id"] == [client_id]
        assert query["redirect_uri"] == ["http://localhost/staff/sso/callback"]
        assert set(query["scope"][0].split()) == {"openid", "email", "profile"}


def test_single_sign_on_is_exempt_from_two_factor(client, db, make, provider):
    """The identity provider does its own second factor: an SSO sign-in is neither asked for a code nor sent
    to set two-factor up when the network requires it; the same staff member with a password is."""
    import pyotp

    from portal.queries.settings import network_settings
    from portal.services import two_factor

    network_settings().staff_require_two_factor = True
    db.session.commit()
    staff = make.staff(email="sso-two-factor@network.test")
    assert sign_in_via_idp(client, provider, staff.email, sub="idp-two-factor").location == "/staff/"
    assert client.get("/staff/partners").status_code == 200
    client.post("/logout")
    client.post("/staff/login", data={"email": staff.email, "password": "correct-horse-battery"})
    assert client.get("/staff/partners").location == "/staff/account/security/two-factor"
    client.post("/logout")

    two_factor.start_setup(staff)
    two_factor.confirm_setup(staff, pyotp.TOTP(two_factor.setup_in_progress(staff).secret).now())
    assert sign_in_via_idp(client, provider, staff.email, sub="idp-two-factor").location == "/staff/"
    assert client.get("/staff/partners").status_code == 200
