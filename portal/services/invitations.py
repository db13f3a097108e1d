"""Invitations: partner admins invite teammates, staff invite partner users and staff users. The mail holds
a single-use, expiring link (only its hash is kept); accepting it creates the active user. Audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from portal.delivery import mail
from portal.domain.errors import InvitationRefused
from portal.domain.roles import API_KEYS, ROLE_LABELS, ROLES, TEAM, role_can
from portal.extensions import db
from portal.models import KEY_PERMISSIONS, PERMISSIONS, Invitation, Partner, PartnerUser, StaffUser
from portal.models.base import utcnow
from portal.queries.invitations import email_taken
from portal.services import audit
from portal.services.mail_messages import absolute_url, compose
from portal.services.passwords import MIN_PASSWORD_LENGTH, hash_password
from portal.services.tokens import new_token, token_hash, well_formed

MAX_NAME = 200


class InvitationInvalid(Exception):
    """Unknown, expired, revoked or already accepted: the page says only that."""


@dataclass(frozen=True)
class Inviter:
    """Who invites, for the audit log and the message: a partner user or a staff user."""

    user: PartnerUser | StaffUser
    ip: str | None


def invite_partner_user(partner: Partner, email: str, role: str, by: Inviter) -> Invitation:
    """Invite `email` to `partner` with `role` (a partner admin: their own partner; staff: any)."""
    if role not in ROLES:
        raise InvitationRefused("Choose one of the roles.")
    if role_can(role, API_KEYS) and isinstance(by.user, StaffUser) and not by.user.can_any(*KEY_PERMISSIONS):
        # An admin reads the company's API keys: inviting one is revealing a key, which needs a key permission.
        raise InvitationRefused("Inviting a partner admin, who sees the company's API keys, needs the Security or "
                                "Accounts-history permission; choose a narrower role.")
    _check_free("partner", email)
    invitation = Invitation(kind="partner", partner_id=partner.id, email=email.strip().lower(), role=role)
    return _issue(invitation, by, what=f"{partner.name} ({ROLE_LABELS[role]})")


def invite_staff_user(email: str, permissions: list[str], by: Inviter) -> Invitation:
    unknown = [p for p in permissions if p not in PERMISSIONS]
    if unknown:
        raise InvitationRefused(f"Unknown permission {unknown[0]!r}.")
    _check_free("staff", email)
    beyond = sorted(set(permissions) - set(getattr(by.user, "permissions", None) or []))
    if isinstance(by.user, StaffUser) and beyond:
        raise InvitationRefused(f"You can grant only permissions you hold yourself; not {beyond[0]!r}.")
    invitation = Invitation(kind="staff", email=email.strip().lower(), permissions=sorted(set(permissions)))
    return _issue(invitation, by, what="the staff console")


def resend(invitation: Invitation, by: Inviter) -> None:
    """A fresh link (the old one stops working) and a fresh expiry, mailed again."""
    token = _arm(invitation)
    audit.record("invitation.resent", actor=by.user, target=invitation, ip=by.ip, detail={"email": invitation.email})
    db.session.commit()
    mail.send(_message(invitation, token, by, _what(invitation)))


def revoke(invitation: Invitation, by: Inviter) -> None:
    invitation.revoked_at = utcnow()
    audit.record("invitation.revoked", actor=by.user, target=invitation, ip=by.ip, detail={"email": invitation.email})
    db.session.commit()


def live_invitation(token: object) -> Invitation | None:
    """The pending, unexpired invitation this token names, or None."""
    if not well_formed(token):
        return None
    found = db.session.scalar(select(Invitation).where(Invitation.token_hash == token_hash(token)))
    if found is None or found.accepted_at is not None or found.revoked_at is not None or found.expires_at <= utcnow():
        return None
    if found.kind == "partner" and found.partner_id is None:
        return None
    return found if _inviter_still_may(found) else None


# What inviting needs; checked when the invitation is made and again when it is accepted.
STAFF_INVITES = "security:full_control"
PARTNER_INVITES = "partners:manage"


def _inviter_still_may(invitation: Invitation) -> bool:
    """An invitation is worth no more than its inviter now: one whose inviter left, or lost the right to make
    it, no longer opens anything."""
    if invitation.invited_by_kind == "staff":
        inviter = db.session.get(StaffUser, invitation.invited_by_id) if invitation.invited_by_id else None
        if inviter is None or not inviter.active:
            return False
        if invitation.kind == "staff":
            return inviter.can(STAFF_INVITES) and set(invitation.permissions or []) <= set(inviter.permissions or [])
        return inviter.can(PARTNER_INVITES) and (not role_can(invitation.role, API_KEYS)
                                                 or inviter.can_any(*KEY_PERMISSIONS))
    if invitation.invited_by_kind == "partner":
        inviter = db.session.get(PartnerUser, invitation.invited_by_id) if invitation.invited_by_id else None
        return (inviter is not None and inviter.active and inviter.partner_id == invitation.partner_id
                and role_can(inviter.role, TEAM))
    return True  # made by the operator's command line


def accept(token: object, name: str, password: str, confirm: str, ip: str | None) -> PartnerUser | StaffUser:
    """Create the active user the invitation names (audited); the caller signs them in."""
    invitation = live_invitation(token)
    if invitation is None:
        raise InvitationInvalid()
    name = name.strip()
    if not name or len(name) > MAX_NAME:
        raise InvitationRefused(f"Give your name (at most {MAX_NAME} characters).")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvitationRefused(f"The password must be at least {MIN_PASSWORD_LENGTH} characters long.")
    if password != confirm:
        raise InvitationRefused("The password and its confirmation differ.")
    if email_taken(invitation.kind, invitation.email) == "user":
        raise InvitationRefused("An account with this email exists already: sign in, or ask for a new password.")
    claimed = db.session.execute(update(Invitation).where(Invitation.id == invitation.id,
                                                          Invitation.accepted_at.is_(None),
                                                          Invitation.revoked_at.is_(None))
                                 .values(accepted_at=utcnow()))
    if claimed.rowcount != 1:  # accepted by a parallel request a moment ago
        db.session.rollback()
        raise InvitationInvalid()
    if invitation.kind == "partner":
        user = PartnerUser(partner_id=invitation.partner_id, email=invitation.email, name=name,
                           password_hash=hash_password(password), role=invitation.role)
    else:
        user = StaffUser(email=invitation.email, name=name, password_hash=hash_password(password),
                         permissions=list(invitation.permissions or []))
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError:  # the email became a user's between the check and now
        db.session.rollback()
        raise InvitationRefused("An account with this email exists already: sign in, or ask for a new password.")
    invitation.accepted_user_id = user.id
    audit.record("invitation.accepted", actor=user, target=invitation, ip=ip, detail={"email": invitation.email})
    db.session.commit()
    return user


def _check_free(kind: str, email: str) -> None:
    taken = email_taken(kind, email)
    if taken == "user":
        raise InvitationRefused("A user with this email exists already.")
    if taken == "invitation":
        raise InvitationRefused("This email has a pending invitation already: resend or revoke it instead.")


def _issue(invitation: Invitation, by: Inviter, what: str) -> Invitation:
    invitation.invited_by_kind = by.user.session_kind
    invitation.invited_by_id = by.user.id
    token = _arm(invitation)
    db.session.add(invitation)
    db.session.flush()
    audit.record("invitation.created", actor=by.user, target=invitation, ip=by.ip,
                 detail={"email": invitation.email, "kind": invitation.kind, "partner_id": invitation.partner_id,
                         "role": invitation.role, "permissions": invitation.permissions or []})
    db.session.commit()
    mail.send(_message(invitation, token, by, what))
    return invitation


def _arm(invitation: Invitation) -> str:
    """A new token and expiry for the invitation; the token (only its hash is kept)."""
    token, hashed = new_token()
    now = utcnow()
    invitation.token_hash = hashed
    invitation.sent_at = now
    invitation.expires_at = now + timedelta(seconds=current_app.config["INVITATION_TTL"])
    return token


def _what(invitation: Invitation) -> str:
    if invitation.kind == "staff":
        return "the staff console"
    partner = db.session.get(Partner, invitation.partner_id)
    return f"{partner.name} ({ROLE_LABELS.get(invitation.role or '', invitation.role)})"


def _message(invitation: Invitation, token: str, by: Inviter, what: str):
    days = current_app.config["INVITATION_TTL"] / 86400
    return compose(invitation.email, "You are invited", "invitation", link=absolute_url("auth.invitation",
                                                                                        token=token),
                   inviter=by.user.name or by.user.email, what=what,
                   expires=f"{days:g} day{'' if days == 1 else 's'}" if days >= 1 else f"{days * 24:g} hours")
