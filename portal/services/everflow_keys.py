"""Everflow-style network keys (`X-Eflow-API-Key` on /v1/networks): issue (shown once), verify, revoke.

A key is one opaque string, like Everflow's network keys: `efn_live_` and the same 43+6 base62 characters
as a partner key (portal.services.key_material: random body, CRC32 checksum, so garbage is refused before
any query). Only its keyed lookup hash is kept (the config-held pepper partner keys use), and its first
characters as a prefix for telling keys apart in the console. Issuing and revoking are audited; revoking
is final.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update

from portal.extensions import db
from portal.http.contract import NETWORK_KEY_PREFIX
from portal.models import EverflowNetworkKey
from portal.models.base import utcnow
from portal.services.key_material import generate_key, is_well_formed, key_pattern
from portal.services.keys import KeyActionError, add_audited, checked_label, revoke_audited, staff_id, vault

KEY_PREFIX = NETWORK_KEY_PREFIX
KEY_PATTERN = key_pattern(KEY_PREFIX)
VISIBLE_CHARS = len(KEY_PREFIX) + 6  # the stored prefix: enough to tell keys apart, far too little to guess
LAST_USED_EVERY = timedelta(minutes=1)

__all__ = ["KEY_PREFIX", "IssuedKey", "KeyActionError", "issue_key", "revoke_key", "verify_key",
           "looks_like_network_key", "stamp_last_used", "keys", "key_by_id", "key_by_prefix"]


@dataclass(frozen=True)
class IssuedKey:
    key: EverflowNetworkKey
    secret: str  # shown once, right after issuing; never stored


def issue_key(label: str, actor=None, ip: str | None = None) -> IssuedKey:
    label = checked_label(label, "Give the key a label naming the system that uses it, e.g. 'BI warehouse'.")
    secret = generate_key(KEY_PREFIX)
    key = EverflowNetworkKey(label=label, prefix=secret[:VISIBLE_CHARS], lookup_hash=vault().lookup_hash(secret),
                             created_by_id=staff_id(actor))
    add_audited(key, "eflow_network_key.issued", {"prefix": key.prefix, "label": label}, actor=actor, ip=ip)
    return IssuedKey(key, secret)


def revoke_key(key: EverflowNetworkKey, actor=None, ip: str | None = None) -> bool:
    """Revoke now: the next request with this key gets 401. False when it was already revoked."""
    return revoke_audited(key, "eflow_network_key.revoked", {"prefix": key.prefix, "label": key.label},
                          actor=actor, ip=ip)


def looks_like_network_key(text: str) -> bool:
    """Prefix, length, alphabet and checksum of a network key (no database)."""
    return is_well_formed(text, KEY_PATTERN)


@dataclass(frozen=True)
class VerifiedKey:
    key_id: int
    revoked: bool
    last_used_at: object


def verify_key(secret: str) -> VerifiedKey | None:
    """The key this string is (revoked or not), or None: malformed (no query) or unknown."""
    if not looks_like_network_key(secret):
        return None
    digest = vault().lookup_hash(secret)
    key = db.session.scalar(select(EverflowNetworkKey).where(EverflowNetworkKey.lookup_hash == digest))
    if key is None or not hmac.compare_digest(key.lookup_hash, digest):
        return None
    return VerifiedKey(key.id, key.revoked_at is not None, key.last_used_at)


def stamp_last_used(found: VerifiedKey, ip: str | None) -> None:
    """last_used_at/ip at most about once a minute per key (its own short transaction)."""
    now = utcnow()
    if found.last_used_at is not None and now - found.last_used_at < LAST_USED_EVERY:
        return
    db.session.execute(update(EverflowNetworkKey).where(EverflowNetworkKey.id == found.key_id)
                       .values(last_used_at=now, last_used_ip=ip))
    db.session.commit()


def keys() -> list[EverflowNetworkKey]:
    """Every key, newest first (revoked ones too: the console shows them as revoked)."""
    return list(db.session.scalars(select(EverflowNetworkKey).order_by(EverflowNetworkKey.id.desc())))


def key_by_id(key_id: int) -> EverflowNetworkKey | None:
    return db.session.get(EverflowNetworkKey, key_id)


def key_by_prefix(prefix: str) -> EverflowNetworkKey | None:
    """The key whose visible prefix this is (prefixes are not secret: operators pass one to revoke a key)."""
    return db.session.scalar(select(EverflowNetworkKey).where(EverflowNetworkKey.prefix == prefix)
                             .order_by(EverflowNetworkKey.id.desc()).limit(1))
