"""Password sign-in with per-address throttling, and password changes that end other sessions."""

from __future__ import annotations

from sqlalchemy import func, select

from portal.domain.text import text_fault
from portal.extensions import db
from portal.models.accounts import Credentials
from portal.models.base import utcnow
from portal.services import audit, lockout, pending_sign_in, sessions, two_factor
from portal.services.lockout import FAILURE_MEMORY, SignInError, SignInPaused  # noqa: F401  (callers' names)
from portal.services.passwords import MIN_PASSWORD_LENGTH, hash_password, verify_password
from portal.services.write_lock import begin_write

# One message for an unknown email and a wrong password, so they cannot be told apart; a locked account (or
# address) gets SignInPaused's message instead, known or not.
SIGN_IN_FAILED = "Invalid email or password."


class PasswordChangeError(ValueError):
    """A password change was refused; the message names the rule."""


def _by_email(model: type[Credentials], email: str):
    return select(model).where(func.lower(model.email) == lockout.normalise_email(email))


def user_by_email(model: type[Credentials], email: str):
    """The user of this kind with this email, compared case-insensitively."""
    return db.session.scalar(_by_email(model, email))


def authenticate(model: type[Credentials], email: str, password: str, ip: str | None = None, next_path: str = ""):
    """Return the user whose password matches, or raise SignInError (SignInPaused when locked); commits the
    counters. A user with two-factor on gets pending_sign_in.SecondFactorRequired instead: no session yet.

    The user's row (or an unknown address's counters) is locked for the attempt, so parallel guesses are
    counted one by one and cannot slip past the lockout. Every failure does the same work: one password
    hash, one audit row, one commit.
    """
    begin_write(db.session)  # on SQLite, where FOR UPDATE does nothing: parallel guesses count one by one
    # No user's address holds NUL (which PostgreSQL cannot even compare): such an address is simply unknown.
    user = None if text_fault(email) else db.session.scalar(_by_email(model, email).with_for_update())
    now = utcnow()
    record = user if user is not None else lockout.throttle_for(model.session_kind, email)
    unknown = {"email": lockout.storable(email.strip()[:254])} if user is None else None
    paused = lockout.paused_for(record, now)
    if paused:
        verify_password(None, password)
        audit.record("signin.locked", actor=user, actor_type=model.session_kind, ip=ip, detail=unknown)
        db.session.commit()
        raise SignInPaused(paused)
    if user is None or not verify_password(user.password_hash, password) or not user.may_sign_in:
        if user is None:
            verify_password(None, password)
            lockout.forget_stale_throttles(now, keep=record)
        locked = lockout.count_failure(record, now)
        audit.record("signin.failed", actor=user, actor_type=model.session_kind, ip=ip, detail=unknown)
        db.session.commit()
        raise SignInPaused(locked) if locked else SignInError(SIGN_IN_FAILED)
    if two_factor.enabled_for(user):
        # The failures are forgotten only once the code is right too: a known password buys no free guesses.
        token = pending_sign_in.begin(user, next_path, now)
        audit.record("signin.password_accepted", actor=user, ip=ip)
        db.session.commit()
        raise pending_sign_in.SecondFactorRequired(token)
    lockout.succeeded(user, now)
    audit.record("signin.succeeded", actor=user, ip=ip)
    db.session.commit()
    return user


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
    pending_sign_in.end_all(user)
    sessions.end_others(user, keep_session, reason="password_changed")  # commits the change with it
