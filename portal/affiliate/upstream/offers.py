"""Upstream mode's offers: the network's offer list as one partner may see it, and its tracking links.

Who sees and runs what, and at which payout, is portal.affiliate.upstream.access's rule over Everflow's
offer visibility and custom payouts for the partner's upstream affiliate id. Lists read three answers,
each reference data kept a few seconds (client cache, shared by the partners of this process): the
offers table, GET offervisibility and GET custom/payoutrevenue. One offer (its page, and every link or
postback made for it) asks GET offers/{id}/visibility afresh, so a grant or a block counts at once where
it matters. An endpoint that answers 404 (an upstream without it) is "no standings" or "no custom
payouts": the partner sees public and require-approval offers, runs the active public ones, at the
default payout. Applications, coupon codes, product feeds, creatives' files and thumbnails are not served
over this API: NotServedUpstream (or "no file").

Shapes relied on: POST /v1/networks/offers/table?page&page_size {filters, paging} → {offers, paging};
GET /v1/networks/offers/{offerId}/visibility → {network_offer_id, network_affiliate_visible_ids,
network_affiliate_rejected_ids, network_affiliate_hidden_ids}; GET /v1/networks/offervisibility →
{visibility: [those]}; GET /v1/networks/custom/payoutrevenue → {custom_payout_revenue_settings};
POST /v1/networks/tracking/offers/clicks {network_offer_id, network_affiliate_id, network_offer_url_id,
creative_id, sub1..sub5, source_id} → {url}.
"""

from __future__ import annotations

from datetime import UTC, datetime

from portal.affiliate.upstream import access, mapping
from portal.affiliate.upstream.access import Access
from portal.domain.actors import Actor
from portal.domain.criteria import Page, Paged
from portal.domain.errors import NotServedUpstream, UpstreamRefused
from portal.domain.offers import ApplicationView, LandingPage, OfferDetail, OfferFilters, OfferSummary, StoredFile

NETWORKS = "/v1/networks"
OFFERS = f"{NETWORKS}/offers"
TABLE_PAGE = 500
MAX_TABLE_PAGES = 20  # 10,000 offers: more than any network runs


