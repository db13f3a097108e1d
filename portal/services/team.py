"""A partner admin's team: change a teammate's role, deactivate or reactivate them. Audited; an admin
cannot leave the company without an active admin."""

from __future__ import annotations

from portal.domain.errors import TeamChangeRefused
from portal.domain.roles import ADMIN, ROLES
from portal.extensions import db
from portal.models import PartnerUser
from portal.queries.accounts import active_admin_count
from portal.services import audit, sessions


def change_role(user: PartnerUser, role: str, by: PartnerUser, ip: str | None) -> None:
    if role not in ROLES:
        raise TeamChangeRefused("Choose one of the roles.")
    if role == user.role:
        return
    if user.role == ADMIN and user.active:
        _keep_an_admin(user)
    old, user.role = user.role, role
    audit.record("partner_user.role_changed", actor=by, target=user, ip=ip, detail={"from": old, "to": role})
    db.session.commit()


def set_active(user: PartnerUser, active: bool, by: PartnerUser, ip: str | None) -> None:
    """Deactivating ends every session of the user at once."""
    if bool(user.active) == active:
        return
    if not active and user.role == ADMIN:
        _keep_an_admin(user)
    user.active = active
    audit.record("partner_user.activated" if active else "partner_user.deactivated", actor=by, target=user, ip=ip)
    if active:
        db.session.commit()
    else:
        sessions.end_others(user, None, reason="deactivated")  # commits the change with it


def _keep_an_admin(user: PartnerUser) -> None:
    if active_admin_count(user.partner_id) <= 1:
        raise TeamChangeRefused("The company needs at least one active admin: make someone else an admin first.")
