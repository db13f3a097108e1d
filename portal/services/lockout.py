"""Failed sign-ins counted per email address, and the pause they lead to, the same whether a user exists or not.

A known address counts on the user's own row (locked for the attempt, so parallel guesses are counted one by
one); an address no user has counts on a SignInThrottle row keyed by an HMAC of the normalised address. Both
follow one rule and give one answer, so the lockout cannot tell known addresses from unknown ones. Wrong
two-factor codes count on the same user row as wrong passwords.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from portal.domain.durations import friendly_duration
from portal.extensions import db
from portal.models import SignInThrottle
from portal.services.keys import vault

FAILURE_MEMORY = timedelta(days=1)  # failures are forgotten after this long without another one
PAUSED = "Too many failed attempts. Sign-in for this account is paused for {duration}."


class SignInError(Exception):
    """The sign-in did not succeed; the message is safe to show."""


class SignInPaused(SignInError):
    """Too many failures in a row: the account (or address) may not sign in for `seconds` more."""

    def __init__(self, seconds: int) -> None:
        self.seconds = seconds
        super().__init__(PAUSED.format(duration=friendly_duration(seconds)))


def normalise_email(email: str) -> str:
    return email.strip().lower()


def storable(text: str) -> str:
    """The text with what no database can store (NUL, lone surrogates) replaced, for counters and the audit."""
    return text.replace("\x00", "\ufffd").encode("utf-8", "replace").decode()


def throttle_for(kind: str, email: str) -> SignInThrottle:
    """The counters of an address no user of this kind has, created if need be and locked for the attempt."""
    email_hash = vault().lookup_hash("sign-in-email:" + storable(normalise_email(email)))
    insert = postgresql_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    # Insert-or-nothing, then lock: two first failures at once both count, neither fails on the unique key.
    db.session.execute(insert(SignInThrottle).values(user_kind=kind, email_hash=email_hash, failed_logins=0)
                       .on_conflict_do_nothing(index_elements=["user_kind", "email_hash"]))
    return db.session.scalar(select(SignInThrottle).where(SignInThrottle.user_kind == kind,
                                                          SignInThrottle.email_hash == email_hash)
                             .with_for_update().execution_options(populate_existing=True))


def paused_for(record, now: datetime) -> int:
    """Whole seconds the record stays locked (0: it may try now)."""
    if record.locked_until is None or record.locked_until <= now:
        return 0
    return math.ceil((record.locked_until - now).total_seconds())


def count_failure(record, now: datetime) -> int:
    """Count one failure; the LOGIN_FREE_ATTEMPTS-th in a row locks, each later one doubles the lock.
    Returns the seconds of the lock this failure began (0: none)."""
    cfg = current_app.config
    if record.last_failed_login_at is not None and now - record.last_failed_login_at > FAILURE_MEMORY:
        record.failed_logins = 0
    record.failed_logins = (record.failed_logins or 0) + 1
    record.last_failed_login_at = now
    extra = record.failed_logins - cfg["LOGIN_FREE_ATTEMPTS"]
    if extra < 0:
        return 0
    seconds = min(cfg["LOGIN_LOCKOUT_BASE_SECONDS"] * (2 ** extra), cfg["LOGIN_LOCKOUT_MAX_SECONDS"])
    record.locked_until = now + timedelta(seconds=seconds)
    return seconds


def succeeded(user, now: datetime) -> None:
    """The user proved who they are: the failures are forgotten."""
    forget_failures(user)
    user.last_login_at = now


def forget_failures(user) -> None:
    """The user proved who they are again (a signed-in staff member confirming): no sign-in, no failures."""
    user.failed_logins = 0
    user.locked_until = None


def forget_stale_throttles(now: datetime, keep: SignInThrottle) -> None:
    """Drop the counters of unknown addresses that have had no failure for FAILURE_MEMORY (the caller commits),
    but for `keep`, the one this attempt is counting on: count_failure starts it again as a known user's."""
    db.session.execute(delete(SignInThrottle).where(SignInThrottle.last_failed_login_at < now - FAILURE_MEMORY,
                                                    SignInThrottle.id != keep.id))
