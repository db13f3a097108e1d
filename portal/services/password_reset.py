"""Forgot password: a single-use, expiring link by mail; using it sets a new password and ends every session.

The request answers the same whether or not the email belongs to anyone, and does the same work either way
(a token, a hash, a rendered message, an audit row and a commit); the message goes out on the mail thread,
so the answer does not wait for the mail server. Requests are limited per address (silently: the answer
is the same, only no further mail goes out) and per IP (a 429).
"""

from __future__ import annotations

from datetime import timedelta
from hashlib import sha256

from flask import current_app
from limits import parse
from sqlalchemy import select, update

from portal.delivery import mail
from portal.extensions import db, limiter
from portal.models import PartnerUser, PasswordReset, StaffUser
from portal.models.base import utcnow
from portal.services import audit, pending_sign_in, sessions
from portal.services.mail_messages import absolute_url, compose
from portal.services.passwords import MIN_PASSWORD_LENGTH, hash_password
from portal.services.signin import user_by_email
from portal.services.tokens import new_token, token_hash, well_formed

PER_EMAIL = parse("3 per hour")  # mails to one address; beyond it the form still answers the same
PER_IP = parse("20 per hour")  # requests from one address, whatever the email
MAX_EMAIL = 254
_KINDS = {"partner": PartnerUser, "staff": StaffUser}


class TooManyRequests(Exception):
    """This address asked too often; try again later."""


class ResetLinkInvalid(Exception):
    """Unknown, expired or already used: the page says only that."""


class ResetRefused(ValueError):
    """The new password breaks a rule; the message names it."""


def request_reset(model: type[PartnerUser] | type[StaffUser], email: str, ip: str | None) -> None:
    """Send a reset link to the user with this email, if there is an active one; the same outcome otherwise."""
    if not limiter.limiter.hit(PER_IP, _prefix(), "password-reset-ip", ip or "-"):
        raise TooManyRequests()
    email = email.strip()[:MAX_EMAIL]
    user = user_by_email(model, email)
    token, hashed = new_token()
    allowed = limiter.limiter.hit(PER_EMAIL, _prefix(), "password-reset-email", model.session_kind,
                                  sha256(email.lower().encode()).hexdigest())
    now = utcnow()
    ttl = timedelta(seconds=current_app.config["PASSWORD_RESET_TTL"])
    link = absolute_url("auth.password_reset", token=token)
    # The unknown address gets the same message built (not sent), so both answers take the same work.
    message = compose(user.email if user is not None else "nobody@example.invalid", "Reset your password",
                      "password_reset",
                      link=link, hours=_hours(ttl), name=getattr(user, "name", ""))
    # A staff member who signs in only through the network's identity provider gets no password this way.
    sso_only = user is not None and user.password_hash is None and getattr(user, "oidc_subject", None) is not None
    if user is None or not user.may_sign_in or not allowed or sso_only:
        reason = "limited" if allowed is False else "single sign-on only" if sso_only else "no active user"
        audit.record("password_reset.not_sent", actor_type=model.session_kind, ip=ip,
                     detail={"email": email, "reason": reason})
        db.session.commit()
        return
    # A new link replaces any older one still unused.
    db.session.execute(update(PasswordReset).where(PasswordReset.user_kind == user.session_kind,
                                                   PasswordReset.user_id == user.id, PasswordReset.ended_at.is_(None))
                       .values(ended_at=now, ended_reason="superseded"))
    db.session.add(PasswordReset(token_hash=hashed, user_kind=user.session_kind, user_id=user.id, created_at=now,
                                 expires_at=now + ttl, ip=ip))
    audit.record("password_reset.requested", actor=user, target=user, ip=ip)
    db.session.commit()
    mail.send(message)


def live_reset(token: object) -> PasswordReset | None:
    """The unused, unexpired reset this token names, or None."""
    if not well_formed(token):
        return None
    found = db.session.scalar(select(PasswordReset).where(PasswordReset.token_hash == token_hash(token)))
    if found is None or found.ended_at is not None or found.expires_at <= utcnow():
        return None
    return found


def complete_reset(token: object, new: str, confirm: str, ip: str | None):
    """Set the password, use the link up, end every session of the user (audited); the user."""
    reset = live_reset(token)
    if reset is None:
        raise ResetLinkInvalid()
    user = db.session.get(_KINDS[reset.user_kind], reset.user_id)
    if user is None or not user.may_sign_in:
        raise ResetLinkInvalid()
    if len(new) < MIN_PASSWORD_LENGTH:
        raise ResetRefused(f"The new password must be at least {MIN_PASSWORD_LENGTH} characters long.")
    if new != confirm:
        raise ResetRefused("The new password and its confirmation differ.")
    claimed = db.session.execute(update(PasswordReset).where(PasswordReset.id == reset.id,
                                                             PasswordReset.ended_at.is_(None))
                                 .values(ended_at=utcnow(), ended_reason="used"))
    if claimed.rowcount != 1:  # used by a parallel request a moment ago
        db.session.rollback()
        raise ResetLinkInvalid()
    user.password_hash = hash_password(new)
    user.failed_logins = 0
    user.locked_until = None
    audit.record("password_reset.completed", actor=user, target=user, ip=ip)
    pending_sign_in.end_all(user)
    sessions.end_others(user, None, reason="password_reset")  # every session; commits the change with it
    return user


def _prefix() -> str:
    return current_app.config["RATELIMIT_KEY_PREFIX"] or "portal"


def _hours(span: timedelta) -> str:
    hours = span.total_seconds() / 3600
    return f"{hours:g} hour{'' if hours == 1 else 's'}" if hours >= 1 else f"{span.total_seconds() / 60:g} minutes"
