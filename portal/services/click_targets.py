"""What the tracker needs to know about a link's partner and offer, cached in the process for a few seconds.

The click path reads these on every request, so each lookup is one small query per TTL window
(TRACKING_CACHE_SECONDS, default 5) instead of one per click. Safe to cache because everything here is
re-read after the TTL: a paused, expired or withdrawn offer stops taking clicks within that many seconds
(and the one query that reloads it), in every process. When an entry expires, the first request to need
it reloads it while concurrent ones answer with the expired value: otherwise every thread of a busy
process misses at the same moment and queues for the pool, a stall that showed as seconds-long p99s. And
an entry used in the last fifth of its TTL is reloaded ahead, on the cache's own thread, so that under
steady traffic entries never expire and no click waits for a reload.

A partner_key → partner mapping never changes (keys are never reused), so a found one keeps; a key not
found is only remembered for the TTL, since it may be taken at any moment.
"""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app
from sqlalchemy import select

from portal.domain.destinations import offer_sites
from portal.domain.traffic import Rule
from portal.extensions import db
from portal.models import SETTINGS_ROW_ID, NetworkSettings, Offer, OfferAccess, OfferUrl, Partner, PartnerKeyReservation
from portal.models.offers import CAP_KINDS, CAP_PERIODS
from portal.queries import offer_caps, traffic_controls
from portal.queries.offer_access import is_runnable

MAX_ENTRIES = 100_000  # past this, a cache starts over (hostile ids must not grow memory without bound)
REFRESH_AHEAD = 0.2  # an entry used in the last fifth of its TTL is reloaded in the background


@dataclass(frozen=True)
class PartnerTarget:
    id: int
    status: str
    is_test: bool


@dataclass(frozen=True)
class OfferTarget:
    id: int
    status: str
    live_until: datetime | None
    destination_url: str
    landing_pages: dict[int, tuple[str, str]]  # url id → (destination URL, status)
    allowed_countries: frozenset[str]
    deep_links_allowed: bool
    fallback_url: str
    payout_type: str
    payout_amount: int
    visibility: str = "public"
    sites: frozenset[str] = frozenset()  # domain.destinations.site_of of the destination and active pages
    caps: tuple[tuple[str, str, int], ...] = ()  # (period, "click" or "conversion", limit) of each cap set
    currency: str = "USD"  # what its payouts are in


@dataclass(frozen=True)
class Standing:
    """A partner on an offer: may it run it now, and its payout override (both None: the offer's own)."""

    runnable: bool
    payout_type: str | None = None
    payout_amount: int | None = None
    access: str | None = None  # the partner's OfferAccess status on the offer, if it has a row