class UpstreamOffersMixin:
    """Mixed into UpstreamBackend (its client, affiliate_id and currency)."""

    def _all_offers(self) -> list[dict]:
        offers: list[dict] = []
        for page in range(1, MAX_TABLE_PAGES + 1):
            answer = self.client.post(f"{OFFERS}/table", {"filters": {}, "paging": {"page": page,
                                                                                   "page_size": TABLE_PAGE}},
                                      params={"page": page, "page_size": TABLE_PAGE}, cache=True) or {}
            found = [o for o in answer.get("offers") or [] if isinstance(o, dict)]
            offers.extend(found)
            total = (answer.get("paging") or {}).get("total_count") if isinstance(answer.get("paging"), dict) else None
            if len(found) < TABLE_PAGE or (isinstance(total, int) and len(offers) >= total):
                break
        return offers

    def _payouts(self) -> dict[int, tuple[str, int]]:
        answer = self.client.get(f"{NETWORKS}/custom/payoutrevenue", cache=True)
        return access.custom_payouts(answer, self.affiliate_id, datetime.now(UTC).date())

    def _visible_offers(self) -> list[OfferSummary]:
        """Every offer the partner may see, as it sees it (three cached answers)."""
        standings = access.standings(self.client.get(f"{NETWORKS}/offervisibility", cache=True),
                                     self.affiliate_id) or {}
        payouts = self._payouts()
        shaped = []
        for o in self._all_offers():
            offer_id = _offer_id(o)
            if not offer_id:
                continue
            seen = access.access(_visibility(o), _status(o), standings.get(offer_id))
            if seen.visible:
                shaped.append(self._summary(o, seen, payouts.get(offer_id)))
        return shaped

    def _summary(self, o: dict, seen: Access, custom: tuple[str, int] | None) -> OfferSummary:
        payout_type, payout_amount = custom or _payout(o)
        created = mapping.instant(o.get("time_created")) or mapping.EPOCH
        return OfferSummary(
            offer_id=_offer_id(o), name=str(o.get("name") or ""),
            category=str(o.get("category") or ((o.get("relationship") or {}).get("category") or {}).get("name")
                         or ""),
            status=_status(o), visibility=_visibility(o), relationship=seen.relationship, runnable=seen.runnable,
            currency=str(o.get("currency_id") or self.currency), payout_type=payout_type,
            payout_amount=payout_amount, preview_url=str(o.get("preview_url") or ""), has_thumbnail=False,
            time_created=created, time_saved=mapping.instant(o.get("time_saved")) or created, caps={},
            description_html="",
        )

    def _detail(self, o: dict, summary: OfferSummary) -> OfferDetail:
        return OfferDetail(**vars(summary), restrictions="",
                           landing_pages=(LandingPage(0, "Default", summary.preview_url),),
                           deep_links_allowed=False, allowed_countries=(), creatives=(), application=None,
                           can_apply=False)

    def offers(self, partner_id: int, filters: OfferFilters, page: Page, now: datetime, details: bool = False) -> Paged:
        shaped = self._visible_offers()
        text = (filters.search or "").lower()
        shaped = [s for s in shaped if (not text or text in s.name.lower() or text == str(s.offer_id))
                  and (not filters.category or s.category == filters.category)
                  and (not filters.status or s.status == filters.status) and (not filters.mine or s.runnable)]
        shaped.sort(key=lambda s: s.offer_id)
        chosen = shaped[page.offset:page.offset + page.page_size]
        if details:
            by_id = {_offer_id(o): o for o in self._all_offers()}
            chosen = [self._detail(by_id[s.offer_id], s) for s in chosen]
        return Paged(items=chosen, page=page, total_count=len(shaped))

    def offer_categories(self, partner_id: int, now: datetime) -> list[str]:
        return sorted({s.category for s in self._visible_offers() if s.category})

    def offer(self, partner_id: int, offer_id: int, now: datetime) -> OfferDetail | None:
        found = next((o for o in self._all_offers() if _offer_id(o) == offer_id), None)
        if found is None:
            return None
        record = self.client.get(f"{OFFERS}/{offer_id}/visibility")  # never cached: links follow a block at once
        if record is not None and _offer_id(record) == offer_id:
            mine = access.standing(record, self.affiliate_id)
        else:  # not served here: the list's answer (cached), or none
            mine = (access.standings(self.client.get(f"{NETWORKS}/offervisibility", cache=True),
                                     self.affiliate_id) or {}).get(offer_id)
        seen = access.access(_visibility(found), _status(found), mine)
        if not seen.visible:
            return None
        return self._detail(found, self._summary(found, seen, self._payouts().get(offer_id)))

    def runnable_offers(self, partner_id: int) -> list[tuple[int, str]]:
        return sorted(((s.offer_id, s.name) for s in self._visible_offers() if s.runnable), key=lambda pair: pair[1])

    def offer_runnable(self, partner_id: int, offer_id: int) -> bool:
        found = self.offer(partner_id, offer_id, datetime.now(UTC))
        return found is not None and found.runnable

    def tracking_link(self, partner_id: int, offer_id: int, url_id: int, values: dict, base_url: str) -> str:
        """The tracking platform's own link for the partner (its tracking domain, its click ids)."""
        body = {"network_offer_id": offer_id, "network_affiliate_id": self.affiliate_id,
                "network_offer_url_id": url_id, "creative_id": values.get("creative_id") or 0,
                "is_encrypt_parameters": False,
                **{name: values[name] for name in ("sub1", "sub2", "sub3", "sub4", "sub5", "source_id")
                   if values.get(name)}}
        answer = self.client.post("/v1/networks/tracking/offers/clicks", body) or {}
        url = answer.get("url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise UpstreamRefused("The network's tracking platform did not make a tracking link")
        return url

    def impression_link(self, partner_id: int, offer_id: int, url_id: int, values: dict, base_url: str) -> str:
        raise NotServedUpstream("Impression pixels")

    def listed_links(self, partner_id: int, offer_id: int, base_url: str) -> tuple[str, str]:
        # Each link is one call to the platform: a list of offers would cost one per offer. Lists leave them
        # empty; the offer's own page and /v1/affiliates/offers/{id}/url make the link.
        return "", ""

    def apply_to_offer(self, partner_id: int, offer_id: int, note: str, actor: Actor | None) -> ApplicationView:
        raise NotServedUpstream("Applying to an offer")

    def coupon_codes(self, partner_id: int, page: Page, now: datetime, offer_id: int | None = None) -> Paged:
        raise NotServedUpstream("Coupon codes")

    def product_feeds(self, partner_id: int, offer_ids: tuple[int, ...] | None, page: Page, now: datetime) -> Paged:
        raise NotServedUpstream("Product feeds")

    def traffic_controls(self, partner_id: int, now: datetime) -> list:
        # Everflow's network traffic controls name their affiliates only on the full object, one call per
        # rule; until that is worth its budget, the network's rules are read on its own platform.
        raise NotServedUpstream("Traffic controls")

    def creative_file(self, partner_id: int, offer_id: int, creative_id: int, now: datetime) -> StoredFile | None:
        return None

    def offer_thumbnail(self, partner_id: int, offer_id: int, now: datetime) -> StoredFile | None:
        return None

    def product_feed_file(self, partner_id: int, feed_id: int, now: datetime) -> StoredFile | None:
        return None


def _offer_id(o: dict) -> int:
    return access.whole_id(o.get("network_offer_id")) or 0


def _status(o: dict) -> str:
    return str(o.get("offer_status") or "active")


def _visibility(o: dict) -> str:
    return str(o.get("visibility") or "public")


def _payout(o: dict) -> tuple[str, int]:
    """The default payout entry's rule and amount (flat in minor units, percent in basis points)."""
    relationship = o.get("relationship") if isinstance(o.get("relationship"), dict) else {}
    entries = relationship.get("payout_revenue") or []
    if isinstance(entries, dict):
        entries = entries.get("entries") or []
    entry = next((e for e in entries if isinstance(e, dict) and e.get("is_default")),
                 next((e for e in entries if isinstance(e, dict)), {}))
    rule = mapping.payout_rule(entry.get("payout_type"))
    if rule == "percent":
        return rule, mapping.cents(entry.get("payout_percentage"))
    return rule, mapping.cents(entry.get("payout_amount"))
