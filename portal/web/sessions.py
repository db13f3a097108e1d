"""Two kinds of session, partner and staff, that never mix; one Flask-Login manager tells them apart."""

from __future__ import annotations

import hmac

from flask import Flask, redirect, request, session, url_for
from flask_login import current_user, login_user, logout_user

from portal.extensions import db, login_manager
from portal.models import PartnerUser, StaffUser

_KINDS = {"partner": PartnerUser, "staff": StaffUser}


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.session_protection = "strong"
    login_manager.user_loader(load_user)
    login_manager.unauthorized_handler(_unauthorized)


def load_user(session_id: str):
    """Session ids are kind:id:token; the token rotates on a password change, ending other sessions."""
    try:
        kind, raw_id, token = session_id.split(":", 2)
        model = _KINDS[kind]
        user = db.session.get(model, int(raw_id))
    except (KeyError, ValueError):
        return None
    if user is None or not user.may_sign_in:
        return None
    if not hmac.compare_digest(user.session_token.encode(), token.encode()):
        return None
    return user


def start_session(user) -> None:
    """Begin a fresh session for this user: nothing carries over from another kind of user."""
    logout_user()
    session.clear()
    login_user(user)


def _unauthorized():
    endpoint = "auth.staff_login" if request.blueprint == "staff" else "auth.partner_login"
    return redirect(url_for(endpoint, next=request.full_path.rstrip("?")))
