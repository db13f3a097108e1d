"""Confirm your identity (`/staff/confirm-identity`): staff give their password, and a code when two-factor is
on, before a secret is shown in full; views that show one are marked with needs_recent_confirmation."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from portal.domain.durations import friendly_duration
from portal.services import identity_confirmation
from portal.web.auth.redirects import safe_next
from portal.web.guards import ANY_STAFF, requires
from portal.web.security import NO_STORE
from portal.web.sessions import current_token, identity_confirmed_at
from portal.web.staff.blueprint import bp
from portal.web.staff.identity_forms import MAX_NEXT, ConfirmIdentityForm

CONFIRM_FIRST = "Confirm your identity to see this in full."


def needs_recent_confirmation(back: str) -> Callable:
    """Mark a staff view that shows (or makes and shows) a secret: it runs only within the window after a
    confirmation made in this session. Otherwise nothing is revealed: a page gets a redirect to the
    confirmation, whose `next` is `back` (the endpoint of the page with the button, filled with the view's
    partner_id when it has one; the user presses the button again), and a script asking for JSON gets 401 with
    the confirmation's address."""

    def mark(view: Callable) -> Callable:
        @wraps(view)
        def confirmed_first(**values):
            if identity_confirmation.is_recent(identity_confirmed_at()):
                return view(**values)
            page = url_for(back, **{name: values[name] for name in ("partner_id",) if name in values})
            target = url_for("staff.confirm_identity", next=page)
            if request.accept_mimetypes.best == "application/json":
                return jsonify({"error": CONFIRM_FIRST, "confirm_url": target}), 401, NO_STORE
            flash(CONFIRM_FIRST)
            return redirect(target, 303)

        return confirmed_first

    return mark


def _back(raw: object) -> str:
    """A console path to return to: the one asked for when it is ours, else the console's home."""
    text = raw if isinstance(raw, str) and len(raw) <= MAX_NEXT else None
    return safe_next(text, url_for("staff.home"), "/staff/")


@bp.route("/confirm-identity", methods=["GET", "POST"])
@requires(ANY_STAFF)
def confirm_identity():
    user = current_user._get_current_object()
    asks = identity_confirmation.asks_for(user)
    form = ConfirmIdentityForm()
    status, headers = 200, dict(NO_STORE)
    if request.method == "GET":
        form.next.data = _back(request.args.get("next"))
    elif not form.validate_on_submit():
        status = 400
    elif asks.password and not form.password.data:
        form.password.errors = ["Enter your password."]
        status = 400
    elif asks.code and not form.code.data:
        form.code.errors = ["Enter the 6-digit code from your app, or a recovery code."]
        status = 400
    else:
        try:
            identity_confirmation.confirm(user, current_token(), form.password.data or "", form.code.data or "",
                                          ip=request.remote_addr)
        except identity_confirmation.ConfirmationPaused as err:
            form.password.errors = [str(err)]
            status = 429
            headers["Retry-After"] = str(err.seconds)
        except identity_confirmation.ConfirmationRefused as err:
            (form.code if str(err) == identity_confirmation.WRONG_CODE else form.password).errors = [str(err)]
            status = 401 if asks.possible else 403
        else:
            window = friendly_duration(int(identity_confirmation.window().total_seconds()))
            flash(f"Identity confirmed: for the next {window} you can show secrets in full without confirming again.")
            return redirect(_back(form.next.data), 303)
    page = render_template("staff/confirm_identity.html", form=form, asks=asks,
                           back=_back(form.next.data))
    return page, status, headers
