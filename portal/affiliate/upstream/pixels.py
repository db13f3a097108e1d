"""Upstream mode's postbacks: the network pixel endpoints, with the partner's affiliate id injected.

The partner never names an affiliate: every body is built by mapping.pixel_body with the linked id, and
a pixel is read, changed or deleted only after the upstream showed it is this affiliate's (another
affiliate's pixel id is "not found"). A change the upstream confirmed is audited here as in local mode
(postback.created, .updated, .deleted with the same detail), through LocalAccounts.audit_upstream_change. The delivery log, test sends and manual retries live in the
tracking platform, which does not serve them over this API: NotServedUpstream.

Shapes relied on: POST /v1/networks/pixelstable?page&page_size {filters: {network_affiliate_id}} → {pixels,
paging}; GET, PUT and DELETE
/v1/networks/pixels/{pixelId}; POST /v1/networks/pixels → the pixel with its network_pixel_id.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from portal.affiliate.upstream import mapping
from portal.domain.actors import Actor
from portal.domain.criteria import Page, Paged
from portal.domain.errors import NotServedUpstream, UpstreamRefused
from portal.domain.postbacks import AttemptView, DeliveryView, PostbackFilters, PostbackView

log = logging.getLogger(__name__)

PIXELS = "/v1/networks/pixels"
PAGE_SIZE = 100
MAX_PAGES = 10
DELIVERY_LOG = "The postback delivery log"


class UpstreamPixelsMixin:
    """Mixed into UpstreamBackend (its client, affiliate_id and _own)."""

    def _pixels(self) -> list[dict]:
        """Every pixel of the affiliate (a partner has at most MAX_POSTBACKS: one or two pages)."""
        found: list[dict] = []
        for page in range(1, MAX_PAGES + 1):
            answer = self.client.post(f"{PIXELS}table", {"filters": {"network_affiliate_id": self.affiliate_id}},
                                      params={"page": page, "page_size": PAGE_SIZE}) or {}
            rows = self._own(answer, "pixels")
            found.extend(rows)
            if len(rows) < PAGE_SIZE:
                break
        return found

    def _pixel(self, postback_id: int) -> dict | None:
        found = self.client.get(f"{PIXELS}/{int(postback_id)}")
        return found if mapping.belongs(found, self.affiliate_id) else None

    def _views(self, pixels: list[dict]) -> list[PostbackView]:
        names = dict(self.runnable_offers(0)) if any(p.get("network_offer_id") for p in pixels) else {}
        with mapping.refused():
            return [mapping.pixel(p, names) for p in pixels]

    def _audit(self, partner_id: int, action: str, pixel_id: int, detail: dict, actor: Actor | None) -> None:
        if self.accounts is not None:
            self.accounts.audit_upstream_change(partner_id, action, "Postback", pixel_id, detail, actor)

    def postback_count(self, partner_id: int) -> int:
        return len(self._pixels())

    def postbacks(self, partner_id: int, filters: PostbackFilters, page: Page) -> Paged:
        views = [v for v in self._views(self._pixels()) if _matches(v, filters)]
        views.sort(key=lambda v: v.id)
        return Paged(items=views[page.offset:page.offset + page.page_size], page=page, total_count=len(views))

    def postback(self, partner_id: int, postback_id: int) -> PostbackView | None:
        found = self._pixel(postback_id)
        return self._views([found])[0] if found is not None else None

    def latest_conversion_values(self, partner_id: int, offer_id: int | None) -> tuple[str, dict[str, str]] | None:
        return None  # previews use the sample values: the upstream's macros are its own

    def create_postback(self, partner_id: int, values: dict, limit: int, actor: Actor | None) -> int | None:
        if len(self._pixels()) >= limit:
            return None
        created = self.client.create(PIXELS, mapping.pixel_body(values, self.affiliate_id)) or {}
        pixel_id = mapping.affiliate_of({"network_affiliate_id": created.get("network_pixel_id")})
        if not mapping.belongs(created, self.affiliate_id) or not pixel_id:
            raise UpstreamRefused("The network's tracking platform did not confirm the new postback")
        log.info("upstream pixel %s created for affiliate %s by %s", pixel_id,
                 self.affiliate_id, actor.session_kind if actor else "network")
        method = values.get("delivery_method") or "postback"
        self._audit(partner_id, "postback.created", pixel_id, {
            "offer_id": values.get("offer_id"), "delivery_method": method, "status": values.get("status") or "active",
            "destination": _destination(values.get("url")) if method == "postback" else None}, actor)
        return pixel_id

    def update_postback(self, partner_id: int, postback_id: int, values: dict, actor: Actor | None) -> bool:
        found = self._pixel(postback_id)
        if found is None:
            return False
        before = self._views([found])[0]
        updated = self.client.put(f"{PIXELS}/{int(postback_id)}", mapping.pixel_body(values, self.affiliate_id))
        if updated is None:
            return False
        changed = sorted(name for name, value in values.items() if getattr(before, name, None) != value)
        if changed:
            detail: dict = {"changed": changed}
            if "status" in changed:
                detail["status"] = {"from": before.status, "to": values["status"]}
            if _destination(values.get("url")) != _destination(before.url):
                detail["destination"] = {"from": _destination(before.url), "to": _destination(values.get("url"))}
            self._audit(partner_id, "postback.updated", int(postback_id), detail, actor)
        return True

    def delete_postback(self, partner_id: int, postback_id: int, actor: Actor | None) -> bool:
        found = self._pixel(postback_id)
        if found is None:
            return False
        if self.client.delete(f"{PIXELS}/{int(postback_id)}") is None:
            return False
        self._audit(partner_id, "postback.deleted", int(postback_id),
                    {"destination": _destination(self._views([found])[0].url)}, actor)
        return True

    # --- what the tracking platform keeps to itself -------------------------------------------------

    def deliveries(self, partner_id: int, postback_id: int, page: Page, failed_only: bool) -> Paged:
        raise NotServedUpstream(DELIVERY_LOG)

    def delivery(self, partner_id: int, postback_id: int, delivery_id: int) -> DeliveryView | None:
        raise NotServedUpstream(DELIVERY_LOG)

    def postback_attempt(self, partner_id: int, postback_id: int, attempt_id: int) -> AttemptView | None:
        raise NotServedUpstream(DELIVERY_LOG)

    def enqueue_test(self, partner_id: int, postback_id: int) -> int | None:
        raise NotServedUpstream("Sending a test postback")

    def send_delivery(self, partner_id: int, delivery_id: int) -> AttemptView | None:
        raise NotServedUpstream("Retrying a postback delivery")


def _destination(url: object) -> str | None:
    """The host a postback URL sends to, as local mode audits it (portal.services.postbacks.destination)."""
    if not isinstance(url, str) or not url:
        return None
    try:
        return urlsplit(url).hostname
    except ValueError:
        return None


def _matches(view: PostbackView, filters: PostbackFilters) -> bool:
    if filters.offer_id is not None and (view.offer_id or 0) != filters.offer_id:
        return False
    if filters.status and view.status != filters.status:
        return False
    if filters.postback_type and view.postback_type != filters.postback_type:
        return False
    if filters.delivery_method and view.delivery_method != filters.delivery_method:
        return False
    text = (filters.search or "").lower()
    return not text or any(text in (s or "").lower() for s in (view.url, view.html_code, view.description,
                                                                 view.offer_name, view.event_name))
