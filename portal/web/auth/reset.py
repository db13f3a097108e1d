"""Forgot password: the request form on both sign-in pages, and the page the mailed link opens."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from portal.models import PartnerUser, StaffUser
from portal.services import password_reset
from portal.web.auth.blueprint import bp
from portal.web.auth.link_forms import ForgotPasswordForm, NewPasswordForm
from portal.web.security import NO_STORE

SENT = ("If an account with that email exists, a link to set a new password is on its way. "
        "Check your inbox (and the spam folder); the link works once.")
LINK_INVALID = "This link has expired or was already used."


def _forgot(model, sign_in_endpoint: str, title: str):
    form = ForgotPasswordForm()
    status, sent = 200, False
    if form.validate_on_submit():
        try:
            password_reset.request_reset(model, form.email.data, request.remote_addr)
        except password_reset.TooManyRequests:
            abort(429, description="Too many requests from your address. Please try again in an hour.")
        sent = True
    elif request.method == "POST":
        status = 400
    return render_template("auth/forgot.html", form=form, sent=sent, message=SENT, title=title,
                           sign_in=sign_in_endpoint), status


@bp.route("/login/forgot", methods=["GET", "POST"])
def partner_forgot_password():
    return _forgot(PartnerUser, "auth.partner_login", "Forgot your password?")


@bp.route("/staff/login/forgot", methods=["GET", "POST"])
def staff_forgot_password():
    return _forgot(StaffUser, "auth.staff_login", "Forgot your staff password?")


@bp.route("/reset-password/<token>", methods=["GET", "POST"], endpoint="password_reset")
def password_reset_page(token: str):
    if password_reset.live_reset(token) is None:
        return link_invalid()
    form = NewPasswordForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = password_reset.complete_reset(token, form.new_password.data, form.confirm_password.data,
                                                 request.remote_addr)
        except password_reset.ResetLinkInvalid:
            return link_invalid()
        except password_reset.ResetRefused as err:
            form.new_password.errors = [str(err)]
            status = 400
        else:
            flash("Your password is set, and every session of your account is signed out. Sign in with the new one.")
            return redirect(url_for("auth.staff_login" if isinstance(user, StaffUser) else "auth.partner_login"))
    elif request.method == "POST":
        status = 400
    return render_template("auth/reset.html", form=form, title="Set a new password"), status, NO_STORE


def link_invalid():
    """One page for an unknown, expired, used or revoked link: it tells nothing about which."""
    return render_template("auth/link_invalid.html", title="Link expired", message=LINK_INVALID), 410, NO_STORE
