"""The API's key lookup: the key and its partner's account in one indexed query, verified in constant time.

Same verification as portal.services.keys.find_by_secret (checksum before any query, keyed lookup
hash, hmac.compare_digest), but one prebuilt Core query joins in the partner and its account manager,
so an API request costs one round trip and no ORM loading. The query runs on a pooled connection of its
own rather than through the ORM session, whose setup and teardown cost more than the query itself (the
account endpoints then never open a session at all). Nothing is cached between requests: a revoked key
is refused on the very next request.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from sqlalchemy import bindparam, select

from portal.affiliate.scope import ManagerRecord, PartnerRecord
from portal.extensions import db
from portal.models import ApiKey, Partner, StaffUser
from portal.services.key_material import is_well_formed
from portal.services.keys import vault

_keys, _partners, _staff = ApiKey.__table__, Partner.__table__, StaffUser.__table__

# Built once: constructing a select() costs more than running this one on an index.
_LOOKUP = (
    select(_keys.c.id, _keys.c.lookup_hash, _keys.c.revoked_at, _keys.c.ip_allowlist,
           _partners.c.id.label("partner_id"), _partners.c.name, _partners.c.partner_key, _partners.c.status,
           _partners.c.timezone, _partners.c.currency,
           _staff.c.name.label("manager_name"), _staff.c.email.label("manager_email"))
    .select_from(_keys.join(_partners, _partners.c.id == _keys.c.partner_id)
                 .outerjoin(_staff, _staff.c.id == _partners.c.account_manager_id))
    .where(_keys.c.lookup_hash == bindparam("digest"))
)


@dataclass(frozen=True, slots=True)
class Credential:
    key_id: int
    revoked: bool
    ip_allowlist: list[str]
    partner: PartnerRecord


def find_credential(secret: str) -> Credential | None:
    """The key (live or revoked) and its partner for a presented key; None, without a query, when malformed."""
    if not is_well_formed(secret):
        return None
    digest = vault().lookup_hash(secret)
    with db.engine.connect() as conn:
        row = conn.execute(_LOOKUP, {"digest": digest}).first()
    if row is None:
        return None
    (key_id, lookup_hash, revoked_at, allowlist, partner_id, name, partner_key, status, timezone, currency,
     manager_name, manager_email) = row  # unpacked by position: cheaper than a Row's attribute lookups
    if not hmac.compare_digest(lookup_hash, digest):
        return None
    manager = ManagerRecord(manager_name or "", manager_email) if manager_email else None
    partner = PartnerRecord(partner_id, name, partner_key, status, timezone, currency, manager)
    return Credential(key_id, revoked_at is not None, list(allowlist or ()), partner)
