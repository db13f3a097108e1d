"""Staff conversion pages: a partner's recent conversions, a lookup by id, and approve/reject/hold.

Viewing needs partners:view; deciding needs partners:manage, the permission account managers hold for
acting on their partners' accounts (portal.models.accounts).
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import or_, select
from wtforms import HiddenField, SelectField
from wtforms.validators import DataRequired, Length

from portal.extensions import db
from portal.models import Conversion, Offer, Partner
from portal.queries import partners as partner_queries
from portal.services.conversion_status import STAFF_DECISIONS, change_status
from portal.web.auth.redirects import safe_next
from portal.web.forms import PageForm
from portal.web.guards import requires
from portal.web.staff.blueprint import bp
from portal.web.staff.views import PARTNER_TABS

RECENT_ROWS = 100
LOOKUP_ROWS = 50
MAX_QUERY = 100


class DecisionForm(PageForm):
    """One of the Approve / Reject / Hold buttons (each a submit named `status`), with a CSRF token."""

    conversion_id = HiddenField(validators=[DataRequired(), Length(max=64)])
    status = SelectField(choices=list(STAFF_DECISIONS))
    next = HiddenField()


def _rows(stmt, limit: int) -> list[tuple[Conversion, str, str]]:
    """Conversions with their partner's and offer's names, newest first."""
    stmt = (stmt.add_columns(Partner.name, Offer.name)
            .join(Partner, Partner.id == Conversion.partner_id)
            .join(Offer, Offer.id == Conversion.offer_id)
            .order_by(Conversion.created_at.desc(), Conversion.id.desc())
            .limit(limit))
    return [tuple(row) for row in db.session.execute(stmt)]


@bp.route("/conversions")
@requires("partners:view")
def conversion_lookup():
    query = request.args.get("q", "").strip()[:MAX_QUERY]
    rows = []
    if query:
        rows = _rows(select(Conversion).where(or_(
            Conversion.conversion_id == query.lower(), Conversion.transaction_id == query,
            Conversion.order_id == query)), LOOKUP_ROWS)
    return render_template("staff/conversions.html", query=query, rows=rows, **_decision_context())


@bp.route("/partners/<int:partner_id>/conversions")
@requires("partners:view")
def partner_conversions(partner_id: int):
    partner = partner_queries.partner(partner_id)
    if partner is None:
        abort(404)
    rows = _rows(select(Conversion).where(Conversion.partner_id == partner_id), RECENT_ROWS)
    return render_template("staff/partner_conversions.html", partner=partner, rows=rows, tab="conversions",
                           tabs=PARTNER_TABS, **_decision_context())


@bp.route("/conversions/decide", methods=["POST"])
@requires("partners:manage")
def decide_conversion():
    # The conversion id travels in the form, not the path: one URL for every decision, so that the
    # guard and CSRF walks of the URL map cover it without a sample id.
    form = DecisionForm()
    if not form.validate_on_submit():
        abort(400)
    conversion_id = form.conversion_id.data.strip().lower()
    conversion = db.session.scalar(select(Conversion).where(Conversion.conversion_id == conversion_id))
    if conversion is None:
        abort(404)
    if change_status(conversion, form.status.data, current_user, ip=request.remote_addr):
        flash(f"Conversion {conversion_id} is now {form.status.data.replace('_', ' ')}.")
    else:
        flash(f"Conversion {conversion_id} already had that status; nothing changed.")
    default = url_for("staff.conversion_lookup", q=conversion_id)
    return redirect(safe_next(form.next.data, default, allowed_prefix="/staff/"))


def _decision_context() -> dict:
    return {"decisions": STAFF_DECISIONS, "can_decide": current_user.can("partners:manage"),
            "form": DecisionForm(), "here": request.full_path.rstrip("?")}
