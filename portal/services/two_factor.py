"""Two-factor sign-in with TOTP: turning it on (a secret confirmed with a code), single-use recovery codes,
turning it off, and checking a code at sign-in. Every change is audited in its own commit.

The secret is encrypted with the key-encryption key, like API keys (KeyVault). Recovery codes are 60 random
bits each, so a keyed hash (HMAC-SHA-256 under a key derived from the key-encryption key) is enough: nobody
can try 2**60 candidates online, and offline the database alone is no help without the key. A slow hash
(Argon2) would only make each sign-in try ten costly comparisons.
"""

from __future__ import annotations

import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

import pyotp
from flask import current_app
from sqlalchemy import delete, func, select, update

from portal.extensions import db
from portal.models import RecoveryCode, TwoFactorSecret
from portal.models.base import utcnow
from portal.queries.settings import network_settings
from portal.services import audit, sessions
from portal.services.keys import vault
from portal.services.passwords import verify_password

STEP_SECONDS = 30  # what every authenticator app assumes, with 6 digits and SHA-1
DRIFT_STEPS = 1  # a code of the step before or after is accepted too (a phone's clock a little off)
RECOVERY_CODE_COUNT = 10
_CODE_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford's base 32: no i, l, o or u to misread
_CODE_LENGTH = 12  # 60 bits
_SEPARATORS = re.compile(r"[\s\-]+")


class TwoFactorError(ValueError):
    """A two-factor change was refused; the message says why and is safe to show."""


@dataclass(frozen=True)
class Setup:
    """A setup in progress: the secret as text and as the otpauth:// URI an app reads from the QR code."""

    secret: str
    uri: str


def _row(user, *, for_update: bool = False) -> TwoFactorSecret | None:
    query = select(TwoFactorSecret).where(TwoFactorSecret.user_kind == user.session_kind,
                                          TwoFactorSecret.user_id == user.id)
    return db.session.scalar(query.with_for_update() if for_update else query)


def enabled_for(user) -> bool:
    row = _row(user)
    return row is not None and row.confirmed_at is not None


def staff_must_enrol(user, method: str | None) -> bool:
    """A staff member who signed in with a password and has no two-factor, on a network that asks for it.
    Single sign-on is exempt: the identity provider does its own second factor."""
    if method == "sso":
        return False
    required = current_app.config["STAFF_REQUIRE_2FA"] or network_settings().staff_require_two_factor
    return bool(required) and not enabled_for(user)


def start_setup(user, keep_session: str | None = None) -> None:
    """A fresh secret waiting for its first code (replacing one that was never confirmed).

    Every other session of the user ends first: the secret is shown only to the session that asked for it,
    never to one left open elsewhere (it could read the secret and later sign in with its codes)."""
    row = _row(user, for_update=True)
    if row is not None and row.confirmed_at is not None:
        raise TwoFactorError("Two-factor sign-in is already on.")
    sealed = vault().encrypt(pyotp.random_base32())
    if row is None:
        db.session.add(TwoFactorSecret(user_kind=user.session_kind, user_id=user.id, encrypted_secret=sealed))
    else:
        row.encrypted_secret, row.created_at, row.last_used_step = sealed, utcnow(), None
    sessions.end_others(user, keep_session, reason="two_factor_setup")  # commits the secret with it


def setup_in_progress(user) -> Setup | None:
    row = _row(user)
    if row is None or row.confirmed_at is not None:
        return None
    secret = vault().decrypt(row.encrypted_secret)
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=network_settings().network_name)
    return Setup(secret=secret, uri=uri)


def confirm_setup(user, code: str, ip: str | None = None, keep_session: str | None = None) -> list[str]:
    """Turn two-factor on with a current code from the app; returns the first recovery codes (shown once).

    This session now counts as proved with two factors; every other one ends, so that no session opened
    with the password alone outlives the switch (nor passes a network's "staff need two-factor")."""
    row = _row(user, for_update=True)
    if row is None or row.confirmed_at is not None:
        raise TwoFactorError("Start the setup again: there is no two-factor setup in progress.")
    now = utcnow()
    step = _totp_step(vault().decrypt(row.encrypted_secret), _normalise(code), row.last_used_step, now)
    if step is None:
        raise TwoFactorError("That code is not right. Enter the 6-digit code your app shows now.")
    row.confirmed_at, row.last_used_step = now, step
    codes = _new_recovery_codes(user)
    audit.record("two_factor.enabled", actor=user, ip=ip)
    sessions.mark_method(keep_session, "two_factor")
    sessions.end_others(user, keep_session, reason="two_factor_on")  # commits it all
    return codes


