"""Sign-in and sign-out for partner users and staff, plus optional staff single sign-on (OIDC)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from sqlalchemy import func, select

from portal.extensions import db, oauth
from portal.models import PartnerUser, StaffUser
from portal.models.base import utcnow
from portal.services import audit
from portal.services.signin import SignInError, authenticate
from portal.web.auth.forms import SignInForm, SignOutForm
from portal.web.auth.redirects import safe_next

bp = Blueprint("auth", __name__)


def _sign_in(model, form_template: str, home: str, prefix: str, title: str):
    form = SignInForm()
    status = 200
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    elif form.validate_on_submit():
        try:
            user = authenticate(model, form.email.data, form.password.data, ip=request.remote_addr)
        except SignInError as err:
            form.password.errors = [str(err)]
            status = 401
        else:
            _start_session(user)
            # A partner path must not be accepted by the staff form and vice versa.
            return redirect(safe_next(form.next.data, url_for(home), prefix))
    else:
        status = 400
    return render_template(form_template, form=form, title=title,
                           sso_enabled=current_app.config["OIDC_ENABLED"] and model is StaffUser,
                           sso_label=current_app.config["OIDC_BUTTON_LABEL"]), status


def _start_session(user) -> None:
    logout_user()
    session.clear()  # a fresh session: nothing carries over from another kind of user
    login_user(user)


@bp.route("/login", methods=["GET", "POST"])
def partner_login():
    return _sign_in(PartnerUser, "auth/login.html", "partner.dashboard", "/", "Partner sign-in")


@bp.route("/staff/login", methods=["GET", "POST"])
def staff_login():
    return _sign_in(StaffUser, "auth/login.html", "staff.home", "/staff", "Staff sign-in")


@bp.route("/logout", methods=["POST"])
def logout():
    form = SignOutForm()
    if not form.validate_on_submit():
        abort(400)
    was_staff = isinstance(current_user._get_current_object(), StaffUser)
    logout_user()
    session.clear()
    flash("You are signed out.")
    return redirect(url_for("auth.staff_login" if was_staff else "auth.partner_login"))


def register_sso(app) -> None:
    """Register the OIDC client and its two routes only when single sign-on is configured."""
    if not app.config["OIDC_ENABLED"]:
        return
    issuer = app.config["OIDC_ISSUER"].rstrip("/")
    oauth.register(
        "staff_sso",
        client_id=app.config["OIDC_CLIENT_ID"],
        client_secret=app.config["OIDC_CLIENT_SECRET"],
        server_metadata_url=f"{issuer}/.well-known/openid-configuration",
        client_kwargs={"scope": "openid email profile"},
    )
    app.add_url_rule("/staff/sso/login", "auth.sso_login", sso_login)
    app.add_url_rule("/staff/sso/callback", "auth.sso_callback", sso_callback)


def sso_login():
    return oauth.staff_sso.authorize_redirect(url_for("auth.sso_callback", _external=True))


def sso_callback():
    """Sign in the staff user the IdP vouches for; only existing, active staff accounts are accepted."""
    from authlib.integrations.base_client.errors import OAuthError

    try:
        token = oauth.staff_sso.authorize_access_token()
    except OAuthError:
        flash("Single sign-on did not complete. Please try again.")
        return redirect(url_for("auth.staff_login")), 302
    claims = token.get("userinfo") or {}
    email = (claims.get("email") or "").strip().lower()
    user = None
    if email and claims.get("email_verified", True):
        user = db.session.scalar(select(StaffUser).where(func.lower(StaffUser.email) == email))
    subject = claims.get("sub")
    if user is not None and user.oidc_subject and user.oidc_subject != subject:
        user = None  # the email now belongs to another identity at the IdP
    if user is None or not user.active:
        flash("Your single sign-on account has no access to this staff console.")
        return redirect(url_for("auth.staff_login"))
    if user.oidc_subject is None:
        user.oidc_subject = subject
    user.last_login_at = utcnow()
    audit.record("signin.sso", actor=user, ip=request.remote_addr)
    db.session.commit()
    _start_session(user)
    return redirect(url_for("staff.home"))
