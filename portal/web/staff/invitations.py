"""Staff invite people: partner users to a chosen partner with a role (`partners:manage`), and staff users
with permissions (`security:full_control`, since permissions are what guards keys and settings); both can
resend or revoke a pending invitation."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.domain.roles import ROLE_LABELS
from portal.models.base import utcnow
from portal.queries import accounts
from portal.queries import partners as partner_queries
from portal.queries.invitations import (partner_invitation, pending_partner_invitations, pending_staff_invitations,
                                        staff_invitation)
from portal.services import invitations
from portal.services.invitations import PARTNER_INVITES, STAFF_INVITES
from portal.web.auth.link_forms import ButtonForm, InviteForm, StaffInviteForm
from portal.web.guards import requires
from portal.web.staff.blueprint import bp
from portal.web.staff.views import PARTNER_TABS


def _inviter() -> invitations.Inviter:
    return invitations.Inviter(current_user._get_current_object(), request.remote_addr)


def _partner(partner_id: int):
    found = partner_queries.partner(partner_id)
    if found is None:
        abort(404)
    return found


def _users_tab(partner, form: InviteForm, status: int):
    return render_template("staff/partner_users.html", partner=partner, tab="users",
                           tabs=PARTNER_TABS,
                           users=accounts.partner_users(partner.id), invitations=pending_partner_invitations(partner.id),
                           invite_form=form, button=ButtonForm(), roles=ROLE_LABELS, now=utcnow()), status


@bp.route("/partners/<int:partner_id>/users/invite", methods=["POST"])
@requires(PARTNER_INVITES)
def invite_partner_user(partner_id: int):
    partner = _partner(partner_id)
    form = InviteForm()
    if not form.validate_on_submit():
        return _users_tab(partner, form, 400)
    try:
        invitations.invite_partner_user(partner, form.email.data, form.role.data, _inviter())
    except invitations.InvitationRefused as err:
        form.email.errors = [str(err)]
        return _users_tab(partner, form, 400)
    flash(f"Invitation sent to {form.email.data.strip().lower()}.")
    return redirect(url_for("staff.partner", partner_id=partner.id, tab="users"))


def _partner_invitation_action(partner_id: int, invitation_id: int, action: str):
    partner = _partner(partner_id)
    return _act_on(partner_invitation(partner.id, invitation_id), action,
                   url_for("staff.partner", partner_id=partner.id, tab="users"))


@bp.route("/partners/<int:partner_id>/invitations/<int:invitation_id>/resend", methods=["POST"])
@requires(PARTNER_INVITES)
def resend_partner_invitation(partner_id: int, invitation_id: int):
    return _partner_invitation_action(partner_id, invitation_id, "resend")


@bp.route("/partners/<int:partner_id>/invitations/<int:invitation_id>/revoke", methods=["POST"])
@requires(PARTNER_INVITES)
def revoke_partner_invitation(partner_id: int, invitation_id: int):
    return _partner_invitation_action(partner_id, invitation_id, "revoke")


def _staff_page(form: StaffInviteForm | None = None, status: int = 200):
    return render_template("staff/staff_users.html", users=accounts.staff_users(),
                           invitations=pending_staff_invitations(), form=form or StaffInviteForm(),
                           button=ButtonForm(), now=utcnow()), status


@bp.route("/staff-users")
@requires(STAFF_INVITES)
def staff_users():
    return _staff_page()


@bp.route("/staff-users/invite", methods=["POST"])
@requires(STAFF_INVITES)
def invite_staff_user():
    form = StaffInviteForm()
    if not form.validate_on_submit():
        return _staff_page(form, 400)
    try:
        invitations.invite_staff_user(form.email.data, form.permissions.data or [], _inviter())
    except invitations.InvitationRefused as err:
        form.email.errors = [str(err)]
        return _staff_page(form, 400)
    flash(f"Invitation sent to {form.email.data.strip().lower()}.")
    return redirect(url_for("staff.staff_users"))


def _staff_invitation_action(invitation_id: int, action: str):
    return _act_on(staff_invitation(invitation_id), action, url_for("staff.staff_users"))


def _act_on(invitation, action: str, back: str):
    """Resend or revoke one pending invitation (None: not found, or not this page's), then go back."""
    if invitation is None:
        abort(404)
    if not ButtonForm().validate_on_submit():
        abort(400)
    getattr(invitations, action)(invitation, _inviter())
    flash(f"The invitation to {invitation.email} is {'sent again' if action == 'resend' else 'revoked'}.")
    return redirect(back)


@bp.route("/staff-users/invitations/<int:invitation_id>/resend", methods=["POST"])
@requires(STAFF_INVITES)
def resend_staff_invitation(invitation_id: int):
    return _staff_invitation_action(invitation_id, "resend")


@bp.route("/staff-users/invitations/<int:invitation_id>/revoke", methods=["POST"])
@requires(STAFF_INVITES)
def revoke_staff_invitation(invitation_id: int):
    return _staff_invitation_action(invitation_id, "revoke")
