"""My Account → Users, the partner admin's team: users with role and status, invitations by email with a
role, role changes, deactivation, and resending or revoking a pending invitation. Every id is looked up
within the signed-in user's own partner, so another partner's user or invitation is a 404."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from portal.domain.clock import utcnow
from portal.domain.errors import InvitationRefused, TeamChangeRefused
from portal.domain.roles import ROLE_LABELS
from portal.web.auth.link_forms import ButtonForm, InviteForm, RoleForm
from portal.web.partner.blueprint import bp


def _page(form: InviteForm | None = None, status: int = 200):
    return render_template("partner/account_users.html", users=g.scope.team(),
                           invitations=g.scope.pending_invitations(), form=form or InviteForm(),
                           role_form=RoleForm(), button=ButtonForm(), roles=ROLE_LABELS, now=utcnow()), status


def _by() -> dict:
    """Who acts, for the audit log and the invitation mail: the signed-in user, from this address."""
    return {"by": current_user._get_current_object(), "ip": request.remote_addr}


def _own_user(user_id: int):
    user = g.scope.team_member(user_id)
    if user is None:
        abort(404)
    return user


def _own_invitation(invitation_id: int):
    invitation = g.scope.invitation(invitation_id)
    if invitation is None:
        abort(404)
    return invitation


@bp.route("/account/users")
def account_users():
    return _page()


@bp.route("/account/users/invite", methods=["POST"])
def team_invite():
    form = InviteForm()
    if not form.validate_on_submit():
        return _page(form, 400)
    try:
        g.scope.invite(form.email.data, form.role.data, **_by())
    except InvitationRefused as err:
        form.email.errors = [str(err)]
        return _page(form, 400)
    flash(f"Invitation sent to {form.email.data.strip().lower()}.")
    return redirect(url_for("partner.account_users"))


@bp.route("/account/users/<int:user_id>/role", methods=["POST"])
def team_role(user_id: int):
    user = _own_user(user_id)
    form = RoleForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        g.scope.change_role(user, form.role.data, **_by())
    except TeamChangeRefused as err:
        flash(str(err))
        return _page(status=409)
    flash(f"{user.email} is now {ROLE_LABELS[user.role]}.")
    return redirect(url_for("partner.account_users"))


def _set_active(user_id: int, active: bool):
    user = _own_user(user_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        g.scope.set_active(user, active, **_by())
    except TeamChangeRefused as err:
        flash(str(err))
        return _page(status=409)
    flash(f"{user.email} is {'active again' if active else 'deactivated and signed out'}.")
    return redirect(url_for("partner.account_users"))


@bp.route("/account/users/<int:user_id>/deactivate", methods=["POST"])
def team_deactivate(user_id: int):
    return _set_active(user_id, False)


@bp.route("/account/users/<int:user_id>/reactivate", methods=["POST"])
def team_reactivate(user_id: int):
    return _set_active(user_id, True)


@bp.route("/account/invitations/<int:invitation_id>/resend", methods=["POST"])
def team_invitation_resend(invitation_id: int):
    invitation = _own_invitation(invitation_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    g.scope.resend_invitation(invitation, **_by())
    flash(f"Invitation sent again to {invitation.email}; the earlier link no longer works.")
    return redirect(url_for("partner.account_users"))


@bp.route("/account/invitations/<int:invitation_id>/revoke", methods=["POST"])
def team_invitation_revoke(invitation_id: int):
    invitation = _own_invitation(invitation_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    g.scope.revoke_invitation(invitation, **_by())
    flash(f"The invitation to {invitation.email} is revoked.")
    return redirect(url_for("partner.account_users"))
