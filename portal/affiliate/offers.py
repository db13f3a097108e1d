"""The offers half of the façade: what one partner may see and run, its links, applications, codes and feeds.

Who may see and run what is portal.queries.offer_access's rule (the backend applies it); here are the
checks of what a partner asks for: an offer it may not see is OfferUnavailable (a 404 at every door, the
same for a missing offer and another partner's private one), a link for an offer it cannot run, a landing
page or creative the offer does not have, a deep link the offer does not allow, or a sub ID that cannot be
stored is LinkRefused naming the field. Link formats are portal.domain.tracking_links'.
"""

from __future__ import annotations

from portal.affiliate.backend import AffiliateBackend
from portal.domain.actors import Actor
from portal.domain.clock import utcnow
from portal.domain.criteria import MAX_ID, Page, Paged
from portal.domain.destinations import deep_link_problem
from portal.domain.offers import (MAX_NOTE, MAX_SEARCH, OFFER_LIST_STATUSES, ApplicationRefused, ApplicationView,
                                  LinkRefused, LinkRequest, OfferDetail, OfferFilters, OfferUnavailable, StoredFile)
from portal.domain.tracking_links import MAX_SUB_LENGTH, SUB_PARAMETERS

NOT_RUNNABLE = "you cannot run this offer now (it is paused, or it needs an approved application)"


class OffersMixin:
    """Mixed into AffiliateScope; every backend call is bound to its partner id."""

    partner_id: int
    _backend: AffiliateBackend
    _actor: Actor | None

    def offers(self, filters: OfferFilters, page: Page, *, details: bool = False) -> Paged:
        """A page of OfferSummary the partner may see (only those it can run now when `filters.mine`);
        with `details`, OfferDetail (landing pages, creatives, application), read in a few queries a page."""
        clean = OfferFilters(search=_text(filters.search, MAX_SEARCH), category=_text(filters.category, 100),
                             status=filters.status if filters.status in OFFER_LIST_STATUSES else None,
                             mine=bool(filters.mine))
        return self._backend.offers(self.partner_id, clean, page, utcnow(), details)

    def offer_categories(self) -> list[str]:
        return self._backend.offer_categories(self.partner_id, utcnow())

    def offer(self, offer_id: int) -> OfferDetail | None:
        """The offer as this partner sees it; None when the partner may not see it."""
        if not _plausible_id(offer_id):
            return None
        return self._backend.offer(self.partner_id, offer_id, utcnow())

    def tracking_link(self, offer_id: int, request: LinkRequest, base_url: str) -> str:
        """The partner's tracking link for a runnable offer (domain.tracking_links.click_url)."""
        offer = self._runnable(offer_id)
        values: dict[str, str | int | None] = {name: _sub(name, getattr(request, name)) for name in SUB_PARAMETERS}
        values["creative_id"] = _creative_id(offer, request.creative_id)
        if request.deep_link not in (None, ""):
            values["url"] = _deep_link(offer, request.deep_link)
        return self._backend.tracking_link(self.partner_id, offer.offer_id, _url_id(offer, request.url_id), values,
                                           base_url)

    def impression_link(self, offer_id: int, url_id: int, base_url: str, creative_id: int | None = None) -> str:
        """The impression pixel's URL for a runnable offer (domain.tracking_links.impression_url)."""
        offer = self._runnable(offer_id)
        values = {"creative_id": _creative_id(offer, creative_id)}
        return self._backend.impression_link(self.partner_id, offer.offer_id, _url_id(offer, url_id), values,
                                             base_url)

    def listed_links(self, offer_id: int, base_url: str) -> tuple[str, str]:
        """The plain click and impression links an offer list shows for one of its offers (AffiliateBackend)."""
        return self._backend.listed_links(self.partner_id, offer_id, base_url)

    def apply(self, offer_id: int, note: str) -> ApplicationView:
        """Apply to run a require_approval offer (again, after a rejection); audited."""
        if self.offer(offer_id) is None:
            raise OfferUnavailable(offer_id)
        if note is None:
            note = ""
        if not isinstance(note, str) or len(note) > MAX_NOTE or not _storable(note, allow_newlines=True):
            raise ApplicationRefused(f"text of at most {MAX_NOTE} characters, without control characters",
                                     "note")
        return self._backend.apply_to_offer(self.partner_id, offer_id, note.strip(), self._actor)

    def coupon_codes(self, page: Page, offer_id: int | None = None) -> Paged:
        """A page of CouponView: the partner's own active codes on offers it can run (one offer's when
        `offer_id` is given)."""
        if offer_id is not None and not _plausible_id(offer_id):
            return Paged(items=[], page=page, total_count=0)
        return self._backend.coupon_codes(self.partner_id, page, utcnow(), offer_id)

    def product_feeds(self, offer_id: int | None, page: Page, *, offer_ids: tuple[int, ...] | None = None) -> Paged:
        """A page of ProductFeedView of the offers the partner can run: one offer's when `offer_id` is given,
        those of `offer_ids` (the API's list) when given, else every runnable offer's."""
        wanted = (offer_id,) if offer_id is not None else (tuple(offer_ids) if offer_ids is not None else None)
        if wanted is not None:
            wanted = tuple(i for i in wanted if _plausible_id(i))
            if not wanted:
                return Paged(items=[], page=page, total_count=0)
        return self._backend.product_feeds(self.partner_id, wanted, page, utcnow())

    def creative_file(self, offer_id: int, creative_id: int) -> StoredFile | None:
        if not (_plausible_id(offer_id) and _plausible_id(creative_id)):
            return None
        return self._backend.creative_file(self.partner_id, offer_id, creative_id, utcnow())

    def offer_thumbnail(self, offer_id: int) -> StoredFile | None:
        if not _plausible_id(offer_id):
            return None
        return self._backend.offer_thumbnail(self.partner_id, offer_id, utcnow())

    def product_feed_file(self, feed_id: int) -> StoredFile | None:
        if not _plausible_id(feed_id):
            return None
        return self._backend.product_feed_file(self.partner_id, feed_id, utcnow())

    def _runnable(self, offer_id: int) -> OfferDetail:
        # A scope lives for one request, whose page may build a dozen links (the builder, the pixel, one
        # per creative) for the same offer: it is read once.
        known = self.__dict__.setdefault("_runnable_offers", {})
        offer = known.get(offer_id) or self.offer(offer_id)
        if offer is None:
            raise OfferUnavailable(offer_id)
        if not offer.runnable:
            raise LinkRefused("offer_id", NOT_RUNNABLE)
        known[offer_id] = offer
        return offer


