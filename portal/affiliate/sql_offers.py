"""The SQL backend's offers: rows of portal.queries.offers shaped into the façade's records."""

from __future__ import annotations

from datetime import datetime

from portal.domain.actors import Actor
from portal.domain.criteria import Page, Paged
from portal.domain.destinations import offer_sites
from portal.domain.offers import (ApplicationView, CouponView, CreativeView, LandingPage, OfferDetail, OfferFilters,
                                  OfferSummary, ProductFeedView, StoredFile)
from portal.domain.tracking_links import click_url, impression_url
from portal.models import CouponCode, Creative, Offer, OfferAccess, OfferUrl, ProductFeed
from portal.models.offers import CAP_KINDS, CAP_PERIODS
from portal.queries import offers as offer_queries
from portal.queries.offer_access import relationship_status
from portal.services import offer_applications

CAP_FIELDS = tuple(f"{period}_{kind}_cap" for kind in CAP_KINDS for period in CAP_PERIODS)

# A thumbnail is an image checked at upload (services.uploads); its key keeps the suffix of its type.
THUMBNAIL_TYPES = {"png": "image/png", "jpg": "image/jpeg", "gif": "image/gif", "webp": "image/webp"}


class SqlOffersMixin:
    """Mixed into SqlBackend."""

    def offers(self, partner_id: int, filters: OfferFilters, page: Page, now: datetime,
               details: bool = False) -> Paged:
        total, rows = offer_queries.visible_page(
            partner_id, now, search=filters.search, category=filters.category, status=filters.status,
            mine=filters.mine, offset=page.offset, limit=page.page_size)
        if not details:
            return Paged(items=[_summary(*row) for row in rows], page=page, total_count=total)
        ids = [offer.id for offer, _, _ in rows]
        pages = offer_queries.landing_pages_of(ids)
        creatives = offer_queries.creatives_of([offer.id for offer, _, runnable in rows if runnable])
        return Paged(items=[_detail(offer, access, runnable, pages[offer.id], creatives.get(offer.id, []))
                            for offer, access, runnable in rows], page=page, total_count=total)

    def offer_categories(self, partner_id: int, now: datetime) -> list[str]:
        return offer_queries.visible_categories(partner_id, now)

    def offer(self, partner_id: int, offer_id: int, now: datetime) -> OfferDetail | None:
        found = offer_queries.visible_one(partner_id, offer_id, now)
        if found is None:
            return None
        offer, access, runnable = found
        return _detail(offer, access, runnable, offer_queries.landing_pages(offer.id),
                       offer_queries.active_creatives(offer.id) if runnable else [])

    def tracking_link(self, partner_id: int, offer_id: int, url_id: int, values: dict, base_url: str) -> str:
        return click_url(base_url, partner_id, offer_id, url_id, values)

    def impression_link(self, partner_id: int, offer_id: int, url_id: int, values: dict, base_url: str) -> str:
        return impression_url(base_url, partner_id, offer_id, url_id, values)

    def listed_links(self, partner_id: int, offer_id: int, base_url: str) -> tuple[str, str]:
        return click_url(base_url, partner_id, offer_id), impression_url(base_url, partner_id, offer_id)

    def apply_to_offer(self, partner_id: int, offer_id: int, note: str, actor: Actor | None) -> ApplicationView:
        return offer_applications.apply(partner_id, offer_id, note, actor)

    def coupon_codes(self, partner_id: int, page: Page, now: datetime, offer_id: int | None = None) -> Paged:
        total, rows = offer_queries.coupon_page(partner_id, now, page.offset, page.page_size, offer_id)
        return Paged(items=[_coupon(code, name) for code, name in rows], page=page, total_count=total)

    def product_feeds(self, partner_id: int, offer_ids: tuple[int, ...] | None, page: Page, now: datetime) -> Paged:
        total, rows = offer_queries.feed_page(partner_id, now, offer_ids, page.offset, page.page_size)
        return Paged(items=[_feed(row) for row in rows], page=page, total_count=total)

    def creative_file(self, partner_id: int, offer_id: int, creative_id: int, now: datetime) -> StoredFile | None:
        creative = offer_queries.runnable_creative(partner_id, offer_id, creative_id, now)
        if creative is None or not creative.file_key:
            return None
        return StoredFile(creative.file_key, creative.filename or f"creative-{creative.id}",
                          creative.content_type or "application/octet-stream", creative.file_size)

    def offer_thumbnail(self, partner_id: int, offer_id: int, now: datetime) -> StoredFile | None:
        found = offer_queries.visible_one(partner_id, offer_id, now)
        if found is None or not found[0].thumbnail_key:
            return None
        key = found[0].thumbnail_key
        suffix = key.rsplit(".", 1)[-1] if "." in key else ""
        return StoredFile(key, f"offer-{offer_id}-thumbnail.{suffix}".rstrip("."), THUMBNAIL_TYPES.get(suffix, ""),
                          None)

    def product_feed_file(self, partner_id: int, feed_id: int, now: datetime) -> StoredFile | None:
        feed = offer_queries.runnable_feed(partner_id, feed_id, now)
        if feed is None:
            return None
        return StoredFile(feed.file_key, feed.filename, feed.content_type, feed.file_size)


