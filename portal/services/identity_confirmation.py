"""Staff confirm who they are again before a secret is shown in full (the console's "sudo mode").

A stolen or unattended staff session must not be enough to read a partner's payout details or API keys, so
those reveals need a confirmation made in the same sign-in session within STAFF_CONFIRMATION_SECONDS. It asks
for what the account has: the password, and a current code when two-factor is on; an account without a
password (single sign-on only) confirms with its two-factor code; an account with neither cannot confirm and
is told to turn two-factor on. The time of the confirmation is kept on the sign-in session's row, so it ends
with the session and a copy of the cookie made before it gains nothing the row does not say.

Failures count on the user's row as failed sign-ins do (the same lock pauses both), and every attempt is
audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from portal.extensions import db
from portal.models.base import utcnow
from portal.services import audit, lockout, sessions, two_factor
from portal.services.passwords import verify_password
from portal.services.write_lock import begin_write

NOTHING_TO_CONFIRM_WITH = ("Your account has no password and no two-factor sign-in to confirm with. Turn on "
                           "two-factor sign-in under My account → Security, then confirm with a code from your app.")
WRONG_PASSWORD = "The password is not correct."
WRONG_CODE = "That code is not right. Enter a current code from your app, or an unused recovery code."


class ConfirmationRefused(Exception):
    """The confirmation did not succeed; the message is safe to show."""


class ConfirmationPaused(ConfirmationRefused):
    """Too many failures in a row: the account's sign-in (and confirming) is paused for `seconds` more."""

    def __init__(self, seconds: int) -> None:
        self.seconds = seconds
        super().__init__(str(lockout.SignInPaused(seconds)))


@dataclass(frozen=True)
class Asks:
    """What this user confirms with."""

    password: bool
    code: bool

    @property
    def possible(self) -> bool:
        return self.password or self.code


def asks_for(user) -> Asks:
    return Asks(password=user.password_hash is not None, code=two_factor.enabled_for(user))


def window() -> timedelta:
    return timedelta(seconds=current_app.config["STAFF_CONFIRMATION_SECONDS"])


def is_recent(confirmed_at: datetime | None, now: datetime | None = None) -> bool:
    """A confirmation made within the window (one dated in the future, a clock set back, counts for nothing)."""
    if confirmed_at is None:
        return False
    now = now or utcnow()
    return confirmed_at <= now < confirmed_at + window()


def confirm(user, session_token: str | None, password: str, code: str, ip: str | None = None) -> str:
    """Check the password (and code) of the signed-in user and mark this sign-in session confirmed now; returns
    how ("password", "password+code" or "code"). Raises ConfirmationPaused while the account is locked (or when
    this failure locks it) and ConfirmationRefused otherwise; commits either way."""
    begin_write(db.session)  # on SQLite: parallel guesses are counted one by one, like sign-in's
    model = type(user)
    user = db.session.scalar(select(model).where(model.id == user.id).with_for_update()
                             .execution_options(populate_existing=True))
    now = utcnow()
    paused = lockout.paused_for(user, now)
    if paused:
        audit.record("identity.confirmation_locked", actor=user, ip=ip)
        db.session.commit()
        raise ConfirmationPaused(paused)
    asks = asks_for(user)
    if not asks.possible:
        audit.record("identity.confirmation_failed", actor=user, ip=ip, detail={"reason": "nothing_to_confirm_with"})
        db.session.commit()
        raise ConfirmationRefused(NOTHING_TO_CONFIRM_WITH)
    reason, used = None, None
    if asks.password and not verify_password(user.password_hash, password or ""):
        reason = WRONG_PASSWORD
    elif asks.code:
        used = two_factor.check_code(user, code or "", now)  # spends the code's time step, or the recovery code
        reason = WRONG_CODE if used is None else None
    if reason is not None:
        locked = lockout.count_failure(user, now)
        audit.record("identity.confirmation_failed", actor=user, ip=ip,
                     detail={"reason": "password" if reason == WRONG_PASSWORD else "code"})
        db.session.commit()
        raise ConfirmationPaused(locked) if locked else ConfirmationRefused(reason)
    method = "+".join(name for name, asked in (("password", asks.password), ("code", asks.code)) if asked)
    lockout.forget_failures(user)
    sessions.mark_confirmed(session_token, now)
    if used == "recovery":
        audit.record("two_factor.recovery_code_used", actor=user, ip=ip,
                     detail={"left": two_factor.recovery_codes_left(user)})
    audit.record("identity.confirmed", actor=user, ip=ip, detail={"method": method})
    db.session.commit()
    return method
