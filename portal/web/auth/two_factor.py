"""The second step of signing in, for users with two-factor on: a code from their app or a recovery code."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for

from portal.services import pending_sign_in
from portal.services.lockout import SignInError, SignInPaused
from portal.web.auth.blueprint import bp
from portal.web.auth.redirects import safe_next
from portal.web.auth.two_factor_forms import SecondStepForm
from portal.web.sessions import start_session

PENDING_KEY = "pending_sign_in"  # the cookie's entry holding the pending sign-in's token
_GONE = "Your sign-in timed out. Please sign in again."


def remember_pending(token: str) -> None:
    session[PENDING_KEY] = token


def paused_headers(err: SignInPaused) -> dict[str, str]:
    return {"Retry-After": str(err.seconds)}


def _second_step(kind: str, login_endpoint: str, home: str, prefix: str, title: str):
    token = session.get(PENDING_KEY)
    if pending_sign_in.waiting(token, kind) is None:
        flash(_GONE)
        return redirect(url_for(login_endpoint))
    form = SecondStepForm()
    status, headers = 200, {}
    if form.validate_on_submit():
        try:
            user, next_path = pending_sign_in.complete(token, kind, form.code.data, ip=request.remote_addr)
        except pending_sign_in.PendingSignInGone:
            flash(_GONE)
            return redirect(url_for(login_endpoint))
        except SignInPaused as err:
            form.code.errors = [str(err)]
            status, headers = 429, paused_headers(err)
        except SignInError as err:
            form.code.errors = [str(err)]
            status = 401
        else:
            start_session(user, method="two_factor")  # a fresh cookie: the pending token goes with the old one
            return redirect(safe_next(next_path, url_for(home), prefix))
    elif request.method == "POST":
        status = 400
    return render_template("auth/two_factor.html", form=form, title=title,
                           login_endpoint=login_endpoint), status, headers


@bp.route("/login/two-factor", methods=["GET", "POST"])
def partner_two_factor():
    return _second_step("partner", "auth.partner_login", "partner.dashboard", "/", "Partner sign-in")


@bp.route("/staff/login/two-factor", methods=["GET", "POST"])
def staff_two_factor():
    return _second_step("staff", "auth.staff_login", "staff.home", "/staff", "Staff sign-in")
