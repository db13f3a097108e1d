"""Settings → Integrations: issue (shown once) and revoke the Everflow-style Network API's keys (/v1/networks)."""

from __future__ import annotations

from flask import abort, request
from flask_login import current_user

from portal.services.everflow_keys import issue_key, key_by_id, revoke_key
from portal.web.guards import requires
from portal.web.staff.blueprint import bp
from portal.web.staff.confirm_identity import needs_recent_confirmation
from portal.web.staff.network_key_forms import IssueEflowKeyForm
from portal.web.staff.network_keys import PERMISSION, issue_page, revoke_page


@bp.route("/settings/integrations/eflow-keys/new", methods=["GET", "POST"])
@requires(PERMISSION)
@needs_recent_confirmation(back="staff.issue_eflow_key")  # the new key is shown in full once
def issue_eflow_key():
    form = IssueEflowKeyForm()
    return issue_page(form, lambda: issue_key(form.label.data, actor=current_user, ip=request.remote_addr),
                      "staff/eflow_key_new.html", "staff/eflow_key_issued.html", "key")


@bp.route("/settings/integrations/eflow-keys/<int:eflow_key_id>/revoke", methods=["GET", "POST"])
@requires(PERMISSION)
def revoke_eflow_key(eflow_key_id: int):
    key = key_by_id(eflow_key_id)
    if key is None:
        abort(404)
    return revoke_page(key, revoke_key, f"Network key “{key.label}” revoked.", "staff/eflow_key_revoke.html", "key")
