"""Two kinds of session, partner and staff, that never mix; one Flask-Login manager tells them apart.

Each sign-in is also a row of portal.services.sessions, named by a token in the session cookie: a user
is signed in only while that row is live, so sign-out (or "sign out this one") ends the session at once,
for every copy of the cookie."""

from __future__ import annotations

from flask import Flask, g, redirect, request, session, url_for
from flask_login import login_user, logout_user

from portal.extensions import db, login_manager
from portal.models import PartnerUser, StaffUser
from portal.services import sessions

SESSION_KEY = "sign_in"  # the cookie's entry holding this sign-in's token

_KINDS = {"partner": PartnerUser, "staff": StaffUser}


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.session_protection = "strong"
    login_manager.user_loader(load_user)
    login_manager.unauthorized_handler(_unauthorized)


def load_user(session_id: str):
    """Session ids are kind:id; the user is signed in while the sign-in this cookie names is live."""
    try:
        kind, raw_id = session_id.split(":", 1)
        model = _KINDS[kind]
        user = db.session.get(model, int(raw_id))
    except (KeyError, ValueError):
        return None
    if user is None or not user.may_sign_in:
        return None
    record = sessions.live(user, session.get(SESSION_KEY))
    if record is None:
        return None
    g.sign_in_method = record.method  # how this sign-in was proved (the staff guard asks)
    g.identity_confirmed_at = record.identity_confirmed_at  # when its user last confirmed who they are
    return user


def start_session(user, method: str = "password") -> None:
    """Begin a fresh session for this user: nothing carries over from another kind of user."""
    end_session()
    token = sessions.begin(user, request.remote_addr, request.headers.get("User-Agent", ""), method)
    session[SESSION_KEY] = token
    login_user(user)


def end_session() -> None:
    """Sign out: the session's row ends (every copy of the cookie with it) and the cookie is emptied."""
    sessions.end(session.get(SESSION_KEY))
    logout_user()
    session.clear()


def current_token() -> str | None:
    return session.get(SESSION_KEY)


def current_method() -> str | None:
    """How the signed-in user proved who they are ("password", "two_factor", "sso"); None when nobody is."""
    return g.get("sign_in_method")


def identity_confirmed_at():
    """When the signed-in user last confirmed who they are in this session (staff reveals ask); None: never."""
    return g.get("identity_confirmed_at")


def _unauthorized():
    endpoint = "auth.staff_login" if request.blueprint == "staff" else "auth.partner_login"
    return redirect(url_for(endpoint, next=request.full_path.rstrip("?")))
