"""An offer's tracking-link builder: what the partner typed, read into a LinkRequest; the link, the impression
pixel and each creative's code as the façade builds them; the JSON the builder's script asks for as you type;
and the banners and product feeds, streamed from the file store behind the partner guard."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from html import escape

from flask import abort, current_app, g, jsonify, request

from portal.domain.criteria import MAX_PAGE_SIZE, Page
from portal.domain.errors import BadRequest, NotServedUpstream
from portal.domain.offers import CreativeView, LinkRefused, LinkRequest, OfferDetail, OfferUnavailable, StoredFile
from portal.domain.text import text_fault
from portal.http.stored_files import serve_stored
from portal.http.tracking_base import tracking_base_url
from portal.storage import store_for
from portal.web.filters import money
from portal.web.partner.blueprint import bp

SUB_FIELDS = ("sub1", "sub2", "sub3", "sub4", "sub5", "source_id")
BUILDER_FIELDS = ("url_id", *SUB_FIELDS, "deep_link")
FIELD_LABELS = {"url_id": "Landing page", "sub1": "Sub 1", "sub2": "Sub 2", "sub3": "Sub 3", "sub4": "Sub 4",
                "sub5": "Sub 5", "source_id": "Source ID", "deep_link": "Deep link", "offer_id": "Offer"}
CAP_LABELS = {"daily": "a day", "weekly": "a week", "monthly": "a month", "global": "in total"}


@dataclass(frozen=True)
class CreativeCode:
    creative: CreativeView
    link: str  # the tracking link with this creative's id
    code: str  # what the partner pastes: the creative's HTML with the link filled in, or an <a> around it


@dataclass(frozen=True)
class Builder:
    """The builder as the page shows it: the values to refill, and the link or what is wrong."""

    values: dict = field(default_factory=dict)
    link: str | None = None  # None: not runnable, or the request was refused
    impression_code: str | None = None
    error: BadRequest | LinkRefused | None = None
    creatives: tuple[CreativeCode, ...] = ()


@bp.route("/offers/<int:offer_id>/link")
def offer_link(offer_id: int):
    """JSON for the builder's script: the link for what is typed now, or the field at fault and why."""
    try:
        asked, _ = read_request(request.args)
        link = g.scope.tracking_link(offer_id, asked, _base())
        impression = _impression_code(offer_id, asked.url_id)
    except OfferUnavailable:
        abort(404)
    except (BadRequest, LinkRefused) as err:
        return jsonify(error=error_text(err), field=err.field), 400
    return jsonify(url=link, impression_code=impression)


@bp.route("/offers/<int:offer_id>/creatives/<int:creative_id>/file")
def creative_file(offer_id: int, creative_id: int):
    """A banner for the gallery's preview (inline, images only) or, with ?download=1, as a file."""
    found = g.scope.creative_file(offer_id, creative_id)
    if found is None:
        abort(404)  # another partner's, an offer this partner cannot run, or no file: the same answer
    return _stream(found, inline=request.args.get("download") != "1")


@bp.route("/offers/<int:offer_id>/thumbnail")
def offer_thumbnail(offer_id: int):
    """The offer's thumbnail image, for the list and the offer page."""
    found = g.scope.offer_thumbnail(offer_id)
    if found is None:
        abort(404)  # an offer this partner cannot see, or one without a thumbnail: the same answer
    return _stream(found, inline=True)


@bp.route("/offers/product-feeds/<int:feed_id>/file")
def product_feed_file(feed_id: int):
    """A product feed's file, always as a download."""
    found = g.scope.product_feed_file(feed_id)
    if found is None:
        abort(404)  # another partner's, or of an offer this partner cannot run: the same answer
    return _stream(found, inline=False)


def read_request(args) -> tuple[LinkRequest, dict]:
    """The builder's fields as a LinkRequest and as typed (to refill the form); BadRequest names a field
    that is not text or not a landing page id. Lengths and what the offer allows are the façade's to say."""
    values = {name: args.get(name, "") for name in BUILDER_FIELDS}
    for name, value in values.items():
        fault = text_fault(value)
        if fault:
            raise BadRequest(name, fault)
    url_id = values["url_id"].strip()
    if url_id and not re.fullmatch(r"[0-9]{1,9}", url_id):
        raise BadRequest("url_id", "choose a landing page from the list")
    subs = {name: values[name].strip() or None for name in SUB_FIELDS}
    deep_link = values["deep_link"].strip() or None
    return LinkRequest(url_id=int(url_id or 0), deep_link=deep_link, **subs), values


