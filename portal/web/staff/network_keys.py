"""Settings → Integrations: list, issue (the secret is shown once) and revoke Network API key pairs."""

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
def issue_network_key():
    form = IssuePairForm()
    status = 200
    if form.validate_on_submit():
        try:
            issued = issue_pair(form.mode.data, form.label.data, actor=current_user, ip=request.remote_addr)
        except KeyActionError as err:
            form.label.errors = [str(err)]  # the form already holds the mode to its two choices
            status = 400
        else:
            page = render_template("staff/network_key_issued.html", pair=issued.key, secret=issued.secret)
            return page, 200, NO_STORE
    elif request.method == "POST":
        status = 400
    return render_template("staff/network_key_new.html", form=form), status


@bp.route("/settings/integrations/keys/<int:pair_id>/revoke", methods=["GET", "POST"])
@requires(PERMISSION)
def revoke_network_key(pair_id: int):
    pair = _pair_or_404(pair_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        if revoke_pair(pair, actor=current_user, ip=request.remote_addr):
            flash(f"Key pair “{pair.label}” revoked. The next request made with it is refused.")
        return redirect(url_for("staff.integrations"))
    page = render_template("staff/network_key_revoke.html", pair=pair, form=form)
    return page, 400 if request.method == "POST" else 200
