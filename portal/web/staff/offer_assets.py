"""An offer's landing pages, creatives, coupon codes and product feeds in the staff console (offers:manage).
Each is found through its offer: an id under another offer is a 404."""

from __future__ import annotations

from datetime import UTC, datetime, time

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.http.stored_files import serve_stored
from portal.queries import staff_offers
from portal.services.coupons import CouponError, save_coupon
from portal.services.creatives import CreativeError, create_creative, delete_creative, set_creative_status
from portal.services.offers import OfferError, save_landing_page
from portal.services.product_feeds import FeedError, create_feed, delete_feed, set_feed_status
from portal.services.uploads import UploadError, feed, image
from portal.storage import store_for
from portal.web.guards import requires
from portal.web.staff.blueprint import bp
from portal.web.staff.key_forms import ConfirmForm
from portal.web.staff.offer_forms import CouponForm, CreativeForm, FeedForm, LandingPageForm, StatusForm
from portal.web.staff.offers import MANAGE, offer_or_404
from portal.web.staff.uploads import accepts_uploads, upload_limit


def _found(item):
    if item is None:
        abort(404)
    return item


def _refused(form, err: Exception) -> None:
    """Put a service's refusal on the field it names (the text before the colon), else on the form."""
    name = str(err).split(":", 1)[0]
    field = next((f for f in form if f.name == name), None)
    (field.errors if field is not None and name != "csrf_token" else form.form_errors).append(str(err))


def _page(form, offer, title: str, *, upload: bool = False):
    status = 400 if request.method == "POST" else 200
    return render_template("staff/offer_item_form.html", form=form, offer=offer, title=title, upload=upload), status


def _back(offer, section: str):
    return redirect(url_for("staff.offer_page", offer_id=offer.id, _anchor=section))


def _chosen_file(form):
    upload = form.file.data
    return upload if getattr(upload, "filename", None) else None


# --- landing pages ------------------------------------------------------------------------------------

@bp.route("/offers/<int:offer_id>/urls/new", methods=["GET", "POST"], defaults={"url_id": None})
@bp.route("/offers/<int:offer_id>/urls/<int:url_id>", methods=["GET", "POST"])
@requires(MANAGE)
def landing_page_edit(offer_id: int, url_id: int | None):
    offer = offer_or_404(offer_id)
    page = _found(staff_offers.landing_page(offer_id, url_id)) if url_id is not None else None
    form = LandingPageForm(obj=page)
    if form.validate_on_submit():
        try:
            saved = save_landing_page(offer, page, form.data, current_user, ip=request.remote_addr)
        except OfferError as err:
            _refused(form, err)
        else:
            flash(f"Landing page “{saved.name}” saved (url_id {saved.id}).")
            return _back(offer, "landing-pages")
    return _page(form, offer, "Edit landing page" if page else "Add a landing page")


# --- creatives ----------------------------------------------------------------------------------------

@bp.route("/offers/<int:offer_id>/creatives/new", methods=["GET", "POST"])
@requires(MANAGE)
@accepts_uploads
def creative_new(offer_id: int):
    offer = offer_or_404(offer_id)
    form = CreativeForm()
    if form.validate_on_submit():
        try:
            chosen = _chosen_file(form) if form.creative_type.data == "image" else None
            banner = image(chosen.stream, chosen.filename, upload_limit()) if chosen else None
            creative = create_creative(offer, form.data, current_user, ip=request.remote_addr, image=banner,
                                       store=store_for(current_app))
        except (CreativeError, UploadError) as err:
            _refused(form, err)
        else:
            flash(f"Creative “{creative.name}” added.")
            return _back(offer, "creatives")
    return _page(form, offer, "Add a creative", upload=True)


@bp.route("/offers/<int:offer_id>/creatives/<int:creative_id>/status", methods=["POST"])
@requires(MANAGE)
def creative_status(offer_id: int, creative_id: int):
    offer = offer_or_404(offer_id)
    creative = _found(staff_offers.creative(offer_id, creative_id))
    form = StatusForm()
    if not form.validate_on_submit():
        abort(400)
    set_creative_status(creative, form.status.data, current_user, ip=request.remote_addr)
    return _back(offer, "creatives")


