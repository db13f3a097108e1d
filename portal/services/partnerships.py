"""Partnerships from the Network API: create, update (including the partner key), archive; each audited.

The values arrive checked for shape and format (portal/api/network/schemas.py); what needs the database is
checked here, and a refusal names the field (`PartnershipError`). The pair's mode is the partnership's: a
test pair makes test partnerships. Partner keys follow portal.services.partners: generated from the names
when not given, and never reused, so a key another partner has (or once had) is a 409 conflict. Partner
keys are one namespace for both modes (links carry them), so a test pair cannot choose one: its
partnerships get generated keys that start with "test", and cannot take or block a production partner's
key. The built-in test partner gstest keeps its key and cannot be archived.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.models import Partner, PartnerGroup
from portal.models.base import utcnow
from portal.queries import partnerships as queries
from portal.services import audit
from portal.services.partners import PartnerKeyError, change_partner_key, create_partner, generate_partner_key, slugify

UPDATABLE = ("email", "first_name", "last_name", "tags")  # besides group_key and partner_key
BUILT_IN_TEST_PARTNER_KEY = "gstest"
GENERATED_KEY_ATTEMPTS = 3
KEY_TAKEN = "is taken or was used before and cannot be reused"
TEST_PAIRS_CHOOSE_NO_KEY = ("a test pair cannot choose partner keys (they are shared with production); "
                            "leave it out and one starting with 'test' is made from the names")


class PartnershipError(ValueError):
    """A refused change: `status` 400 (a field is wrong) or 409 (the partner key is taken); nothing written.

    The Network API's error type: refusals of customers and transactions are ones too."""

    def __init__(self, field: str, rule: str, status: int = 400) -> None:
        super().__init__(f"{field}: {rule}")
        self.field, self.rule, self.status = field, rule, status
        self.message = f"{field}: {rule}"


def create(test: bool, values: Mapping[str, Any], actor=None) -> Partner:
    """A partnership from checked values: `email` (normalised), and any of `first_name`, `last_name`,
    `group_key`, `tags` and `partner_key` (None: generate one)."""
    requested = values.get("partner_key")
    group = _group(values["group_key"]) if "group_key" in values else queries.default_group()
    if requested is not None and test:
        raise PartnershipError("partner_key", TEST_PAIRS_CHOOSE_NO_KEY)
    first, last = values.get("first_name"), values.get("last_name")
    name = " ".join(part for part in (first, last) if part) or values["email"]
    for attempt in range(1, GENERATED_KEY_ATTEMPTS + 1):
        partner_key = requested or _generated_key(test, first, last)
        try:
            partner = create_partner(
                name=name[:200], first_name=first, last_name=last, partner_key=partner_key, actor=actor,
                commit=False, email=values["email"], tags=values.get("tags", []),
                group_id=group.id if group else None, is_test=test, joined_at=utcnow(),
            )
            db.session.commit()
            return partner
        except (PartnerKeyError, IntegrityError):
            # Taken, or taken by a concurrent request between the check and the insert. A key the caller
            # asked for is a conflict; a generated one is generated again.
            db.session.rollback()
            if requested is not None or attempt == GENERATED_KEY_ATTEMPTS:
                raise PartnershipError("partner_key", f"{partner_key!r} {KEY_TAKEN}", 409) from None
    raise AssertionError("unreachable")


def _generated_key(test: bool, first: str | None, last: str | None) -> str:
    """From the names (random when there are none); a test partnership's starts with "test"."""
    if test and len(slugify(f"{first or ''}{last or ''}")) >= 2:
        return generate_partner_key(f"test{first or ''}", last)
    return generate_partner_key(first, last)


def update(partner: Partner, values: Mapping[str, Any], actor=None) -> Partner:
    """Set the fields given, checked (others stay); a new partner_key keeps the old one reserved for good."""
    new_key = values.get("partner_key")
    group = _group(values["group_key"]) if "group_key" in values else None
    if new_key is not None and partner.is_test and new_key != partner.partner_key:
        raise PartnershipError("partner_key", TEST_PAIRS_CHOOSE_NO_KEY)
    changed: dict[str, Any] = {}
    if group is not None and partner.group_id != group.id:
        changed["group_key"] = group.key
        partner.group_id = group.id
    for name, value in values.items():
        if name in UPDATABLE and getattr(partner, name) != value:
            changed[name] = value
            setattr(partner, name, value)
    if {"first_name", "last_name"} & changed.keys():
        partner.name = (" ".join(p for p in (partner.first_name, partner.last_name) if p) or partner.name)[:200]
    if changed:
        audit.record("partnership.updated", actor=actor, target=partner,
                     detail={"changed": sorted(changed), "partnership_key": partner.partnership_key})
        partner.updated_at = utcnow()
    try:
        if new_key is not None and new_key != partner.partner_key:
            partner.updated_at = utcnow()
            change_partner_key(partner, new_key, actor=actor)  # commits, with its own audit event
        else:
            db.session.commit()
    except (PartnerKeyError, IntegrityError):  # taken, now or by a concurrent request a moment ago
        db.session.rollback()
        raise PartnershipError("partner_key", f"{new_key!r} {KEY_TAKEN}", 409) from None
    return partner


def archive(partner: Partner, actor=None) -> Partner:
    """DELETE archives: out of the Network API's lists by default, still readable by its key, its data kept.

    Only the Network API reads the mark: the partner's portal sign-in and tracking go on (staff change
    a partner's status in the staff console). The built-in test partner cannot be archived."""
    if partner.partner_key == BUILT_IN_TEST_PARTNER_KEY:
        raise PartnershipError("partnership", f"the built-in test partner {BUILT_IN_TEST_PARTNER_KEY} cannot be "
                                              "archived: every installation keeps it for test customers", 409)
    if partner.archived_at is None:
        partner.archived_at = partner.updated_at = utcnow()
        audit.record("partnership.archived", actor=actor, target=partner,
                     detail={"partnership_key": partner.partnership_key})
        db.session.commit()
    return partner


def _group(key: str) -> PartnerGroup:
    group = queries.group_by_key(key)
    if group is None:
        raise PartnershipError("group_key", "no group has this key (see GET /api/v2/groups)")
    return group
