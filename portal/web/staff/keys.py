"""Partners → Manage → partner → API: issue, reveal, revoke, allowlist and export partner keys."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Response, abort, flash, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user

from portal.domain.keys import masked
from portal.exports.keys import keys_frame
from portal.exports.tabular import csv_chunks, json_chunks
from portal.models import KEY_PERMISSIONS
from portal.queries import partners as partner_queries
from portal.services.allowlists import AllowlistError
from portal.services.keys import (KeyActionError, issue_key, partner_risks, plaintext, reveal_key, revoke_key,
                                  set_allowlist)
from portal.web.guards import requires
from portal.web.security import NO_STORE
from portal.web.staff.blueprint import bp
from portal.web.staff.confirm_identity import needs_recent_confirmation
from portal.web.staff.key_forms import AllowlistForm, ConfirmForm, IssueKeyForm
from portal.web.staff.views import PARTNER_TABS

_NEW_KEY = "staff.new_key_id"  # session slot: show a just-issued key once, to its issuer


def _partner_or_404(partner_id: int):
    partner = partner_queries.partner(partner_id)
    if partner is None:
        abort(404)
    return partner


def _key_or_404(partner_id: int, key_id: int):
    key = partner_queries.partner_key(partner_id, key_id)
    if key is None:
        abort(404)  # another partner's key is not found here either
    return key


@bp.route("/partners/<int:partner_id>/api")
@requires("partners:view")
def partner_api(partner_id: int):
    partner = _partner_or_404(partner_id)
    new_key = None
    new_id = session.pop(_NEW_KEY, None)
    if new_id is not None and current_user.can_any(*KEY_PERMISSIONS):
        issued = partner_queries.partner_key(partner_id, new_id)
        new_key = (issued, plaintext(issued)) if issued else None
    page = render_template(
        "staff/partner_api.html", partner=partner, tab="api", tabs=PARTNER_TABS,
        keys=partner_queries.partner_keys(partner_id), masked=masked, new_key=new_key,
        can_manage_keys=current_user.can_any(*KEY_PERMISSIONS), risks=partner_risks(partner),
        issue_form=IssueKeyForm(), confirm_form=ConfirmForm(),
    )
    return page, 200, NO_STORE


@bp.route("/partners/<int:partner_id>/api/keys/new", methods=["GET", "POST"])
@requires(*KEY_PERMISSIONS)
@needs_recent_confirmation(back="staff.issue_partner_key")  # the new key is shown in full once
def issue_partner_key(partner_id: int):
    partner = _partner_or_404(partner_id)
    form = IssueKeyForm()
    risks = partner_risks(partner)
    status = 200
    if form.validate_on_submit():
        try:
            issued = issue_key(partner, form.label.data, actor=current_user, ip=request.remote_addr,
                               acknowledged_risk=form.acknowledge_risk.data)
        except KeyActionError as err:
            form.acknowledge_risk.errors = [str(err)]
            status = 400
        else:
            session[_NEW_KEY] = issued.key.id
            flash(f"API key “{issued.key.label}” created.")
            return redirect(url_for("staff.partner_api", partner_id=partner_id))
    elif request.method == "POST":
        status = 400
    return render_template("staff/key_new.html", partner=partner, form=form, risks=risks), status


@bp.route("/partners/<int:partner_id>/api/keys/<int:key_id>/reveal", methods=["POST"])
@requires(*KEY_PERMISSIONS)
@needs_recent_confirmation(back="staff.partner_api")
def reveal_partner_key(partner_id: int, key_id: int):
    key = _key_or_404(partner_id, key_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    secret = reveal_key(key, current_user, ip=request.remote_addr)
    if request.accept_mimetypes.best == "application/json":
        return jsonify({"key": secret}), 200, NO_STORE
    page = render_template("staff/key_revealed.html", partner=_partner_or_404(partner_id), key=key, secret=secret)
    return page, 200, NO_STORE


@bp.route("/partners/<int:partner_id>/api/keys/<int:key_id>/revoke", methods=["GET", "POST"])
@requires(*KEY_PERMISSIONS)
def revoke_partner_key(partner_id: int, key_id: int):
    key = _key_or_404(partner_id, key_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        if revoke_key(key, current_user, ip=request.remote_addr):
            flash(f"API key “{key.label}” revoked. The next request made with it is refused.")
        return redirect(url_for("staff.partner_api", partner_id=partner_id))
    return render_template("staff/key_revoke.html", partner=_partner_or_404(partner_id), key=key,
                           form=form, masked=masked), 400 if request.method == "POST" else 200


@bp.route("/partners/<int:partner_id>/api/keys/<int:key_id>/allowlist", methods=["GET", "POST"])
@requires(*KEY_PERMISSIONS)
def edit_key_allowlist(partner_id: int, key_id: int):
    key = _key_or_404(partner_id, key_id)
    form = AllowlistForm()
    status = 200
    if request.method == "GET":
        form.allowlist.data = "\n".join(key.ip_allowlist or [])
    elif form.validate_on_submit():
        try:
            saved = set_allowlist(key, form.allowlist.data or "", current_user, ip=request.remote_addr)
        except AllowlistError as err:
            form.allowlist.errors = [str(err)]
            status = 400
        else:
            flash(f"IP allowlist of “{key.label}” saved: {', '.join(saved) if saved else 'any address'}.")
            return redirect(url_for("staff.partner_api", partner_id=partner_id))
    else:
        status = 400
    return render_template("staff/key_allowlist.html", partner=_partner_or_404(partner_id), key=key,
                           form=form, masked=masked), status


@bp.route("/partners/<int:partner_id>/api/export.<any(csv, json):fmt>")
@requires("partners:view")
def export_partner_keys(partner_id: int, fmt: str):
    partner = _partner_or_404(partner_id)
    frame = keys_frame(partner_queries.partner_keys(partner_id))
    chunks = csv_chunks([frame]) if fmt == "csv" else json_chunks([frame])
    filename = f"api_keys_{partner.partner_key}_{datetime.now(UTC):%Y-%m-%d}.{fmt}"
    mimetype = "text/csv; charset=utf-8" if fmt == "csv" else "application/json"
    return Response(b"".join(chunks), mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
