"""The Network API's reads of partnerships and groups; `test` (the key pair's mode) always comes first."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.extensions import db
from portal.models import Partner, PartnerGroup


def in_mode(test: bool) -> list:
    """A test pair sees test partnerships only (gstest and those it made); a production pair the others."""
    return [Partner.is_test.is_(test)]


def partnerships(test: bool, *, include_archived: bool = False, group_key: str | None = None,
                 partner_key: str | None = None, email: str | None = None):
    """The select() of partnerships a list shows, before paging (portal.api.network.paging.fetch)."""
    stmt = select(Partner).where(*in_mode(test)).options(selectinload(Partner.group),
                                                         selectinload(Partner.account_manager))
    if not include_archived:
        stmt = stmt.where(Partner.archived_at.is_(None))
    if group_key is not None:
        stmt = stmt.where(Partner.group.has(PartnerGroup.key == group_key))
    if partner_key is not None:
        stmt = stmt.where(Partner.partner_key == partner_key)
    if email is not None:
        stmt = stmt.where(Partner.email == email)
    return stmt


def partnership(test: bool, key: str) -> Partner | None:
    """One partnership by its `part_…` key, archived ones included."""
    return db.session.scalar(select(Partner).where(Partner.partnership_key == key, *in_mode(test)))


def groups():
    """The select() of every group (the same for both modes), before paging."""
    return select(PartnerGroup)


def group_by_key(key: str) -> PartnerGroup | None:
    return db.session.scalar(select(PartnerGroup).where(PartnerGroup.key == key))


def default_group() -> PartnerGroup | None:
    return db.session.scalar(select(PartnerGroup).where(PartnerGroup.is_default.is_(True)))
