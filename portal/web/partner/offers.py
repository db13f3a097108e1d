"""The Offers pages: the list (search, category, status, "My offers" vs "All offers", paging), one offer
with its tracking-link builder, creatives and coupon codes, Apply, and the partner's coupon codes. Every read
and write goes through the façade (g.scope), which decides what this partner may see and run."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from wtforms import TextAreaField
from wtforms.validators import Length

from portal.affiliate.parsing import page_of
from portal.domain.errors import BadRequest
from portal.domain.offers import (MAX_NOTE, MAX_SEARCH, OFFER_LIST_STATUSES, ApplicationRefused, OfferDetail,
                                  OfferFilters, OfferUnavailable)
from portal.domain.text import text_fault
from portal.web.forms import PageForm
from portal.web.partner import offer_links
from portal.web.partner.blueprint import bp

PAGE_SIZE = 20
# The list's tabs: the offers the partner can run now, or every offer it may see (to apply to).
TABS = (("mine", "My offers"), ("all", "All offers"))
MAX_CATEGORY = 100  # the offers table's category column
# relationship (queries.offer_access.relationship_status) → the badge a partner reads, and its style.
RELATIONSHIP_BADGES = {
    "public": ("Approved", "status-approved"), "approved": ("Approved", "status-approved"),
    "pending": ("Pending approval", "status-pending"), "rejected": ("Rejected", "status-rejected"),
    "require_approval": ("Apply", ""), "blocked": ("Blocked", "status-rejected"),
}


class ApplyForm(PageForm):
    note = TextAreaField("Note to the network (optional)", validators=[Length(max=MAX_NOTE)])


@bp.route("/offers")
def offers():
    args = request.args
    tab = args.get("tab", "mine")
    try:
        filters = _filters(args, tab)
        paged = g.scope.offers(filters, page_of({"page": args.get("page"), "page_size": str(PAGE_SIZE)}))
    except BadRequest as err:
        return _list_page(tab, error=err.message), 400
    number = paged.page.page
    pages = {name: url_for("partner.offers", **{**args.to_dict(), "page": n})
             for name, n in (("previous", number - 1), ("next", number + 1)) if 1 <= n <= paged.pages}
    return _list_page(tab, paged=paged, pages=pages)


@bp.route("/offers/<int:offer_id>")
def offer_detail(offer_id: int):
    offer = _visible(offer_id)
    return _detail_page(offer)


@bp.route("/offers/<int:offer_id>/apply", methods=["POST"])
def offer_apply(offer_id: int):
    offer = _visible(offer_id)
    form = ApplyForm()
    if not form.validate_on_submit():
        return _detail_page(offer, apply_form=form, status=400)
    fault = text_fault(form.note.data or "")
    if fault:
        form.note.errors = [fault]
        return _detail_page(offer, apply_form=form, status=400)
    try:
        g.scope.apply(offer_id, (form.note.data or "").strip())
    except OfferUnavailable:
        abort(404)
    except ApplicationRefused as err:
        if err.field == "note":
            form.note.errors = [err.message]
            return _detail_page(offer, apply_form=form, status=400)
        form.form_errors.append(err.message)  # pending, approved, or no applications: the state says no
        return _detail_page(offer, apply_form=form, status=409)
    flash("Application sent. The network reviews it; you will see the decision here and at the top of your pages.")
    return redirect(url_for("partner.offer_detail", offer_id=offer_id, _anchor="application"))


@bp.route("/offers/coupon-codes")
def coupon_codes():
    try:
        paged = g.scope.coupon_codes(page_of({"page": request.args.get("page"), "page_size": str(PAGE_SIZE)}))
    except BadRequest as err:
        return render_template("partner/coupon_codes.html", paged=None, pages={}, error=err.message), 400
    number = paged.page.page
    pages = {name: url_for("partner.coupon_codes", page=n)
             for name, n in (("previous", number - 1), ("next", number + 1)) if 1 <= n <= paged.pages}
    return render_template("partner/coupon_codes.html", paged=paged, pages=pages, error=None)


# --- helpers ------------------------------------------------------------------------------------------


def _filters(args, tab: str) -> OfferFilters:
    if tab not in dict(TABS):
        raise BadRequest("tab", "must be mine or all")
    search = args.get("q", "").strip()
    category = args.get("category", "").strip()
    status = args.get("status", "")
    for name, value, longest in (("q", search, MAX_SEARCH), ("category", category, MAX_CATEGORY)):
        fault = text_fault(value) or (f"must be at most {longest} characters" if len(value) > longest else None)
        if fault:
            raise BadRequest(name, fault)
    if status and status not in OFFER_LIST_STATUSES:
        raise BadRequest("status", f"must be one of {', '.join(OFFER_LIST_STATUSES)}")
    return OfferFilters(search=search or None, category=category or None, status=status or None, mine=tab == "mine")


def _list_page(tab: str, paged=None, pages=None, error: str | None = None):
    return render_template("partner/offers.html", paged=paged, pages=pages or {}, error=error, args=request.args,
                           tab=tab if tab in dict(TABS) else "mine", tabs=TABS, statuses=OFFER_LIST_STATUSES,
                           categories=g.scope.offer_categories(), badges=RELATIONSHIP_BADGES,
                           payout_text=offer_links.payout_text)


def _visible(offer_id: int) -> OfferDetail:
    offer = g.scope.offer(offer_id)
    if offer is None:
        abort(404)  # missing, private, expired and another partner's grant look the same
    return offer


def _detail_page(offer: OfferDetail, apply_form: ApplyForm | None = None, status: int | None = None):
    """The offer's page; a builder the partner filled in wrong is a 400 that says which field."""
    builder = offer_links.builder_for(offer, request.args)
    status = status or (400 if builder.error is not None else 200)
    page = render_template("partner/offer_detail.html", offer=offer, builder=builder,
                           apply_form=apply_form or ApplyForm(), badges=RELATIONSHIP_BADGES,
                           payout_text=offer_links.payout_text, caps=offer_links.cap_rows(offer.caps),
                           error_text=offer_links.error_text,
                           coupons=offer_links.coupons_of(offer), feeds=offer_links.feeds_of(offer),
                           tz=g.scope.timezone)
    return page, status
