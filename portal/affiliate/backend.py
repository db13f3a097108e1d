"""The backend interface the affiliate façade delegates to, so another tracking platform can plug in."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from portal.domain.accounts import PeriodFigures
from portal.domain.actors import Actor
from portal.domain.criteria import ClickQuery, ConversionQuery, Page, Paged, ReportQuery
from portal.domain.offers import ApplicationView, OfferDetail, OfferFilters, StoredFile
from portal.domain.postbacks import AttemptView, DeliveryView, PostbackFilters, PostbackView
from portal.domain.records import ClickRecord, ClickResult, ConversionRecord, ExportRows, ReportResult


class AffiliateBackend(Protocol):
    """Data access for one network. Every method takes the partner id first and returns only its rows."""

    def period_figures(self, partner_id: int, start: datetime, end: datetime) -> PeriodFigures: ...

    def report(self, partner_id: int, query: ReportQuery, currency: str) -> ReportResult: ...

    def conversions(self, partner_id: int, query: ConversionQuery, page: Page) -> Paged: ...

    def conversion_count(self, partner_id: int, query: ConversionQuery) -> int: ...

    def conversion_export(self, partner_id: int, query: ConversionQuery, batch_size: int) -> ExportRows:
        """The matching rows' count and the rows in batches, read from one snapshot (see queries.conversions)."""

    def conversion(self, partner_id: int, conversion_id: str) -> ConversionRecord | None: ...

    def clicks(self, partner_id: int, query: ClickQuery, limit: int) -> ClickResult: ...

    def click(self, partner_id: int, transaction_id: str) -> ClickRecord | None: ...

    def has_clicks(self, partner_id: int) -> bool:
        """Whether any click (test or real) ever came through one of the partner's tracking links."""

    # --- postbacks: None / False means no such live postback (or delivery, attempt) of this partner ------

    def postback_count(self, partner_id: int) -> int: ...

    def postbacks(self, partner_id: int, filters: PostbackFilters, page: Page) -> Paged:
        """A page of PostbackViews, oldest first, and the total that matched."""

    def postback(self, partner_id: int, postback_id: int) -> PostbackView | None: ...

    def runnable_offers(self, partner_id: int) -> list[tuple[int, str]]:
        """(id, name) of the offers the partner may tie a postback to, by name."""

    def offer_runnable(self, partner_id: int, offer_id: int) -> bool: ...

    def deliveries(self, partner_id: int, postback_id: int, page: Page, failed_only: bool) -> Paged:
        """A page of DeliveryViews, newest first, each with its log of attempts, and the total."""

    def delivery(self, partner_id: int, postback_id: int, delivery_id: int) -> DeliveryView | None:
        """One delivery of a postback, without its log."""

    def postback_attempt(self, partner_id: int, postback_id: int, attempt_id: int) -> AttemptView | None: ...

    def latest_conversion_values(self, partner_id: int, offer_id: int | None) -> tuple[str, dict[str, str]] | None:
        """(conversion id, macro values) of the partner's latest real conversion, on the offer when given."""

    def create_postback(self, partner_id: int, values: dict, limit: int, actor: Actor | None) -> int | None:
        """Store checked values (postback_rules.clean_draft) as a new postback; its id, or None when the
        partner already has `limit` postbacks (counted and inserted atomically). Each write records an
        audit event for `actor` in its own transaction."""

    def update_postback(self, partner_id: int, postback_id: int, values: dict, actor: Actor | None) -> bool: ...

    def delete_postback(self, partner_id: int, postback_id: int, actor: Actor | None) -> bool: ...

    def enqueue_test(self, partner_id: int, postback_id: int) -> int | None:
        """Queue a test delivery with sample values, held back for send_delivery; its id."""

    def send_delivery(self, partner_id: int, delivery_id: int) -> AttemptView | None:
        """Make one manual attempt now and return it; NotSent when it will not be sent."""

    # --- offers: `now` decides expiry; None means not visible (offer) or not runnable (files) -------

    def offers(self, partner_id: int, filters: OfferFilters, page: Page, now: datetime,
               details: bool = False) -> Paged:
        """A page of OfferSummary the partner may see, by id, and the total; OfferDetail with `details`."""

    def offer_categories(self, partner_id: int, now: datetime) -> list[str]: ...

    def offer(self, partner_id: int, offer_id: int, now: datetime) -> OfferDetail | None: ...

    def apply_to_offer(self, partner_id: int, offer_id: int, note: str, actor: Actor | None) -> ApplicationView:
        """Record the application (audited); ApplicationRefused when the offer takes none from the partner."""

    def coupon_codes(self, partner_id: int, page: Page, now: datetime, offer_id: int | None = None) -> Paged:
        """A page of CouponView: the partner's active codes on offers it can run (one offer's when given)."""

    def product_feeds(self, partner_id: int, offer_ids: tuple[int, ...] | None, page: Page, now: datetime) -> Paged:
        """A page of ProductFeedView of the offers the partner can run (of `offer_ids` when given)."""

    def creative_file(self, partner_id: int, offer_id: int, creative_id: int, now: datetime) -> StoredFile | None: ...

    def offer_thumbnail(self, partner_id: int, offer_id: int, now: datetime) -> StoredFile | None:
        """The thumbnail of an offer the partner may see (None: no such offer, or no thumbnail)."""

    def product_feed_file(self, partner_id: int, feed_id: int, now: datetime) -> StoredFile | None: ...
