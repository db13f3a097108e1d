"""Settings → Integrations: list, issue (the secret is shown once) and revoke Network API key pairs; the issue
and revoke pages both kinds of Integrations key share."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.queries import keys as key_queries
from portal.services.everflow_keys import keys as eflow_keys
from portal.services.keys import KeyActionError
from portal.services.network_keys import issue_pair, pairs, revoke_pair
from portal.web.guards import requires
from portal.web.security import NO_STORE
from portal.web.staff.blueprint import bp
from portal.web.staff.confirm_identity import needs_recent_confirmation
from portal.web.staff.key_forms import ConfirmForm
from portal.web.staff.network_key_forms import IssuePairForm

# The network's own back end can read and change every partnership: only full security control manages it.
PERMISSION = "security:full_control"


def _pair_or_404(pair_id: int):
    pair = key_queries.network_key(pair_id)
    if pair is None:
        abort(404)
    return pair


@bp.route("/settings/integrations")
@requires(PERMISSION)
def integrations():
    return render_template("staff/integrations.html", pairs=pairs(), eflow_keys=eflow_keys())


@bp.route("/settings/integrations/keys/new", methods=["GET", "POST"])
@requires(PERMISSION)
@needs_recent_confirmation(back="staff.issue_network_key")  # the new secret is shown in full once
def issue_network_key():
    form = IssuePairForm()
    return issue_page(form, lambda: issue_pair(form.mode.data, form.label.data, actor=current_user,
                                               ip=request.remote_addr),
                      "staff/network_key_new.html", "staff/network_key_issued.html", "pair")


@bp.route("/settings/integrations/keys/<int:pair_id>/revoke", methods=["GET", "POST"])
@requires(PERMISSION)
def revoke_network_key(pair_id: int):
    pair = _pair_or_404(pair_id)
    return revoke_page(pair, revoke_pair, f"Key pair “{pair.label}” revoked.", "staff/network_key_revoke.html",
                       "pair")


# The issue and revoke pages of both kinds of Integrations key (pairs here, network keys in eflow_keys).

def issue_page(form, issue, new_template: str, issued_template: str, name: str):
    """The form, or the issued key (its secret shown once, never cached) under `name` with `secret`.

    `issue()` issues from the valid form; a refusal (KeyActionError) is shown on the label field (the
    pair form's only other field, the mode, is held to its two choices by the form itself)."""
    status = 200
    if form.validate_on_submit():
        try:
            issued = issue()
        except KeyActionError as err:
            form.label.errors = [str(err)]
            status = 400
        else:
            return render_template(issued_template, **{name: issued.key}, secret=issued.secret), 200, NO_STORE
    elif request.method == "POST":
        status = 400
    return render_template(new_template, form=form), status


def revoke_page(key, revoke, revoked: str, template: str, name: str):
    """Confirm, then revoke (flashing `revoked` when this request revoked it) and go back to Integrations."""
    form = ConfirmForm()
    if form.validate_on_submit():
        if revoke(key, actor=current_user, ip=request.remote_addr):
            flash(f"{revoked} The next request made with it is refused.")
        return redirect(url_for("staff.integrations"))
    page = render_template(template, **{name: key}, form=form)
    return page, 400 if request.method == "POST" else 200
