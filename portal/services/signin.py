"""Password sign-in with per-account throttling, and password changes that end other sessions."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select

from portal.extensions import db
from portal.models.accounts import Credentials, new_session_token
from portal.models.base import utcnow
from portal.services import audit
from portal.services.passwords import MIN_PASSWORD_LENGTH, hash_password, verify_password

# One message for an unknown email, a wrong password and a locked account, so none can be told apart.
SIGN_IN_FAILED = "Invalid email or password."


class SignInError(Exception):
    """The sign-in did not succeed; the message is safe to show."""


class PasswordChangeError(ValueError):
    """A password change was refused; the message names the rule."""


def authenticate(model: type[Credentials], email: str, password: str, ip: str | None = None):
    """Return the active user whose password matches, or raise SignInError; commits the counters."""
    user = db.session.scalar(select(model).where(func.lower(model.email) == email.strip().lower()))
    now = utcnow()
    if user is not None and user.locked_until is not None and user.locked_until > now:
        verify_password(None, password)  # same work as any other failure
        audit.record("signin.locked", actor=user, ip=ip)
        db.session.commit()
        raise SignInError(SIGN_IN_FAILED)
    ok = verify_password(user.password_hash if user else None, password)
    if user is None:
        raise SignInError(SIGN_IN_FAILED)
    if not ok or not user.active:
        _count_failure(user, now)
        audit.record("signin.failed", actor=user, ip=ip)
        db.session.commit()
        raise SignInError(SIGN_IN_FAILED)
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    audit.record("signin.succeeded", actor=user, ip=ip)
    db.session.commit()
    return user


def _count_failure(user: Credentials, now) -> None:
    cfg = current_app.config
    user.failed_logins = (user.failed_logins or 0) + 1
    extra = user.failed_logins - cfg["LOGIN_FREE_ATTEMPTS"]
    if extra >= 0:
        seconds = min(cfg["LOGIN_LOCKOUT_BASE_SECONDS"] * (2 ** extra), cfg["LOGIN_LOCKOUT_MAX_SECONDS"])
        user.locked_until = now + timedelta(seconds=seconds)


def change_password(user: Credentials, current: str, new: str, confirm: str, ip: str | None = None) -> None:
    """Set a new password and rotate the session token, which signs out every other session."""
    if not verify_password(user.password_hash, current):
        raise PasswordChangeError("The current password is not correct.")
    if len(new) < MIN_PASSWORD_LENGTH:
        raise PasswordChangeError(f"The new password must be at least {MIN_PASSWORD_LENGTH} characters long.")
    if new != confirm:
        raise PasswordChangeError("The new password and its confirmation differ.")
    user.password_hash = hash_password(new)
    user.session_token = new_session_token()
    audit.record("password.changed", actor=user, ip=ip)
    db.session.commit()
