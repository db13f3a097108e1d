"""Partners → Manage → partner → Overview: link the partner to its affiliate on the upstream network."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user

from portal.queries import partners as partner_queries
from portal.services.upstream_links import LinkTaken, link
from portal.web.guards import requires
from portal.web.staff.blueprint import bp
from portal.web.staff.forms import UpstreamLinkForm


@bp.route("/partners/<int:partner_id>/upstream-link", methods=["POST"])
@requires("partners:manage")
def upstream_link(partner_id: int):
    partner = partner_queries.partner(partner_id)
    if partner is None:
        abort(404)
    form = UpstreamLinkForm()
    back = redirect(url_for("staff.partner", partner_id=partner.id))
    if not form.validate_on_submit():
        flash("The upstream affiliate id must be a whole number above 0 (or empty, to unlink).", "error")
        return back
    wanted = form.upstream_affiliate_id.data
    try:
        changed = link(partner, wanted, actor=current_user, ip=request.remote_addr)
    except LinkTaken as err:
        flash(str(err), "error")
        return back
    if not changed:
        flash("Nothing changed.")
    elif wanted is None:
        flash("The partner is no longer linked to an upstream affiliate.")
    else:
        flash(f"The partner is now linked to upstream affiliate {wanted}.")
    return back
