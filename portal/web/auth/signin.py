"""Sign-in and sign-out for partner users and staff, with their own forms."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.models import PartnerUser, StaffUser
from portal.services.pending_sign_in import SecondFactorRequired
from portal.services.signin import SignInError, SignInPaused, authenticate
from portal.web.auth.blueprint import bp
from portal.web.auth.forms import SignInForm, SignOutForm
from portal.web.auth.redirects import safe_next
from portal.web.auth.two_factor import paused_headers, remember_pending
from portal.web.sessions import end_session, start_session


def _sign_in(model, form_template: str, home: str, prefix: str, title: str, second_step: str):
    form = SignInForm()
    status, headers = 200, {}
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    elif form.validate_on_submit():
        # The staff form sends people only into the console; the partner form anywhere on this site.
        target = safe_next(form.next.data, url_for(home), prefix)
        try:
            user = authenticate(model, form.email.data, form.password.data, ip=request.remote_addr,
                                next_path=target)
        except SecondFactorRequired as step:
            remember_pending(step.token)
            return redirect(url_for(second_step))
        except SignInPaused as err:
            form.password.errors = [str(err)]
            status, headers = 429, paused_headers(err)
        except SignInError as err:
            form.password.errors = [str(err)]
            status = 401
        else:
            start_session(user)
            return redirect(target)
    else:
        status = 400
    return render_template(form_template, form=form, title=title,
                           sso_enabled=current_app.config["OIDC_ENABLED"] and model is StaffUser,
                           sso_label=current_app.config["OIDC_BUTTON_LABEL"]), status, headers


@bp.route("/login", methods=["GET", "POST"])
def partner_login():
    return _sign_in(PartnerUser, "auth/login.html", "partner.dashboard", "/", "Partner sign-in",
                    "auth.partner_two_factor")


@bp.route("/staff/login", methods=["GET", "POST"])
def staff_login():
    return _sign_in(StaffUser, "auth/login.html", "staff.home", "/staff", "Staff sign-in",
                    "auth.staff_two_factor")


@bp.route("/logout", methods=["POST"])
def logout():
    form = SignOutForm()
    if not form.validate_on_submit():
        abort(400)
    was_staff = isinstance(current_user._get_current_object(), StaffUser)
    end_session()
    flash("You are signed out.")
    return redirect(url_for("auth.staff_login" if was_staff else "auth.partner_login"))
