"""Linking partners to affiliates of the upstream network (upstream mode), by staff or by import; audited.

One upstream affiliate belongs to at most one partner (a unique column): a second link is refused, never
moved silently, because it would hand one affiliate's data to another partner's users.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from portal.extensions import db
from portal.models import Partner
from portal.services import audit
from portal.services.partners import create_partner

MAX_UPSTREAM_ID = 2**63 - 1  # the column is a BIGINT
UPSTREAM_STATUSES = {"active": "active", "pending": "pending", "inactive": "inactive", "suspended": "suspended"}


class LinkTaken(ValueError):
    """That upstream affiliate is already linked to another partner (or the id cannot be one)."""


def linked_partner(upstream_affiliate_id: int) -> Partner | None:
    return db.session.scalar(select(Partner).where(Partner.upstream_affiliate_id == upstream_affiliate_id))


def link(partner: Partner, upstream_affiliate_id: int | None, *, actor=None, ip: str | None = None) -> bool:
    """Link (or, with None, unlink) a partner; False when nothing changed. LinkTaken when another partner
    holds that affiliate."""
    if upstream_affiliate_id is not None:
        if isinstance(upstream_affiliate_id, bool) or not 0 < upstream_affiliate_id <= MAX_UPSTREAM_ID:
            raise LinkTaken("An upstream affiliate id is a whole number above 0")
        holder = linked_partner(upstream_affiliate_id)
        if holder is not None and holder.id != partner.id:
            raise LinkTaken(f"Upstream affiliate {upstream_affiliate_id} is already linked to partner {holder.id} "
                            f"({holder.name}); unlink it there first")
    before = partner.upstream_affiliate_id
    if before == upstream_affiliate_id:
        return False
    partner.upstream_affiliate_id = upstream_affiliate_id
    audit.record("partner.upstream_linked" if upstream_affiliate_id is not None else "partner.upstream_unlinked",
                 actor=actor, target=partner, ip=ip, detail={"from": before, "to": upstream_affiliate_id})
    db.session.commit()
    return True


@dataclass
class ImportResult:
    created: list[int]  # partner ids made now
    already_linked: int
    skipped: int  # rows without a usable id or name


def import_affiliates(affiliates: list[dict]) -> ImportResult:
    """One partner per upstream affiliate not linked yet (network_affiliate_id, name, account_status);
    running it again creates nothing twice. Audited as the system."""
    result = ImportResult([], 0, 0)
    for row in affiliates:
        upstream_id, name = row.get("network_affiliate_id"), row.get("name")
        if (isinstance(upstream_id, bool) or not isinstance(upstream_id, int) or not 0 < upstream_id <= MAX_UPSTREAM_ID
                or not isinstance(name, str) or not name.strip()):
            result.skipped += 1
            continue
        if linked_partner(upstream_id) is not None:
            result.already_linked += 1
            continue
        status = UPSTREAM_STATUSES.get(str(row.get("account_status") or "active"), "inactive")
        partner = create_partner(name=name.strip()[:200], status=status, upstream_affiliate_id=upstream_id,
                                 commit=False)
        audit.record("partner.upstream_linked", target=partner, detail={"from": None, "to": upstream_id,
                                                                        "imported": True})
        db.session.commit()
        result.created.append(partner.id)
    return result
