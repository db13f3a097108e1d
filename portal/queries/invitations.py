"""Invitations to read: a partner's own (partner id first), the staff ones, and whether an email is taken."""

from __future__ import annotations

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Invitation, PartnerUser, StaffUser
from portal.models.base import utcnow

MAX_ROW_ID = 2**63 - 1


def _pending():
    return (Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None))


def pending_partner_invitations(partner_id: int) -> list[Invitation]:
    """The partner's invitations not yet accepted or revoked (expired ones too, to resend), newest first."""
    stmt = (select(Invitation).where(Invitation.kind == "partner", Invitation.partner_id == partner_id, *_pending())
            .order_by(Invitation.created_at.desc(), Invitation.id.desc()))
    return list(db.session.scalars(stmt))


def partner_invitation(partner_id: int, invitation_id: int) -> Invitation | None:
    """One of the partner's own pending invitations; None for anyone else's (or a number past the ids)."""
    if not 0 < invitation_id <= MAX_ROW_ID:
        return None
    return db.session.scalar(select(Invitation).where(Invitation.id == invitation_id, Invitation.kind == "partner",
                                                      Invitation.partner_id == partner_id, *_pending()))


def pending_staff_invitations() -> list[Invitation]:
    stmt = (select(Invitation).where(Invitation.kind == "staff", *_pending())
            .order_by(Invitation.created_at.desc(), Invitation.id.desc()))
    return list(db.session.scalars(stmt))


def staff_invitation(invitation_id: int) -> Invitation | None:
    if not 0 < invitation_id <= MAX_ROW_ID:
        return None
    return db.session.scalar(select(Invitation).where(Invitation.id == invitation_id, Invitation.kind == "staff",
                                                      *_pending()))


def email_taken(kind: str, email: str) -> str | None:
    """Why this email cannot be invited as this kind of user: a user has it, or a live invitation does."""
    model = PartnerUser if kind == "partner" else StaffUser
    lowered = email.strip().lower()
    if db.session.scalar(select(model.id).where(func.lower(model.email) == lowered).limit(1)) is not None:
        return "user"
    live = select(Invitation.id).where(Invitation.kind == kind, func.lower(Invitation.email) == lowered,
                                       *_pending(), Invitation.expires_at > utcnow()).limit(1)
    return "invitation" if db.session.scalar(live) is not None else None
