"""Staff single sign-on through the network's OpenID Connect identity provider (Authlib)."""

from __future__ import annotations

from authlib.integrations.flask_client import OAuth, OAuthError
from flask import abort, current_app, flash, redirect, request, url_for
from joserfc.errors import JoseError
from requests import RequestException

from portal.services.sso import staff_for_claims
from portal.web.auth.blueprint import bp
from portal.web.sessions import start_session

_SSO_CLIENT = "portal.staff_sso"  # app.extensions key of the per-app OIDC client


def init_app(app) -> None:
    """Register the OIDC client when single sign-on is configured; without it both routes answer 404.

    Each app gets its own client, kept in app.extensions: Authlib's registry hands back the client first
    registered under a name, so a shared registry would give every later app the first app's settings.
    """
    if not app.config["OIDC_ENABLED"]:
        return
    issuer = app.config["OIDC_ISSUER"].rstrip("/")
    app.extensions[_SSO_CLIENT] = OAuth(app).register(
        "staff_sso",
        client_id=app.config["OIDC_CLIENT_ID"],
        client_secret=app.config["OIDC_CLIENT_SECRET"],
        server_metadata_url=f"{issuer}/.well-known/openid-configuration",
        client_kwargs={"scope": "openid email profile"},
    )


def _client():
    client = current_app.extensions.get(_SSO_CLIENT)
    if client is None:
        abort(404)  # single sign-on is not configured on this network
    return client


def _sso_failed(message: str, err: Exception):
    current_app.logger.warning("Single sign-on failed: %r", err)
    flash(message)
    return redirect(url_for("auth.staff_login"))


def _callback_url() -> str:
    """Behind a proxy the request's host may not be the public one: prefer the configured public URL."""
    base = current_app.config.get("PUBLIC_BASE_URL")
    if base:
        return base.rstrip("/") + url_for("auth.sso_callback")
    return url_for("auth.sso_callback", _external=True)


@bp.route("/staff/sso/login")
def sso_login():
    try:
        return _client().authorize_redirect(_callback_url())
    except RequestException as err:  # the identity provider's discovery document is out of reach
        return _sso_failed("Single sign-on is unavailable right now. Please try again later.", err)


@bp.route("/staff/sso/callback")
def sso_callback():
    """Sign in the staff user the IdP vouches for; only existing, active staff accounts are accepted."""
    try:
        token = _client().authorize_access_token()
    except (OAuthError, JoseError, RequestException) as err:
        # A missing or forged state, an error from the IdP, a rejected code, an ID token that fails
        # validation (e.g. a nonce from another browser's sign-in), or the IdP out of reach.
        return _sso_failed("Single sign-on did not complete. Please try again.", err)
    user = staff_for_claims(token.get("userinfo") or {}, ip=request.remote_addr)
    if user is None:
        flash("Your single sign-on account has no access to this staff console.")
        return redirect(url_for("auth.staff_login"))
    start_session(user, method="sso")  # exempt from the staff two-factor requirement: the IdP does MFA
    return redirect(url_for("staff.home"))
