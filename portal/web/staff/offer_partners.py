"""Who runs which offer, in the staff console (offers:manage): the applications queue, and per-partner access
and payout overrides on an offer's page and on a partner's Offers tab."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms import SelectChoice

from portal.queries import partners as partner_queries
from portal.queries import staff_offers
from portal.services.offer_access import AccessError, decide_application, set_access, set_payout_override
from portal.services.offers import shown_amount
from portal.web.guards import requires
from portal.web.staff.blueprint import bp
from portal.web.staff.offer_forms import DecisionForm, OfferAccessForm, PartnerAccessForm, PayoutOverrideForm
from portal.web.staff.offers import MANAGE, offer_or_404
from portal.web.staff.views import PARTNER_TABS


class Refused(Exception):
    """A decision the form or the service refused; answered 400 with the reason and a way back."""


@bp.errorhandler(Refused)
def _refused(err: Refused):
    return render_template("staff/refused.html", message=str(err)), 400


def _form_errors(form) -> str:
    return "; ".join(f"{name}: {errors[0]}" for name, errors in form.errors.items())


def _partner_or_404(partner_id: int):
    partner = partner_queries.partner(partner_id)
    if partner is None:
        abort(404)
    return partner


@bp.route("/offers/applications")
@requires(MANAGE)
def applications():
    return render_template("staff/offer_applications.html", applications=staff_offers.pending_applications(),
                           form=DecisionForm())


@bp.route("/offers/applications/<int:access_id>", methods=["POST"])
@requires(MANAGE)
def application_decide(access_id: int):
    access = staff_offers.application(access_id)
    if access is None:
        abort(404)  # unknown, or already decided
    form = DecisionForm()
    if not form.validate_on_submit():
        raise Refused(_form_errors(form))
    try:
        decide_application(access, form.decision.data == "approve", form.reason.data, current_user,
                           ip=request.remote_addr)
    except AccessError as err:
        raise Refused(str(err))
    flash(f"Application {'approved' if access.status == 'approved' else 'rejected'}; the partner was told.")
    if request.form.get("next") == "offer":  # decided from the offer's page: back there
        return redirect(url_for("staff.offer_page", offer_id=access.offer_id, _anchor="partners"))
    return redirect(url_for("staff.applications"))


@bp.route("/offers/<int:offer_id>/access", methods=["POST"])
@requires(MANAGE)
def offer_access_set(offer_id: int):
    offer = offer_or_404(offer_id)
    form = OfferAccessForm()
    if not form.validate_on_submit():
        raise Refused(_form_errors(form))
    partner = partner_queries.partner(form.partner_id.data)
    if partner is None:
        raise Refused("partner_id: no such partner")
    try:
        set_access(partner, offer, form.status.data, form.reason.data, current_user, ip=request.remote_addr)
    except AccessError as err:
        raise Refused(str(err))
    flash(f"{partner.name} {'may now run' if form.status.data == 'approved' else 'is blocked from'} {offer.name}.")
    return redirect(url_for("staff.offer_page", offer_id=offer.id, _anchor="partners"))


@bp.route("/offers/<int:offer_id>/payout-override", methods=["POST"])
@requires(MANAGE)
def offer_payout_override(offer_id: int):
    offer = offer_or_404(offer_id)
    form = PayoutOverrideForm()
    _override(form, lambda: partner_queries.partner(form.partner_id.data or 0), lambda: offer)
    return redirect(url_for("staff.offer_page", offer_id=offer.id, _anchor="partners"))


def _override(form: PayoutOverrideForm, find_partner, find_offer):
    if not form.validate_on_submit():
        raise Refused(_form_errors(form))
    partner, offer = find_partner(), find_offer()
    if partner is None:
        raise Refused("partner_id: no such partner")
    if offer is None:
        raise Refused("offer_id: no such offer")
    payout_type = form.payout_type.data or None
    if payout_type is not None and form.payout.data is None:
        raise Refused("payout: give the amount of the override")
    try:
        set_payout_override(partner, offer, payout_type, form.payout.data, current_user, ip=request.remote_addr)
    except AccessError as err:
        raise Refused(str(err))
    flash(f"Payout override for {partner.name} on {offer.name} {'saved' if payout_type else 'cleared'}.")
    return partner


@bp.route("/partners/<int:partner_id>/offers")
@requires(MANAGE)
def partner_offers(partner_id: int):
    partner = _partner_or_404(partner_id)
    form = PartnerAccessForm()
    form.offer_id.choices = [SelectChoice(i, label) for i, label in staff_offers.offer_options()]
    return render_template("staff/partner_offers.html", partner=partner, tab="offers", tabs=PARTNER_TABS,
                           access=staff_offers.partner_access(partner_id), access_form=form,
                           override_form=PayoutOverrideForm(), amount=shown_amount)


@bp.route("/partners/<int:partner_id>/offers/access", methods=["POST"])
@requires(MANAGE)
def partner_offer_access(partner_id: int):
    partner = _partner_or_404(partner_id)
    form = PartnerAccessForm()
    form.offer_id.choices = [SelectChoice(i, label) for i, label in staff_offers.offer_options()]
    if not form.validate_on_submit():
        raise Refused(_form_errors(form))
    offer = offer_or_404(form.offer_id.data)
    try:
        set_access(partner, offer, form.status.data, form.reason.data, current_user, ip=request.remote_addr)
    except AccessError as err:
        raise Refused(str(err))
    flash(f"{partner.name} {'may now run' if form.status.data == 'approved' else 'is blocked from'} {offer.name}.")
    return redirect(url_for("staff.partner_offers", partner_id=partner.id))


@bp.route("/partners/<int:partner_id>/offers/payout-override", methods=["POST"])
@requires(MANAGE)
def partner_payout_override(partner_id: int):
    partner = _partner_or_404(partner_id)
    form = PayoutOverrideForm()
    _override(form, lambda: partner, lambda: staff_offers.offer(form.offer_id.data or 0))
    return redirect(url_for("staff.partner_offers", partner_id=partner.id))
