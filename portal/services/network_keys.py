"""Network API key pairs: issue (the secret is shown once), verify, revoke; issuing and revoking are audited.

A pair is a public key, sent as the HTTP Basic username, and a secret key, sent as the password. The
public key names the pair and may be shown; the secret is kept only as a keyed hash (the same
config-held pepper as partner keys, portal.services.key_material), so nobody can show it again: a lost
secret means a new pair. Both carry their mode in their prefix (`npk_test_…`, `nsk_live_…`), so a
test pair is recognisable wherever it is pasted; the stored mode is what counts.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update

from portal.extensions import db
from portal.models import NETWORK_KEY_MODES, NetworkApiKey
from portal.models.base import utcnow
from portal.services.key_material import generate_key, is_well_formed, key_pattern, random_name
from portal.services.keys import KeyActionError, add_audited, checked_label, revoke_audited, staff_id, vault

_PREFIX_MODE = {"test": "test", "production": "live"}
PUBLIC_PREFIXES = {mode: f"npk_{tag}_" for mode, tag in _PREFIX_MODE.items()}
SECRET_PREFIXES = {mode: f"nsk_{tag}_" for mode, tag in _PREFIX_MODE.items()}
_SECRET_PATTERNS = {mode: key_pattern(prefix) for mode, prefix in SECRET_PREFIXES.items()}
LAST_USED_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class IssuedPair:
    key: NetworkApiKey
    secret: str  # shown once, right after issuing; never stored


def issue_pair(mode: str, label: str, actor=None, ip: str | None = None) -> IssuedPair:
    if mode not in NETWORK_KEY_MODES:
        raise KeyActionError(f"Choose test or production; got {mode!r}.")
    label = checked_label(label, "Give the key pair a label naming the system that uses it, "
                                 "e.g. 'Billing back end'.")
    secret = generate_key(SECRET_PREFIXES[mode])
    key = NetworkApiKey(public_key=random_name(PUBLIC_PREFIXES[mode]), secret_hash=vault().lookup_hash(secret),
                        mode=mode, label=label, created_by_id=staff_id(actor))
    add_audited(key, "network_key.issued", {"public_key": key.public_key, "mode": mode, "label": label},
                actor=actor, ip=ip)
    return IssuedPair(key, secret)


def revoke_pair(key: NetworkApiKey, actor=None, ip: str | None = None) -> bool:
    """Revoke now: the next request with this pair gets 401. False when it was already revoked."""
    return revoke_audited(key, "network_key.revoked", {"public_key": key.public_key, "mode": key.mode},
                          actor=actor, ip=ip)


_PUBLIC_PATTERNS = tuple(re.compile(rf"{re.escape(prefix)}[0-9A-Za-z]{{24}}") for prefix in PUBLIC_PREFIXES.values())


def looks_like_public_key(text: str) -> bool:
    """Whether `text` has the shape of a public key (`npk_live_` or `npk_test_` and 24 base62 characters)."""
    return any(pattern.fullmatch(text) for pattern in _PUBLIC_PATTERNS)


def verify_pair(public_key: str, secret: str) -> NetworkApiKey | None:
    """The live pair these credentials name, or None: unknown, revoked, or a wrong or malformed secret.

    A malformed secret is refused before any query; the hashes are compared in constant time."""
    if not any(is_well_formed(secret, pattern) for pattern in _SECRET_PATTERNS.values()):
        return None
    key = db.session.scalar(select(NetworkApiKey).where(NetworkApiKey.public_key == public_key))
    if key is None or key.revoked_at is not None:
        return None
    if not hmac.compare_digest(key.secret_hash, vault().lookup_hash(secret)):
        return None
    if not is_well_formed(secret, _SECRET_PATTERNS[key.mode]):
        return None  # a secret of the other mode's shape cannot be this pair's
    return key


def stamp_last_used(key: NetworkApiKey) -> None:
    """last_used_at at most about once a minute per pair (its own short transaction)."""
    now = utcnow()
    if key.last_used_at is not None and now - key.last_used_at < LAST_USED_EVERY:
        return
    db.session.execute(update(NetworkApiKey).where(NetworkApiKey.id == key.id).values(last_used_at=now))
    db.session.commit()


def pairs() -> list[NetworkApiKey]:
    """Every pair, newest first (revoked ones too: the table shows them as revoked)."""
    return list(db.session.scalars(select(NetworkApiKey).order_by(NetworkApiKey.id.desc())))
