"""A partner's payout details in the console: masked for whoever may view partners; in full only for the
Security permission, after the staff member confirmed who they are in this session (recently), on a POST that is
audited and answered with a page that is not stored."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.domain.payouts import FIELD_LABELS, FIELDS, METHOD_LABELS, TAX_FORMS, TAX_STATUSES, PayoutDetailsInvalid
from portal.queries import partners as partner_queries
from portal.services import payouts
from portal.web.guards import requires
from portal.web.security import NO_STORE
from portal.web.staff.blueprint import bp
from portal.web.staff.confirm_identity import needs_recent_confirmation
from portal.web.staff.key_forms import ConfirmForm
from portal.web.staff.payout_forms import TaxStatusForm
from portal.web.staff.views import PARTNER_TABS

REVEAL_PERMISSION = "security:full_control"
REVIEW_PERMISSION = "partners:manage"  # the tax form's review
MAX_PARTNER_ID = 2**31 - 1


def _partner(partner_id: int):
    found = partner_queries.partner(partner_id) if 0 < partner_id <= MAX_PARTNER_ID else None
    if found is None:
        abort(404)
    return found


def _page(partner, revealed=None):
    details = payouts.view(partner.id)
    page = render_template("staff/partner_payout.html", partner=partner, tab="payout", tabs=PARTNER_TABS,
                           details=details, revealed=revealed, labels=FIELD_LABELS, order=FIELDS,
                           methods=METHOD_LABELS, tax_forms=TAX_FORMS, tax_statuses=TAX_STATUSES,
                           can_reveal=current_user.can(REVEAL_PERMISSION), form=ConfirmForm(),
                           tax_review=TaxStatusForm(formdata=None, tax_status=details.tax_status),
                           can_review=current_user.can(REVIEW_PERMISSION))
    return page, 200, NO_STORE


@bp.route("/partners/<int:partner_id>/payout")
@requires("partners:view")
def partner_payout(partner_id: int):
    return _page(_partner(partner_id))


@bp.route("/partners/<int:partner_id>/payout/reveal", methods=["POST"])
@requires(REVEAL_PERMISSION)
@needs_recent_confirmation(back="staff.partner_payout")
def partner_payout_reveal(partner_id: int):
    partner = _partner(partner_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return _page(partner, payouts.reveal(partner, current_user._get_current_object(), request.remote_addr))


@bp.route("/partners/<int:partner_id>/payout/tax-status", methods=["POST"])
@requires(REVIEW_PERMISSION)
def partner_payout_tax_status(partner_id: int):
    partner = _partner(partner_id)
    form = TaxStatusForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        changed = payouts.set_tax_status(partner, current_user._get_current_object(), form.tax_status.data,
                                         request.remote_addr)
    except PayoutDetailsInvalid:
        abort(400)
    flash(f"Tax form status: {TAX_STATUSES[form.tax_status.data]}." if changed else "The tax form status is unchanged.")
    return redirect(url_for("staff.partner_payout", partner_id=partner.id))
