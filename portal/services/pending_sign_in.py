"""The second step of a sign-in with two-factor: a password accepted, a code still to come.

The browser holds a random token; the database keeps its SHA-256, the user, where to go afterwards and a
deadline a few minutes away. The row is ended when the code is right, so a token is good once and never
after its deadline, whatever the browser keeps. Wrong codes count on the user's row like wrong passwords.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update

from portal.extensions import db
from portal.models import PartnerUser, PendingSignIn, StaffUser
from portal.models.base import utcnow
from portal.services import audit, lockout, two_factor
from portal.services.write_lock import begin_write

LIFETIME = timedelta(minutes=5)
CODE_FAILED = "That code is not right. Enter the current code from your app, or an unused recovery code."
_MODELS = {"partner": PartnerUser, "staff": StaffUser}


class SecondFactorRequired(Exception):
    """The password was right and the user has two-factor on: continue with this token's second step."""

    def __init__(self, token: str) -> None:
        super().__init__("a code is needed to finish signing in")
        self.token = token


class PendingSignInGone(Exception):
    """No sign-in is waiting for a code under this token (never was, timed out, or already finished)."""


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def begin(user, next_path: str, now: datetime) -> str:
    """A new pending sign-in for the user (the caller commits); the token for the browser."""
    db.session.execute(delete(PendingSignIn).where(PendingSignIn.expires_at < now))  # keeps the table small
    token = secrets.token_urlsafe(32)
    db.session.add(PendingSignIn(token_hash=_hash(token), user_kind=user.session_kind, user_id=user.id,
                                 next_path=next_path[:2000], created_at=now, expires_at=now + LIFETIME))
    return token


def end_all(user, now: datetime | None = None) -> None:
    """End the user's sign-ins waiting for a code (the caller commits): they proved a password that is gone."""
    db.session.execute(update(PendingSignIn).where(PendingSignIn.user_kind == user.session_kind,
                                                   PendingSignIn.user_id == user.id, PendingSignIn.ended_at.is_(None))
                       .values(ended_at=now or utcnow()))


def waiting(token: object, kind: str, now: datetime | None = None) -> PendingSignIn | None:
    """The live pending sign-in this token names at this door (partner or staff), or None."""
    if not isinstance(token, str) or not token:
        return None
    found = db.session.scalar(select(PendingSignIn).where(PendingSignIn.token_hash == _hash(token)))
    now = now or utcnow()
    if found is None or found.user_kind != kind or found.ended_at is not None or found.expires_at <= now:
        return None
    return found


def complete(token: object, kind: str, code: str, ip: str | None = None):
    """Finish the sign-in with a code: (user, where to go next). Raises PendingSignInGone, SignInPaused (the
    account is locked, or this failure locked it) or SignInError (a wrong code); commits either way."""
    begin_write(db.session)  # on SQLite: nobody else spends a code between our check and our write
    pending = waiting(token, kind)
    if pending is None:
        db.session.rollback()
        raise PendingSignInGone()
    model = _MODELS[kind]
    user = db.session.scalar(select(model).where(model.id == pending.user_id).with_for_update())
    now = utcnow()
    if user is None or not user.may_sign_in or not two_factor.enabled_for(user):
        pending.ended_at = now  # the account changed since the password step: start again
        db.session.commit()
        raise PendingSignInGone()
    paused = lockout.paused_for(user, now)
    if paused:
        audit.record("signin.locked", actor=user, ip=ip)
        db.session.commit()
        raise lockout.SignInPaused(paused)
    used = two_factor.check_code(user, code, now)
    if used is None:
        locked = lockout.count_failure(user, now)
        audit.record("signin.two_factor_failed", actor=user, ip=ip)
        db.session.commit()
        raise lockout.SignInPaused(locked) if locked else lockout.SignInError(CODE_FAILED)
    pending.ended_at = now
    lockout.succeeded(user, now)
    if used == "recovery":
        audit.record("two_factor.recovery_code_used", actor=user, ip=ip,
                     detail={"left": two_factor.recovery_codes_left(user)})
    audit.record("signin.succeeded", actor=user, ip=ip, detail={"method": "two_factor"})
    next_path = pending.next_path
    db.session.commit()
    return user, next_path