def builder_for(offer: OfferDetail, args) -> Builder:
    """The builder of a runnable offer's page; the default link when nothing was typed."""
    if not offer.runnable:
        return Builder()
    values: dict = {}
    try:
        asked, values = read_request(args)
        link = g.scope.tracking_link(offer.offer_id, asked, _base())
    except (BadRequest, LinkRefused) as err:
        # The form keeps what was typed; the links below fall back to the plain default link.
        asked, error = LinkRequest(), err
        link = None
    else:
        error = None
    codes = tuple(_creative_code(offer.offer_id, c, asked) for c in offer.creatives)
    return Builder(values=values or {name: args.get(name, "") for name in BUILDER_FIELDS}, link=link,
                   impression_code=_impression_code(offer.offer_id, asked.url_id), error=error, creatives=codes)


def _impression_code(offer_id: int, url_id: int) -> str | None:
    """The pixel's code; None where the network's tracking platform makes the links (upstream mode)."""
    try:
        return pixel_code(g.scope.impression_link(offer_id, url_id, _base()))
    except NotServedUpstream:
        return None


def pixel_code(url: str) -> str:
    """The impression pixel as the partner pastes it beside a creative."""
    return f'<img src="{escape(url)}" width="1" height="1" alt="" style="border:0">'


def payout_text(offer) -> str:
    """The partner's own payout: flat and CPC in minor units, percent in basis points of the sale."""
    if offer.payout_type == "percent":
        whole, rest = divmod(offer.payout_amount, 100)
        return f"{whole}{f'.{rest:02d}'.rstrip('0') if rest else ''}% of the sale"
    amount = money(offer.payout_amount, offer.currency)
    return f"{amount} per click" if offer.payout_type == "cpc" else f"{amount} per conversion"


def cap_rows(caps: dict) -> list[str]:
    """The offer's caps that are set, in words ("100 conversions a day")."""
    rows = []
    for key, value in sorted((caps or {}).items()):
        match = re.fullmatch(r"(daily|weekly|monthly|global)_(conversion|click)_cap", str(key))
        if match and isinstance(value, int) and value > 0:
            rows.append(f"{value:,} {match[2]}{'' if value == 1 else 's'} {CAP_LABELS[match[1]]}")
    return rows


def coupons_of(offer: OfferDetail) -> list:
    """The partner's coupon codes for this offer (the façade lists only runnable offers' codes)."""
    if not offer.runnable:
        return []
    try:
        return g.scope.coupon_codes(Page(1, MAX_PAGE_SIZE), offer_id=offer.offer_id).items
    except NotServedUpstream:
        return []  # the page of an offer the partner runs upstream still shows its link


def _creative_code(offer_id: int, creative: CreativeView, asked: LinkRequest) -> CreativeCode:
    link = g.scope.tracking_link(offer_id, replace(asked, creative_id=creative.creative_id), _base())
    if creative.creative_type in ("html", "email"):
        code = creative.html_code.replace("{tracking_link}", escape(link))
    elif creative.creative_type == "image":
        size = (f' width="{creative.width}" height="{creative.height}"'
                if creative.width and creative.height else "")
        code = (f'<a href="{escape(link)}"><img src="{escape(creative.filename or "banner")}"{size} '
                f'alt="{escape(creative.name)}"></a>')
    else:
        code = f'<a href="{escape(link)}">{escape(creative.text or creative.name)}</a>'
    return CreativeCode(creative, link, code)


def _stream(found: StoredFile, inline: bool):
    response = serve_stored(store_for(current_app), found.key, found.filename, found.content_type, inline=inline)
    if response is None:
        abort(404)
    return response


def feeds_of(offer: OfferDetail) -> list:
    """The product feeds of a runnable offer (their metadata; the files download through product_feed_file)."""
    if not offer.runnable:
        return []
    try:
        return g.scope.product_feeds(offer.offer_id, Page(1, MAX_PAGE_SIZE)).items
    except NotServedUpstream:
        return []


def _base() -> str:
    return tracking_base_url(current_app.config, request.host_url)


def error_text(err: BadRequest | LinkRefused) -> str:
    """What the builder says about a refused field, with the field's label as the form shows it."""
    rule = err.message if isinstance(err, LinkRefused) else err.rule
    return f"{FIELD_LABELS.get(err.field, err.field)}: {rule}"
