"""Password sign-in with per-account throttling, and password changes that end other sessions."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select

from portal.extensions import db
from portal.models.accounts import Credentials
from portal.models.base import utcnow
from portal.services import audit, sessions
from portal.services.passwords import MIN_PASSWORD_LENGTH, hash_password, verify_password

# One message for an unknown email, a wrong password and a locked account, so none can be told apart.
SIGN_IN_FAILED = "Invalid email or password."
FAILURE_MEMORY = timedelta(days=1)


class SignInError(Exception):
    """The sign-in did not succeed; the message is safe to show."""


class PasswordChangeError(ValueError):
    """A password change was refused; the message names the rule."""


def _by_email(model: type[Credentials], email: str):
    return select(model).where(func.lower(model.email) == email.strip().lower())


def user_by_email(model: type[Credentials], email: str):
    """The user of this kind with this email, compared case-insensitively."""
    return db.session.scalar(_by_email(model, email))


def authenticate(model: type[Credentials], email: str, password: str, ip: str | None = None):
    """Return the user whose password matches, or raise SignInError; commits the counters.

    The user's row is locked for the attempt (on PostgreSQL), so parallel guesses are counted one by
    one and cannot slip past the lockout. Every failure does the same work: one password hash, one
    audit row, one commit.
    """
    user = db.session.scalar(_by_email(model, email).with_for_update())
    now = utcnow()
    if user is None:
        verify_password(None, password)
        audit.record("signin.failed", actor_type=model.session_kind, ip=ip, detail={"email": email.strip()[:254]})
        db.session.commit()
        raise SignInError(SIGN_IN_FAILED)
    if user.locked_until is not None and user.locked_until > now:
        verify_password(None, password)
        audit.record("signin.locked", actor=user, ip=ip)
        db.session.commit()
        raise SignInError(SIGN_IN_FAILED)
    if not verify_password(user.password_hash, password) or not user.may_sign_in:
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
    """The LOGIN_FREE_ATTEMPTS-th failure in a row locks the account; each later one doubles the lock.

    Failures are forgotten after FAILURE_MEMORY without another one, so old typos do not add up.
    """
    cfg = current_app.config
    if user.last_failed_login_at is not None and now - user.last_failed_login_at > FAILURE_MEMORY:
        user.failed_logins = 0
    user.failed_logins = (user.failed_logins or 0) + 1
    user.last_failed_login_at = now
    extra = user.failed_logins - cfg["LOGIN_FREE_ATTEMPTS"]
    if extra >= 0:
        seconds = min(cfg["LOGIN_LOCKOUT_BASE_SECONDS"] * (2 ** extra), cfg["LOGIN_LOCKOUT_MAX_SECONDS"])
        user.locked_until = now + timedelta(seconds=seconds)


def change_password(user: Credentials, current: str, new: str, confirm: str, ip: str | None = None,
                    keep_session: str | None = None) -> None:
    """Set a new password and end every other sign-in of the user (all but `keep_session`, the token of the
    session making the change), in one transaction."""
    if not verify_password(user.password_hash, current):
        raise PasswordChangeError("The current password is not correct.")
    if len(new) < MIN_PASSWORD_LENGTH:
        raise PasswordChangeError(f"The new password must be at least {MIN_PASSWORD_LENGTH} characters long.")
    if new != confirm:
        raise PasswordChangeError("The new password and its confirmation differ.")
    user.password_hash = hash_password(new)
    audit.record("password.changed", actor=user, ip=ip)
    sessions.end_others(user, keep_session, reason="password_changed")  # commits the change with it
