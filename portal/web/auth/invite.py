"""The page an invitation link opens: choose a name and a password; accepting signs the new user in."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from portal.models import StaffUser
from portal.services import invitations
from portal.web.auth.blueprint import bp
from portal.web.auth.link_forms import AcceptInvitationForm
from portal.web.auth.reset import link_invalid
from portal.web.security import NO_STORE
from portal.web.sessions import start_session


@bp.route("/invitation/<token>", methods=["GET", "POST"], endpoint="invitation")
def invitation_page(token: str):
    invitation = invitations.live_invitation(token)
    if invitation is None:
        return link_invalid()
    form = AcceptInvitationForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = invitations.accept(token, form.name.data, form.new_password.data, form.confirm_password.data,
                                      request.remote_addr)
        except invitations.InvitationInvalid:
            return link_invalid()
        except invitations.InvitationRefused as err:
            form.new_password.errors = [str(err)]
            status = 400
        else:
            start_session(user)
            flash("Welcome! Your account is ready.")
            return redirect(url_for("staff.home" if isinstance(user, StaffUser) else "partner.dashboard"))
    elif request.method == "POST":
        status = 400
    return render_template("auth/invitation.html", form=form, invitation=invitation,
                           title="Accept the invitation"), status, NO_STORE