class TargetCache:
    """Per-process lookups with a time-to-live; `clear()` forgets everything at once."""

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self.clock = time.monotonic  # replaceable, so that tests can move time on
        self._entries: dict[tuple, tuple[float, object]] = {}
        self._keys: dict[str, int] = {}  # partner_key → partner id, kept: a key once taken is never reused
        self._reloading: set[tuple] = set()  # entries being reloaded now (by a request or in the background)
        self._refresher: ThreadPoolExecutor | None = None
        self._refresher_pid: int | None = None
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._keys.clear()

    def _cached(self, key: tuple, load):
        now = self.clock()
        found = self._entries.get(key)
        if found is not None:
            if found[0] > now:
                if found[0] - now < self.ttl * REFRESH_AHEAD and key not in self._reloading:
                    self._refresh_in_background(key, load)
                return found[1]
            with self._lock:  # expired: one request reloads it, the others meanwhile answer with what was known
                if key in self._reloading:
                    return found[1]
                self._reloading.add(key)
        try:
            value = load()
        finally:
            if found is not None:
                with self._lock:
                    self._reloading.discard(key)
        self._store(key, value)
        return value

    def _store(self, key: tuple, value) -> None:
        if self.ttl > 0:
            with self._lock:
                if len(self._entries) >= MAX_ENTRIES:
                    self._entries.clear()
                self._entries[key] = (self.clock() + self.ttl, value)

    def _refresh_in_background(self, key: tuple, load) -> None:
        """Reload an entry about to expire on the cache's own thread, so that under steady traffic no click
        waits for a reload (in a busy process a one-row query took a request 50 ms of waiting for the GIL)."""
        with self._lock:
            if key in self._reloading:
                return
            self._reloading.add(key)
            if self._refresher is None or self._refresher_pid != os.getpid():  # (no thread survives a fork)
                self._refresher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tracker-cache")
                self._refresher_pid = os.getpid()
        app = current_app._get_current_object()

        def refresh() -> None:
            try:
                with app.app_context():
                    self._store(key, load())
            except Exception:  # noqa: BLE001  (the entry stays; the next request past its expiry reloads it)
                app.logger.warning("The tracker could not refresh %s", key[0], exc_info=True)
            finally:
                with self._lock:
                    self._reloading.discard(key)

        self._refresher.submit(refresh)

    def partner(self, partner_id: int) -> PartnerTarget | None:
        return self._cached(("partner", partner_id), lambda: _load_partner(partner_id))

    def partner_by_key(self, partner_key: str) -> PartnerTarget | None:
        partner_id = self._keys.get(partner_key)
        if partner_id is None:
            # A miss is remembered only for the TTL, like any lookup: the key may be taken a moment later.
            partner_id = self._cached(("partner_key", partner_key), lambda: db.session.scalar(
                select(PartnerKeyReservation.partner_id).where(PartnerKeyReservation.key == partner_key)))
            if partner_id is None:
                return None
            with self._lock:
                if len(self._keys) >= MAX_ENTRIES:
                    self._keys.clear()
                self._keys[partner_key] = partner_id
        return self.partner(partner_id)

    def offer(self, offer_id: int) -> OfferTarget | None:
        return self._cached(("offer", offer_id), lambda: _load_offer(offer_id))

    def standing(self, partner_id: int, offer_id: int, now: datetime) -> Standing:
        """portal.queries.offer_access's rule and the partner's payout override, remembered for the TTL."""
        return self._cached(("standing", partner_id, offer_id), lambda: _load_standing(partner_id, offer_id, now))

    def capped(self, offer: OfferTarget, now: datetime) -> bool:
        """Has the offer reached one of its caps (as counted at most the TTL ago)? No query without caps."""
        if not offer.caps:
            return False
        return self._cached(("capped", offer.id), lambda: any(
            count >= limit for count, (_, _, limit) in zip(offer_caps.used(offer.id, offer.caps, now,
                                                                             self.network_timezone()), offer.caps)))

    def network_timezone(self) -> ZoneInfo:
        """The network's timezone (caps' days, weeks and months start in it); UTC if it names none we know."""
        def load() -> ZoneInfo:
            name = db.session.scalar(select(NetworkSettings.timezone).where(NetworkSettings.id == SETTINGS_ROW_ID))
            try:
                return ZoneInfo(name or "UTC")
            except (ValueError, ZoneInfoNotFoundError):
                return ZoneInfo("UTC")
        return self._cached(("timezone",), load)

    def traffic_rules(self, now: datetime) -> tuple[Rule, ...]:
        """Every traffic control in force, one load (three small queries) per TTL for all partners and offers:
        a rule saved or deactivated takes effect within that many seconds."""
        return self._cached(("traffic",), lambda: traffic_controls.enforced_rules(now))

    def network_fallback_url(self) -> str:
        return self._cached(("fallback",), lambda: db.session.scalar(
            select(NetworkSettings.tracking_fallback_url).where(NetworkSettings.id == SETTINGS_ROW_ID)) or "")


def _load_partner(partner_id: int) -> PartnerTarget | None:
    row = db.session.execute(select(Partner.id, Partner.status, Partner.is_test)
                             .where(Partner.id == partner_id)).first()
    return None if row is None else PartnerTarget(row.id, row.status, bool(row.is_test))


def _load_standing(partner_id: int, offer_id: int, now: datetime) -> Standing:
    row = db.session.execute(select(OfferAccess.status, OfferAccess.payout_type, OfferAccess.payout_amount)
                             .where(OfferAccess.partner_id == partner_id, OfferAccess.offer_id == offer_id)).first()
    access = row.status if row is not None else None
    if not is_runnable(partner_id, offer_id, now):
        return Standing(False, access=access)
    return Standing(True, *(row[1:] if row is not None else (None, None)), access=access)


# (period, kind) → the Offer column holding that cap, for every cap Everflow has.
_CAP_COLUMNS = {(period, kind): getattr(Offer, f"{period}_{kind}_cap") for period in CAP_PERIODS for kind in CAP_KINDS}


def _load_offer(offer_id: int) -> OfferTarget | None:
    columns = (Offer.id, Offer.status, Offer.live_until, Offer.destination_url, Offer.allowed_countries,
               Offer.deep_links_allowed, Offer.fallback_url, Offer.payout_type, Offer.payout_amount, Offer.visibility,
               Offer.currency, *_CAP_COLUMNS.values())
    row = db.session.execute(select(*columns).where(Offer.id == offer_id)).first()
    if row is None:
        return None
    pages = db.session.execute(select(OfferUrl.id, OfferUrl.destination_url, OfferUrl.status)
                               .where(OfferUrl.offer_id == offer_id)).all()
    limits = row[len(columns) - len(_CAP_COLUMNS):]
    return OfferTarget(row.id, row.status, row.live_until, row.destination_url or "",
                       {page.id: (page.destination_url, page.status) for page in pages},
                       frozenset(code.upper() for code in (row.allowed_countries or []) if isinstance(code, str)),
                       bool(row.deep_links_allowed), row.fallback_url or "", row.payout_type,
                       int(row.payout_amount or 0), row.visibility,
                       offer_sites(row.destination_url or "",
                                   [page.destination_url for page in pages if page.status == "active"]),
                       tuple((period, kind, int(limit)) for (period, kind), limit in zip(_CAP_COLUMNS, limits)
                             if limit and limit > 0), row.currency or "USD")