def regenerate_recovery_codes(user, code: str, ip: str | None = None) -> list[str]:
    """New recovery codes in place of the old ones, confirmed with a current code from the app: the password
    alone (with a session left open somewhere) must not mint a second factor."""
    row = _row(user, for_update=True)
    if row is None or row.confirmed_at is None:
        raise TwoFactorError("Two-factor sign-in is off.")
    if not _app_code(row, code):
        raise TwoFactorError("Confirm with a current code from your app.")
    codes = _new_recovery_codes(user)
    audit.record("two_factor.recovery_codes_regenerated", actor=user, ip=ip)
    db.session.commit()
    return codes


def _app_code(row: TwoFactorSecret, code: str) -> bool:
    step = _totp_step(vault().decrypt(row.encrypted_secret), _normalise(code), row.last_used_step, utcnow())
    if step is None:
        return False
    row.last_used_step = step  # spent, like any code
    return True


def disable(user, password: str, code: str, ip: str | None = None) -> None:
    """Turn two-factor off: needs the password and a code (from the app, or a recovery code)."""
    row = _row(user, for_update=True)
    if row is None or row.confirmed_at is None:
        raise TwoFactorError("Two-factor sign-in is already off.")
    if not verify_password(user.password_hash, password or ""):
        raise TwoFactorError("The password is not correct.")
    if check_code(user, code, utcnow()) is None:
        raise TwoFactorError("That code is not right. Enter a current code from your app, or a recovery code.")
    db.session.execute(delete(TwoFactorSecret).where(TwoFactorSecret.id == row.id))
    db.session.execute(delete(RecoveryCode).where(*_owned_codes(user)))
    audit.record("two_factor.disabled", actor=user, ip=ip)
    db.session.commit()


def reset(user) -> bool:
    """Turn two-factor off for a user who lost both the app and the recovery codes, on an operator's word
    (audited as the system); False when it was not on. The user signs in with the password alone and may set
    it up again."""
    row = _row(user, for_update=True)
    if row is None:
        return False
    db.session.execute(delete(TwoFactorSecret).where(TwoFactorSecret.id == row.id))
    db.session.execute(delete(RecoveryCode).where(*_owned_codes(user)))
    audit.record("two_factor.reset", actor_type="system", target=user, detail={"email": user.email})
    db.session.commit()
    return row.confirmed_at is not None


def recovery_codes_left(user) -> int:
    return db.session.scalar(select(func.count()).select_from(RecoveryCode)
                             .where(*_owned_codes(user), RecoveryCode.used_at.is_(None)))


def check_code(user, code: str, now: datetime) -> str | None:
    """"totp" or "recovery" when the code is good, None when not. A TOTP code is good once: its time step is
    remembered and no code of that step or an earlier one is accepted again. A recovery code is spent.
    The caller holds the user's row lock and commits."""
    row = _row(user, for_update=True)
    if row is None or row.confirmed_at is None:
        return None
    cleaned = _normalise(code)
    if len(cleaned) == 6 and cleaned.isdigit():
        step = _totp_step(vault().decrypt(row.encrypted_secret), cleaned, row.last_used_step, now)
        if step is None:
            return None
        row.last_used_step = step
        return "totp"
    if len(cleaned) == _CODE_LENGTH and all(c in _CODE_ALPHABET for c in cleaned):
        spent = db.session.execute(update(RecoveryCode)
                                   .where(*_owned_codes(user), RecoveryCode.code_hash == _code_hash(cleaned),
                                          RecoveryCode.used_at.is_(None))
                                   .values(used_at=now))
        return "recovery" if spent.rowcount == 1 else None
    return None


def _totp_step(secret: str, code: str, last_used_step: int | None, now: datetime) -> int | None:
    """The time step whose code this is (within the drift allowed), if it is later than the last one used."""
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret, interval=STEP_SECONDS)
    current = int(now.timestamp()) // STEP_SECONDS
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if last_used_step is not None and step <= last_used_step:
            continue
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _normalise(code: str) -> str:
    """Spaces and hyphens out, lower case, and the letters people type for digits read as those digits."""
    cleaned = _SEPARATORS.sub("", code or "").lower()
    return cleaned.translate(str.maketrans({"o": "0", "i": "1", "l": "1"}))


def _code_hash(cleaned: str) -> str:
    return vault().lookup_hash("recovery-code:" + cleaned)


def _owned_codes(user):
    return RecoveryCode.user_kind == user.session_kind, RecoveryCode.user_id == user.id


def _new_recovery_codes(user) -> list[str]:
    """Replace the user's recovery codes with fresh ones; returns them as shown: xxxx-xxxx-xxxx."""
    db.session.execute(delete(RecoveryCode).where(*_owned_codes(user)))
    codes = ["".join(secrets.choice(_CODE_ALPHABET) for _ in range(_CODE_LENGTH)) for _ in range(RECOVERY_CODE_COUNT)]
    db.session.add_all(RecoveryCode(user_kind=user.session_kind, user_id=user.id, code_hash=_code_hash(code))
                       for code in codes)
    return ["-".join(code[i:i + 4] for i in range(0, _CODE_LENGTH, 4)) for code in codes]
