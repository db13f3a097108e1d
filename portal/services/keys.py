"""The partner API key lifecycle: issue, reveal, revoke, allowlist; each audited in the same commit."""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from portal.domain.accounts import ManagerRecord, PartnerRecord
from portal.extensions import db
from portal.models import ApiKey, Partner
from portal.models.base import utcnow
from portal.queries.keys import credential_row
from portal.services import audit
from portal.services.allowlists import allows, parse_allowlist
from portal.services.key_material import VISIBLE_CHARS, KeyVault, generate_key, is_well_formed

MAX_LABEL = 100


class KeyActionError(ValueError):
    """A key action was refused; the message says why."""


class RiskNotAcknowledged(KeyActionError):
    """The partner is in onboarding or flagged for fraud, and the issuer did not acknowledge it."""


@dataclass(frozen=True)
class IssuedKey:
    key: ApiKey
    secret: str


def staff_id(actor) -> int | None:
    """Keys record which staff member acted; an operator at the command line is nobody in particular."""
    return actor.id if getattr(actor, "session_kind", "") == "staff" else None


def vault() -> KeyVault:
    return current_app.extensions["portal.key_vault"]


def partner_risks(partner: Partner) -> list[str]:
    """Why issuing a key to this partner needs an explicit acknowledgement (empty: no reason)."""
    risks = []
    if partner.onboarding == "onboarding":
        risks.append("This partner is still in onboarding.")
    if partner.fraud_flag:
        risks.append("This partner has a fraud flag.")
    return risks


def issue_key(partner: Partner, label: str, actor=None, acknowledged_risk: bool = False,
              ip: str | None = None) -> IssuedKey:
    label = checked_label(label, "Give the key a label naming the integration it is for, e.g. 'Looker reporting'.")
    risks = partner_risks(partner)
    if risks and not acknowledged_risk:
        raise RiskNotAcknowledged(" ".join(risks) + " Tick the acknowledgement to issue a key anyway.")
    secret = generate_key()
    key = ApiKey(partner_id=partner.id, label=label, prefix=secret[:VISIBLE_CHARS],
                 lookup_hash=vault().lookup_hash(secret), encrypted_secret=vault().encrypt(secret),
                 created_by_id=staff_id(actor))
    add_audited(key, "api_key.issued", {"partner_id": partner.id, "label": label, "risks_acknowledged": risks},
                actor=actor, ip=ip)
    return IssuedKey(key, secret)


def add_audited(key, action: str, detail: dict, actor=None, ip: str | None = None) -> None:
    """Store a newly issued key (partner key, network pair or network key) and its audit event in one commit."""
    db.session.add(key)
    db.session.flush()  # the audit event names the key by its id
    audit.record(action, actor=actor, target=key, ip=ip, detail=detail)
    db.session.commit()


def checked_label(label: str | None, missing: str) -> str:
    """A key's label, trimmed; KeyActionError(`missing`) when empty, or when longer than MAX_LABEL."""
    label = (label or "").strip()
    if not label:
        raise KeyActionError(missing)
    if len(label) > MAX_LABEL:
        raise KeyActionError(f"The label must be at most {MAX_LABEL} characters.")
    return label


def plaintext(key: ApiKey) -> str:
    """The key in full, for its owning partner's own page or its issuer right after issuing (not audited)."""
    return vault().decrypt(key.encrypted_secret)


def reveal_key(key: ApiKey, actor, ip: str | None = None) -> str:
    """The key in full for staff; every reveal is audited."""
    secret = plaintext(key)
    audit.record("api_key.revealed", actor=actor, target=key, ip=ip, detail={"partner_id": key.partner_id})
    db.session.commit()
    return secret


def revoke_key(key: ApiKey, actor=None, ip: str | None = None) -> bool:
    """Revoke now; the next request with this key gets 401. False when it was already revoked."""
    return revoke_audited(key, "api_key.revoked", {"partner_id": key.partner_id}, actor=actor, ip=ip)


def revoke_audited(key, action: str, detail: dict, actor=None, ip: str | None = None) -> bool:
    """Revoke a key of any kind now, audited in the same commit; False (nothing written) when already revoked.

    Revoking is final: the key keeps when and by whom it was revoked."""
    if key.revoked_at is not None:
        return False
    key.revoked_at = utcnow()
    key.revoked_by_id = staff_id(actor)
    audit.record(action, actor=actor, target=key, ip=ip, detail=detail)
    db.session.commit()
    return True


def set_allowlist(key: ApiKey, text: str, actor, ip: str | None = None) -> list[str]:
    """Replace the key's allowlist (AllowlistError names any bad entry; nothing changes then)."""
    networks = parse_allowlist(text)
    before = list(key.ip_allowlist or [])
    key.ip_allowlist = networks
    audit.record("api_key.allowlist_changed", actor=actor, target=key, ip=ip,
                 detail={"partner_id": key.partner_id, "from": before, "to": networks})
    db.session.commit()
    return networks


# --- finding the key a secret names: checksum before any query, keyed lookup hash, constant-time compare --


def _lookup_hash(secret: str) -> str | None:
    """The lookup hash of a well-formed key; None (and no query) for anything else."""
    return vault().lookup_hash(secret) if is_well_formed(secret) else None


@dataclass(frozen=True, slots=True)
class Credential:
    """A presented key (live or revoked) and its partner's account, as the Affiliate API checks it."""

    key_id: int
    revoked: bool
    ip_allowlist: list[str]
    partner: PartnerRecord

    def allows(self, ip: str | None) -> bool:
        """Whether the key may be used from this address (an empty allowlist: from any)."""
        return allows(self.ip_allowlist, ip)


def find_credential(secret: str) -> Credential | None:
    """The fast path, for every API request: one prebuilt Core query joins in the partner and its account
    manager (one round trip, no ORM loading). Nothing is cached between requests: a revoked key is
    refused on the very next request."""
    digest = _lookup_hash(secret)
    row = credential_row(digest) if digest else None
    if row is None:
        return None
    (key_id, lookup_hash, revoked_at, allowlist, partner_id, name, partner_key, status, timezone, currency,
     manager_name, manager_email, upstream_affiliate_id) = row  # unpacked by position: cheaper than a Row's attribute lookups
    if not hmac.compare_digest(lookup_hash, digest):
        return None
    manager = ManagerRecord(manager_name or "", manager_email) if manager_email else None
    partner = PartnerRecord(partner_id, name, partner_key, status, timezone, currency, manager,
                            upstream_affiliate_id=upstream_affiliate_id)
    return Credential(key_id, revoked_at is not None, list(allowlist or ()), partner)


def find_by_secret(secret: str) -> ApiKey | None:
    """The key row itself (live or revoked), for operators' commands that change it."""
    digest = _lookup_hash(secret)
    key = db.session.scalar(select(ApiKey).where(ApiKey.lookup_hash == digest)) if digest else None
    if key is None or not hmac.compare_digest(key.lookup_hash, digest):
        return None
    return key
