"""Settings → Integrations: issue (shown once) and revoke the Everflow-style Network API's keys (/v1/networks)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.services.everflow_keys import KeyActionError, issue_key, key_by_id, revoke_key
from portal.web.guards import requires
from portal.web.security import NO_STORE
from portal.web.staff.blueprint import bp
from portal.web.staff.key_forms import ConfirmForm
from portal.web.staff.network_key_forms import IssueEflowKeyForm
from portal.web.staff.network_keys import PERMISSION


@bp.route("/settings/integrations/eflow-keys/new", methods=["GET", "POST"])
@requires(PERMISSION)
def issue_eflow_key():
    form = IssueEflowKeyForm()
    status = 200
    if form.validate_on_submit():
        try:
            issued = issue_key(form.label.data, actor=current_user, ip=request.remote_addr)
        except KeyActionError as err:
            form.label.errors = [str(err)]
            status = 400
        else:
            page = render_template("staff/eflow_key_issued.html", key=issued.key, secret=issued.secret)
            return page, 200, NO_STORE
    elif request.method == "POST":
        status = 400
    return render_template("staff/eflow_key_new.html", form=form), status


@bp.route("/settings/integrations/eflow-keys/<int:eflow_key_id>/revoke", methods=["GET", "POST"])
@requires(PERMISSION)
def revoke_eflow_key(eflow_key_id: int):
    key = key_by_id(eflow_key_id)
    if key is None:
        abort(404)
    form = ConfirmForm()
    if form.validate_on_submit():
        if revoke_key(key, actor=current_user, ip=request.remote_addr):
            flash(f"Network key “{key.label}” revoked. The next request made with it is refused.")
        return redirect(url_for("staff.integrations"))
    page = render_template("staff/eflow_key_revoke.html", key=key, form=form)
    return page, 400 if request.method == "POST" else 200