def _plausible_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID


def _storable(text: str, *, allow_newlines: bool = False) -> bool:
    """No control characters (NUL included) and no lone surrogates: what the database and a URL can carry."""
    allowed = "\n\r\t" if allow_newlines else ""
    if any((ord(ch) < 32 and ch not in allowed) or ord(ch) == 127 for ch in text):
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _text(value: str | None, limit: int) -> str | None:
    if not isinstance(value, str):
        return None
    value = value.strip()[:limit]
    return value if value and _storable(value) else None


def _sub(name: str, value: object) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise LinkRefused(name, "text")
    value = str(value)
    if len(value) > MAX_SUB_LENGTH:
        raise LinkRefused(name, f"at most {MAX_SUB_LENGTH} characters")
    if not _storable(value):
        raise LinkRefused(name, "no control characters")
    return value


def _url_id(offer: OfferDetail, url_id: object) -> int:
    if url_id is None:
        return 0
    if isinstance(url_id, bool) or not isinstance(url_id, int) or url_id not in {p.url_id for p in offer.landing_pages}:
        raise LinkRefused("url_id", "not a landing page of this offer")
    return url_id


def _creative_id(offer: OfferDetail, creative_id: object) -> int | None:
    if creative_id is None or creative_id == 0:
        return None
    if (isinstance(creative_id, bool) or not isinstance(creative_id, int)
            or creative_id not in {c.creative_id for c in offer.creatives}):
        raise LinkRefused("creative_id", "not a creative of this offer")
    return creative_id


def _deep_link(offer: OfferDetail, url: object) -> str:
    if not offer.deep_links_allowed:
        raise LinkRefused("deep_link", "this offer does not allow deep links")
    problem = deep_link_problem(url, offer.deep_link_sites)
    if problem is not None:
        raise LinkRefused("deep_link", problem)
    return url  # type: ignore[return-value]  (deep_link_problem found it a str)
