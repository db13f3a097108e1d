"""Offers in the staff console: the list, create, edit, pause and resume, and an offer's page with its
landing pages, creatives, coupon codes, product feeds and partners. Everything needs offers:manage."""

from __future__ import annotations

from datetime import UTC

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.http.stored_files import serve_stored
from portal.models.offers import OFFER_STATUSES
from portal.queries import staff_offers
from portal.services.offers import CAP_FIELDS, OfferError, create_offer, set_offer_status, shown_amount, update_offer
from portal.services.uploads import UploadError, image
from portal.storage import store_for
from portal.web.guards import requires
from portal.web.staff.blueprint import bp
from portal.web.staff.offer_forms import DecisionForm, OfferAccessForm, OfferForm, PayoutOverrideForm, StatusForm
from portal.web.staff.uploads import accepts_uploads, upload_limit

MANAGE = "offers:manage"
FORM_FIELDS = ("name", "status", "visibility", "category", "description", "preview_url", "destination_url",
               "payout_type", "payout", "network_revenue", "currency", "allowed_countries", "restrictions",
               "deep_links_allowed", "fallback_url", "live_until", *CAP_FIELDS)


def offer_or_404(offer_id: int):
    found = staff_offers.offer(offer_id)
    if found is None:
        abort(404)
    return found


def _values(form: OfferForm) -> dict:
    values = {name: getattr(form, name).data for name in FORM_FIELDS}
    if values["live_until"] is not None:
        values["live_until"] = values["live_until"].replace(tzinfo=UTC)  # the form says UTC
    return values


def _thumbnail(form: OfferForm):
    upload = form.thumbnail.data
    if not getattr(upload, "filename", None):
        return None  # no file chosen: keep the current thumbnail
    return image(upload.stream, upload.filename, upload_limit(), field="thumbnail")


def _current(offer) -> dict:
    """The offer as the form shows it: money in major units, countries as a list, times in UTC."""
    return {**{name: getattr(offer, name) for name in FORM_FIELDS if hasattr(offer, name)},
            "payout": shown_amount(offer.payout_amount), "network_revenue": shown_amount(offer.network_revenue_amount),
            "allowed_countries": ", ".join(offer.allowed_countries or []),
            "live_until": offer.live_until.replace(tzinfo=None) if offer.live_until else None}


def _save(form: OfferForm, offer=None):
    """Validate and save; returns the offer, or None with the error placed on the form."""
    if not form.validate_on_submit():
        return None
    try:
        thumbnail = _thumbnail(form)
        store = store_for(current_app)
        if offer is None:
            return create_offer(_values(form), current_user, ip=request.remote_addr, thumbnail=thumbnail,
                                store=store)
        update_offer(offer, _values(form), current_user, ip=request.remote_addr, thumbnail=thumbnail, store=store)
        return offer
    except (OfferError, UploadError) as err:
        name = str(err).split(":", 1)[0]
        field = getattr(form, name, None) if name in (*FORM_FIELDS, "thumbnail") else None
        (field.errors if field is not None else form.form_errors).append(str(err))
        return None


@bp.route("/offers")
@requires(MANAGE)
def offers():
    status = request.args.get("status", "")
    if status not in OFFER_STATUSES:
        status = ""
    return render_template("staff/offers.html", offers=staff_offers.offers(status or None), status=status,
                           statuses=OFFER_STATUSES, pending=len(staff_offers.pending_applications()))


@bp.route("/offers/new", methods=["GET", "POST"])
@requires(MANAGE)
@accepts_uploads
def offer_new():
    form = OfferForm()
    offer = _save(form)
    if offer is not None:
        flash(f"Offer “{offer.name}” created.")
        return redirect(url_for("staff.offer_page", offer_id=offer.id))
    return render_template("staff/offer_form.html", form=form, offer=None), 400 if request.method == "POST" else 200


@bp.route("/offers/<int:offer_id>/edit", methods=["GET", "POST"])
@requires(MANAGE)
@accepts_uploads
def offer_edit(offer_id: int):
    offer = offer_or_404(offer_id)
    form = OfferForm(data=_current(offer))
    if _save(form, offer) is not None:
        flash(f"Offer “{offer.name}” saved.")
        return redirect(url_for("staff.offer_page", offer_id=offer.id))
    return render_template("staff/offer_form.html", form=form, offer=offer), 400 if request.method == "POST" else 200


@bp.route("/offers/<int:offer_id>")
@requires(MANAGE)
def offer_page(offer_id: int):
    offer = offer_or_404(offer_id)
    return render_template(
        "staff/offer.html", offer=offer, landing_pages=staff_offers.landing_pages(offer_id),
        creatives=staff_offers.creatives(offer_id), coupons=staff_offers.coupons(offer_id),
        feeds=staff_offers.feeds(offer_id), access=staff_offers.offer_access(offer_id), amount=shown_amount,
        status_form=StatusForm(), access_form=OfferAccessForm(), override_form=PayoutOverrideForm(),
        decision_form=DecisionForm())


@bp.route("/offers/<int:offer_id>/status", methods=["POST"])
@requires(MANAGE)
def offer_status(offer_id: int):
    offer = offer_or_404(offer_id)
    form = StatusForm()
    if not form.validate_on_submit():
        abort(400)
    if set_offer_status(offer, form.status.data, current_user, ip=request.remote_addr):
        flash(f"Offer “{offer.name}” {'paused' if form.status.data == 'paused' else 'resumed'}.")
    return redirect(url_for("staff.offer_page", offer_id=offer.id))


@bp.route("/offers/<int:offer_id>/thumbnail")
@requires(MANAGE)
def offer_thumbnail(offer_id: int):
    offer = offer_or_404(offer_id)
    if not offer.thumbnail_key:
        abort(404)
    response = serve_stored(store_for(current_app), offer.thumbnail_key, f"offer-{offer.id}-thumbnail",
                            _image_type(offer.thumbnail_key), inline=True)
    if response is None:
        abort(404)
    return response


def _image_type(key: str) -> str:
    suffix = key.rsplit(".", 1)[-1] if "." in key else ""
    return {"png": "image/png", "jpg": "image/jpeg", "gif": "image/gif", "webp": "image/webp"}.get(
        suffix, "application/octet-stream")