def _summary(offer: Offer, access: OfferAccess | None, runnable: bool) -> OfferSummary:
    override = access is not None and access.payout_type is not None and access.payout_amount is not None
    return OfferSummary(
        offer_id=offer.id, name=offer.name, category=offer.category, status=offer.status,
        visibility=offer.visibility, relationship=relationship_status(offer, access), runnable=runnable,
        currency=offer.currency,
        payout_type=access.payout_type if override else offer.payout_type,
        payout_amount=access.payout_amount if override else offer.payout_amount,
        preview_url=offer.preview_url, has_thumbnail=bool(offer.thumbnail_key),
        time_created=offer.created_at, time_saved=offer.updated_at,
        caps={name: getattr(offer, name) for name in CAP_FIELDS}, description_html=offer.description,
    )


def _detail(offer: Offer, access: OfferAccess | None, runnable: bool, urls: list[OfferUrl],
            creatives: list[Creative]) -> OfferDetail:
    pages = [LandingPage(0, "Default", offer.preview_url), *(LandingPage(u.id, u.name, u.preview_url) for u in urls)]
    application = None
    if access is not None and access.applied_at is not None:
        application = ApplicationView(status=access.status, note=access.application_note,
                                      applied_at=access.applied_at, decision_reason=access.decision_reason,
                                      decided_at=access.decided_at)
    return OfferDetail(**vars(_summary(offer, access, runnable)), restrictions=offer.restrictions,
                       landing_pages=tuple(pages), deep_links_allowed=offer.deep_links_allowed,
                       allowed_countries=tuple(offer.allowed_countries or ()),
                       creatives=tuple(_creative(c) for c in creatives) if runnable else (),
                       application=application,
                       deep_link_sites=tuple(sorted(offer_sites(offer.destination_url or "",
                                                                [u.destination_url for u in urls]))),
                       can_apply=offer.visibility == "require_approval" and (
                           access is None or access.status in ("rejected", "default")))


def _creative(c: Creative) -> CreativeView:
    return CreativeView(creative_id=c.id, offer_id=c.offer_id, name=c.name, creative_type=c.creative_type,
                        width=c.width, height=c.height, filename=c.filename, content_type=c.content_type,
                        file_size=c.file_size, html_code=c.html_code, text=c.text, email_subject=c.email_subject,
                        email_from=c.email_from, has_file=bool(c.file_key))


def _coupon(code: CouponCode, offer_name: str) -> CouponView:
    return CouponView(coupon_code_id=code.id, offer_id=code.offer_id, offer_name=offer_name, code=code.code,
                      status=code.status, description=code.description, start_date=code.start_date,
                      end_date=code.end_date, time_created=code.created_at, time_saved=code.updated_at)


def _feed(feed: ProductFeed) -> ProductFeedView:
    return ProductFeedView(feed_id=feed.id, offer_id=feed.offer_id, name=feed.name, status=feed.status,
                           filename=feed.filename, content_type=feed.content_type, file_size=feed.file_size,
                           valid_from=feed.valid_from, valid_to=feed.valid_to, time_created=feed.created_at,
                           time_saved=feed.updated_at)
