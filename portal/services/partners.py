"""Creating partners and changing their partner_key, which is unique and never reused."""

from __future__ import annotations

import re
import secrets
import string
import unicodedata

from sqlalchemy import select

from portal.extensions import db
from portal.models import Partner, PartnerGroup, PartnerKeyReservation, PartnerUser
from portal.services import audit
from portal.services.key_material import random_name
from portal.services.passwords import hash_password

PARTNER_KEY_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]{1,79}")  # the whole key: use fullmatch
RANDOM_KEY_LENGTH = 10  # PartnerStack's length for sign-ups without a name
_RANDOM_ALPHABET = string.ascii_lowercase + string.digits


class PartnerKeyError(ValueError):
    """A requested partner_key is malformed or already taken (now or ever)."""


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "", ascii_text.lower())


def _is_reserved(key: str) -> bool:
    return db.session.get(PartnerKeyReservation, key) is not None


def generate_partner_key(first_name: str | None, last_name: str | None) -> str:
    """first+last name as a slug, with a numeric suffix on collision; random when no name is known."""
    base = slugify(f"{first_name or ''}{last_name or ''}")[:70]
    if len(base) < 2:
        while True:
            candidate = "".join(secrets.choice(_RANDOM_ALPHABET) for _ in range(RANDOM_KEY_LENGTH))
            if not _is_reserved(candidate):
                return candidate
    if not _is_reserved(base):
        return base
    taken = set(db.session.scalars(
        select(PartnerKeyReservation.key).where(PartnerKeyReservation.key.like(f"{base}%"))
    ))
    suffix = 1
    while f"{base}{suffix}" in taken:
        suffix += 1
    return f"{base}{suffix}"


def _reserve(key: str, partner: Partner) -> None:
    db.session.add(PartnerKeyReservation(key=key, partner_id=partner.id))


def new_partnership_key() -> str:
    return random_name("part_", 16)


def create_partner(*, name: str, first_name: str | None = None, last_name: str | None = None,
                   partner_key: str | None = None, actor=None, commit: bool = True, **fields) -> Partner:
    """Create a partner with a reserved partner_key; pass partner_key to ask for a specific one."""
    if partner_key is None:
        partner_key = generate_partner_key(first_name, last_name)
    else:
        _check_free(partner_key)
    if "group_id" not in fields:
        fields["group_id"] = db.session.scalar(select(PartnerGroup.id).where(PartnerGroup.is_default.is_(True)))
    partner = Partner(name=name, first_name=first_name, last_name=last_name, partner_key=partner_key,
                      partnership_key=new_partnership_key(), **fields)
    db.session.add(partner)
    db.session.flush()
    _reserve(partner_key, partner)
    audit.record("partner.created", actor=actor, target=partner, detail={"partner_key": partner_key})
    if commit:
        db.session.commit()
    return partner


def _check_free(key: str) -> None:
    if not PARTNER_KEY_PATTERN.fullmatch(key):
        raise PartnerKeyError(
            "partner_key must be 2–80 characters of lowercase letters, digits, '-' or '_', starting with a letter or digit"
        )
    if _is_reserved(key):
        raise PartnerKeyError(f"partner_key {key!r} is taken or was used before and cannot be reused")


def change_partner_key(partner: Partner, new_key: str, actor=None) -> None:
    """Give a partner a new key; the old one stays reserved to this partner for good."""
    _check_free(new_key)
    old = partner.partner_key
    partner.partner_key = new_key
    _reserve(new_key, partner)
    audit.record("partner.key_changed", actor=actor, target=partner, detail={"from": old, "to": new_key})
    db.session.commit()


def add_partner_user(partner: Partner, *, email: str, name: str, password: str, role: str = "reports",
                     commit: bool = True) -> PartnerUser:
    user = PartnerUser(partner_id=partner.id, email=email.lower(), name=name,
                       password_hash=hash_password(password), role=role)
    db.session.add(user)
    if commit:
        db.session.commit()
    return user