@bp.route("/offers/<int:offer_id>/creatives/<int:creative_id>/delete", methods=["POST"])
@requires(MANAGE)
def creative_delete(offer_id: int, creative_id: int):
    offer = offer_or_404(offer_id)
    creative = _found(staff_offers.creative(offer_id, creative_id))
    if not ConfirmForm().validate_on_submit():
        abort(400)
    delete_creative(creative, current_user, ip=request.remote_addr, store=store_for(current_app))
    flash(f"Creative “{creative.name}” deleted.")
    return _back(offer, "creatives")


@bp.route("/offers/<int:offer_id>/creatives/<int:creative_id>/file")
@requires(MANAGE)
def creative_file(offer_id: int, creative_id: int):
    creative = _found(staff_offers.creative(offer_id, creative_id))
    if not creative.file_key:
        abort(404)
    return _send(creative.file_key, creative.content_type, creative.filename, attachment=False)


def _send(key: str, content_type: str | None, filename: str | None, *, attachment: bool):
    response = serve_stored(store_for(current_app), key, filename, content_type, inline=not attachment)
    if response is None:
        abort(404)
    return response


# --- coupon codes -------------------------------------------------------------------------------------

@bp.route("/offers/<int:offer_id>/coupons/new", methods=["GET", "POST"], defaults={"coupon_id": None})
@bp.route("/offers/<int:offer_id>/coupons/<int:coupon_id>", methods=["GET", "POST"])
@requires(MANAGE)
def coupon_edit(offer_id: int, coupon_id: int | None):
    offer = offer_or_404(offer_id)
    coupon = _found(staff_offers.coupon(offer_id, coupon_id)) if coupon_id is not None else None
    form = CouponForm(obj=coupon)
    if form.validate_on_submit():
        try:
            saved = save_coupon(offer, coupon, form.data, current_user, ip=request.remote_addr)
        except CouponError as err:
            _refused(form, err)
        else:
            flash(f"Coupon code {saved.code} saved.")
            return _back(offer, "coupons")
    return _page(form, offer, "Edit coupon code" if coupon else "Add a coupon code")


# --- product feeds ------------------------------------------------------------------------------------

@bp.route("/offers/<int:offer_id>/feeds/new", methods=["GET", "POST"])
@requires(MANAGE)
@accepts_uploads
def feed_new(offer_id: int):
    offer = offer_or_404(offer_id)
    form = FeedForm()
    if form.validate_on_submit():
        chosen = _chosen_file(form)
        try:
            upload = feed(chosen.stream if chosen else None, chosen.filename if chosen else None, upload_limit())
            created = create_feed(offer, _feed_values(form), upload, store_for(current_app), current_user,
                                  ip=request.remote_addr)
        except (FeedError, UploadError) as err:
            _refused(form, err)
        else:
            flash(f"Product feed “{created.name}” uploaded.")
            return _back(offer, "feeds")
    return _page(form, offer, "Upload a product feed", upload=True)


def _feed_values(form: FeedForm) -> dict:
    values = dict(form.data)
    for name in ("valid_from", "valid_to"):
        day = values.get(name)
        values[name] = datetime.combine(day, time.min if name == "valid_from" else time.max, UTC) if day else None
    return values


@bp.route("/offers/<int:offer_id>/feeds/<int:feed_id>/status", methods=["POST"])
@requires(MANAGE)
def feed_status(offer_id: int, feed_id: int):
    offer = offer_or_404(offer_id)
    found = _found(staff_offers.feed(offer_id, feed_id))
    form = StatusForm()
    if not form.validate_on_submit():
        abort(400)
    set_feed_status(found, form.status.data, current_user, ip=request.remote_addr)
    return _back(offer, "feeds")


@bp.route("/offers/<int:offer_id>/feeds/<int:feed_id>/delete", methods=["POST"])
@requires(MANAGE)
def feed_delete(offer_id: int, feed_id: int):
    offer = offer_or_404(offer_id)
    found = _found(staff_offers.feed(offer_id, feed_id))
    if not ConfirmForm().validate_on_submit():
        abort(400)
    delete_feed(found, store_for(current_app), current_user, ip=request.remote_addr)
    flash(f"Product feed “{found.name}” deleted.")
    return _back(offer, "feeds")


@bp.route("/offers/<int:offer_id>/feeds/<int:feed_id>/file")
@requires(MANAGE)
def feed_file(offer_id: int, feed_id: int):
    found = _found(staff_offers.feed(offer_id, feed_id))
    return _send(found.file_key, found.content_type, found.filename, attachment=True)
