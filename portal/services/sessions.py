"""Sign-in sessions held server-side: begun at sign-in, checked on every request, ended by sign-out.

The browser's (signed) session cookie carries a random token; the database keeps only its SHA-256, with
the user, the address and browser it began from and when it was last seen. A session is live until it is
ended (sign-out, "sign out this one / all others", a password change) or it times out: idle for longer than
SESSION_IDLE_TIMEOUT seconds, or older than PERMANENT_SESSION_LIFETIME. A cookie copied before sign-out
opens nothing afterwards, because the row it names has ended.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update

from portal.extensions import db
from portal.models import SignInSession
from portal.models.base import utcnow

TOUCH_EVERY = timedelta(minutes=1)  # last_seen_at is written at most this often (not on every request)
MAX_USER_AGENT = 255
MAX_ROW_ID = 2**63 - 1


def limits() -> tuple[timedelta, timedelta]:
    """(idle timeout, absolute lifetime); either setting may be seconds or a timedelta."""
    config = current_app.config
    return tuple(value if isinstance(value, timedelta) else timedelta(seconds=value)
                 for value in (config["SESSION_IDLE_TIMEOUT"], config["PERMANENT_SESSION_LIFETIME"]))


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def begin(user, ip: str | None, user_agent: str, method: str = "password") -> str:
    """A new live session for the user; the token for its cookie (only its hash is stored). `method` says how
    the user proved who they are: "password", "two_factor" or "sso"."""
    token = secrets.token_urlsafe(32)
    db.session.add(SignInSession(token_hash=_hash(token), user_kind=user.session_kind, user_id=user.id, ip=ip,
                                 user_agent=(user_agent or "")[:MAX_USER_AGENT], method=method))
    db.session.commit()
    return token


def live(user, token: object, now: datetime | None = None) -> SignInSession | None:
    """The user's live session this token names, seen now; None when it ended, timed out or is another's."""
    if not isinstance(token, str) or not token:
        return None
    found = db.session.scalar(select(SignInSession).where(SignInSession.token_hash == _hash(token)))
    if found is None or found.ended_at is not None or (found.user_kind, found.user_id) != (user.session_kind,
                                                                                           user.id):
        return None
    now = now or utcnow()
    idle, lifetime = limits()
    if now - found.last_seen_at > idle or now - found.created_at > lifetime:
        return None
    if now - found.last_seen_at >= TOUCH_EVERY:
        found.last_seen_at = now
        db.session.commit()
    return found


def end(token: object, reason: str = "signed_out") -> None:
    """End the session this token names (sign-out); nothing when it names none."""
    if isinstance(token, str) and token:
        _end(SignInSession.token_hash == _hash(token), reason)


def end_one(user, session_id: int) -> bool:
    """End one of the user's own live sessions; False when the id names none of them."""
    if not 0 < session_id <= MAX_ROW_ID:  # past the column's range: no query (the driver would refuse it)
        return False
    return _end((SignInSession.id == session_id) & _owned_by(user), "ended_by_user") > 0


def end_others(user, keep_token: object, reason: str = "ended_by_user") -> int:
    """End every live session of the user but the one this token names; how many ended."""
    keep = _hash(keep_token) if isinstance(keep_token, str) and keep_token else ""
    return _end(_owned_by(user) & (SignInSession.token_hash != keep), reason)


def mark_method(token: object, method: str) -> None:
    """Record that the session this token names is now proved by `method` (committed with the caller's work)."""
    if isinstance(token, str) and token:
        db.session.execute(update(SignInSession).where(SignInSession.token_hash == _hash(token))
                           .values(method=method))


def mark_confirmed(token: object, now: datetime) -> None:
    """Record that the user of the live session this token names confirmed who they are at `now` (committed
    with the caller's work)."""
    if isinstance(token, str) and token:
        db.session.execute(update(SignInSession).where(SignInSession.token_hash == _hash(token),
                                                       SignInSession.ended_at.is_(None))
                           .values(identity_confirmed_at=now))


def active(user, now: datetime | None = None) -> list[SignInSession]:
    """The user's live sessions, most recently seen first."""
    now = now or utcnow()
    idle, lifetime = limits()
    idle_since, born_since = now - idle, now - lifetime
    return list(db.session.scalars(
        select(SignInSession).where(_owned_by(user), SignInSession.ended_at.is_(None),
                                    SignInSession.last_seen_at >= idle_since, SignInSession.created_at >= born_since)
        .order_by(SignInSession.last_seen_at.desc(), SignInSession.id.desc())))


def is_current(record: SignInSession, token: object) -> bool:
    return isinstance(token, str) and record.token_hash == _hash(token)


def _owned_by(user):
    return (SignInSession.user_kind == user.session_kind) & (SignInSession.user_id == user.id)


def _end(condition, reason: str) -> int:
    result = db.session.execute(update(SignInSession).where(condition, SignInSession.ended_at.is_(None))
                                .values(ended_at=utcnow(), ended_reason=reason))
    db.session.commit()
    return result.rowcount
