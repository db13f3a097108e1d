"""Key reads: the Affiliate API's credential lookup (its hot path) and the Network API's key pairs."""

from __future__ import annotations

from sqlalchemy import Row, bindparam, select

from portal.extensions import db
from portal.models import ApiKey, NetworkApiKey, Partner, StaffUser

_keys, _partners, _staff = ApiKey.__table__, Partner.__table__, StaffUser.__table__

# A key and its partner's account in one indexed query. Built once: constructing a select() costs more
# than running this one on an index.
CREDENTIAL = (
    select(_keys.c.id, _keys.c.lookup_hash, _keys.c.revoked_at, _keys.c.ip_allowlist,
           _partners.c.id.label("partner_id"), _partners.c.name, _partners.c.partner_key, _partners.c.status,
           _partners.c.timezone, _partners.c.currency,
           _staff.c.name.label("manager_name"), _staff.c.email.label("manager_email"),
           _partners.c.upstream_affiliate_id)
    .select_from(_keys.join(_partners, _partners.c.id == _keys.c.partner_id)
                 .outerjoin(_staff, _staff.c.id == _partners.c.account_manager_id))
    .where(_keys.c.lookup_hash == bindparam("digest"))
)


def credential_row(digest: str) -> Row | None:
    """The CREDENTIAL row for a lookup hash. It runs on a pooled connection of its own rather than through
    the ORM session, whose setup and teardown cost more than the query itself."""
    with db.engine.connect() as conn:
        return conn.execute(CREDENTIAL, {"digest": digest}).first()


def network_key(pair_id: int) -> NetworkApiKey | None:
    return db.session.get(NetworkApiKey, pair_id)


def network_key_named(public_key: str) -> NetworkApiKey | None:
    """The pair this public key names (it is not secret: operators pass it to revoke a pair)."""
    return db.session.scalar(select(NetworkApiKey).where(NetworkApiKey.public_key == public_key))
