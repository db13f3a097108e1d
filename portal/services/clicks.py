"""Taking a click or an impression: decide where the visitor goes, record the row and its rollup, commit.

The click is committed before the tracker answers, so a redirected click is attributable even if the
process dies right after (the 302 is only sent once the database has the row). Lookups come from the
per-process TargetCache; the write goes through the process's TrafficWriter (group commit: Core INSERTs
and the rollup upsert of many concurrent requests in one transaction).

Invalid clicks (Everflow's error_code and error_message on the raw click; the codes are ours, listed in
CLICK_ERRORS) are recorded whenever the partner exists and the offer is known to it (not pending; if
private, granted or blocked), counted as invalid and never as unique, and the visitor goes to the offer's
fallback URL, else the network's, else a portal page. A click a traffic control blocks (portal.domain.traffic;
the rules cached with the other lookups) is one of them: TRAFFIC_CONTROL, with the rule's id on the click.
Links naming an unknown partner, offer or partner_key, or an offer the partner must not know of, record
nothing: the partner's click stream and reports would otherwise show that offer's name.

Unique vs duplicate: a click is a duplicate when the same IP clicked the same partner's link to the same
offer within the last 24 hours, as remembered by this process (RecentVisitors). That costs no query; the
price is that with several worker processes a repeat click landing on another worker counts as unique
again, and a restart forgets. Everflow's own uniqueness is also best-effort (cookie or IP based).
"""

from __future__ import annotations

import re
import secrets
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from portal.domain.destinations import deep_link, fill
from portal.domain.tracking_links import MAX_SUB_LENGTH, SUB_PARAMETERS
from portal.domain.traffic import blocking_rule
from portal.extensions import db
from portal.services.click_targets import OfferTarget, PartnerTarget, TargetCache
from portal.services.rollups import click_payout_cents
from portal.services.traffic_writer import TrafficWriter

UNIQUE_WINDOW = timedelta(hours=24)
_UNSTORABLE = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")
MAX_REMEMBERED = 500_000  # visitors RecentVisitors keeps; the oldest go first
MAX_ID_DIGITS = 9  # uid and creative_id: ids of 32-bit columns
MAX_PARTNER_KEY = 80  # the reservations table's key column: a longer key is no one's

# error_code → error_message, recorded on the click (Everflow shows both in the raw click report).
(PARTNER_INACTIVE, OFFER_PAUSED, OFFER_EXPIRED, OFFER_INACTIVE, NOT_RUNNABLE, BAD_LANDING_PAGE, COUNTRY, CAPPED,
 TRAFFIC_CONTROL) = range(1, 10)
CLICK_ERRORS = {
    PARTNER_INACTIVE: "Affiliate is not active",
    OFFER_PAUSED: "Offer is paused",
    OFFER_EXPIRED: "Offer has expired",
    OFFER_INACTIVE: "Offer is not active",
    NOT_RUNNABLE: "Affiliate is not approved to run this offer",
    BAD_LANDING_PAGE: "Unknown or paused offer URL (uid)",
    COUNTRY: "Country is not allowed on this offer",
    CAPPED: "Offer cap reached",
    TRAFFIC_CONTROL: "Blocked by a traffic control",
}


@dataclass(frozen=True)
class Visit:
    """What the tracker learned from the request; `params` are the link's query parameters."""

    ip: str | None
    user_agent: str
    referer: str | None
    country: str | None
    region: str | None
    city: str | None
    device: str
    platform: str | None
    browser: str | None
    params: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Outcome:
    known: bool  # partner and offer exist
    location: str | None  # where to send the browser (None: show the "not available" page)
    transaction_id: str | None = None  # the recorded click's id (None: nothing recorded)
    error_code: int | None = None


class RecentVisitors:
    """(ip, partner, offer) → when it was first seen, for UNIQUE_WINDOW; bounded, oldest evicted first."""

    def __init__(self, limit: int = MAX_REMEMBERED) -> None:
        self.limit = limit
        self._seen: OrderedDict[tuple, datetime] = OrderedDict()
        self._lock = threading.Lock()

    def is_repeat(self, key: tuple, now: datetime) -> bool:
        with self._lock:
            first = self._seen.get(key)
            if first is not None and now - first < UNIQUE_WINDOW:
                return True
            self._seen[key] = now
            self._seen.move_to_end(key)
            while len(self._seen) > self.limit:
                self._seen.popitem(last=False)
            return False


@dataclass
class Tracker:
    """One process's tracker state: cached lookups, the group-commit writer, the recent visitors."""

    targets: TargetCache
    writer: TrafficWriter = field(default_factory=TrafficWriter)
    visitors: RecentVisitors = field(default_factory=RecentVisitors)


def clean_sub(value: str | None) -> str | None:
    """A sub id as stored: control characters and lone surrogates dropped, cut to MAX_SUB_LENGTH; "" → None.
    A bad sub never refuses the click: the visitor still lands, with what could be kept."""
    if not value:
        return None
    return _UNSTORABLE.sub("", value)[:MAX_SUB_LENGTH] or None


def _small_id(value: str | None) -> int | None:
    """A uid or creative_id: None when absent, -1 when not a plain number that fits."""
    value = (value or "").strip()
    if not value:
        return None
    if not (value.isascii() and value.isdigit()) or len(value) > MAX_ID_DIGITS:
        return -1
    return int(value)


def _problem(cache: TargetCache, partner: PartnerTarget, offer: OfferTarget, url_id: int, country: str | None,
             now: datetime) -> int | None:
    if partner.status != "active":
        return PARTNER_INACTIVE
    if offer.status == "paused":
        return OFFER_PAUSED
    if offer.status == "expired" or (offer.live_until is not None and offer.live_until <= now):
        return OFFER_EXPIRED
    if offer.status != "active":
        return OFFER_INACTIVE
    if not cache.standing(partner.id, offer.id, now).runnable:
        return NOT_RUNNABLE
    if url_id and offer.landing_pages.get(url_id, ("", "paused"))[1] != "active":
        return BAD_LANDING_PAGE
    if offer.allowed_countries and country not in offer.allowed_countries:
        return COUNTRY
    if cache.capped(offer, now):
        return CAPPED
    return None


def _known_to(cache: TargetCache, partner: PartnerTarget, offer: OfferTarget, now: datetime) -> bool:
    """May the partner learn that this offer exists (its name shows on the partner's recorded clicks)?"""
    if offer.status == "pending":
        return False
    return offer.visibility != "private" or cache.standing(partner.id, offer.id, now).access in ("approved", "blocked")


def _blocked_by(cache: TargetCache, partner: PartnerTarget, offer: OfferTarget, values: dict, visit: Visit,
                now: datetime) -> int | None:
    """The id of the traffic control that blocks this click (None: none does); no query while cached."""
    rules = cache.traffic_rules(now)
    if not rules:
        return None
    variables = {**values, "ip": visit.ip, "user_agent": visit.user_agent, "referer": visit.referer,
                 "country": visit.country}
    rule = blocking_rule(rules, partner.id, offer.id, variables, now)
    return None if rule is None else rule.id


def _landing_page(offer: OfferTarget, url_id: int, params: Mapping[str, str]) -> str:
    if offer.deep_links_allowed:
        link = deep_link(params.get("url"), offer.sites)
        if link is not None:
            return link  # the partner's own page on the offer's site, as given
    return offer.landing_pages[url_id][0] if url_id else offer.destination_url


def _fallback(cache: TargetCache, offer: OfferTarget | None) -> str | None:
    return (offer.fallback_url if offer is not None else "") or cache.network_fallback_url() or None


def _traffic_values(partner: PartnerTarget, offer: OfferTarget, url_id: int, visit: Visit, now: datetime) -> dict:
    creative = _small_id(visit.params.get("creative_id"))
    values = {name: clean_sub(visit.params.get(name)) for name in SUB_PARAMETERS}
    values.update(partner_id=partner.id, offer_id=offer.id, offer_url_id=max(url_id, 0),
                  creative_id=creative if creative and creative > 0 else None, ip=visit.ip,
                  user_agent=visit.user_agent[:500] or None, referer=(visit.referer or "")[:1000] or None,
                  country=visit.country, is_test=partner.is_test, created_at=now)
    return values


def _repeat(visitors: RecentVisitors, visit: Visit, partner: PartnerTarget, offer: OfferTarget,
            now: datetime) -> bool:
    return bool(visit.ip) and visitors.is_repeat((visit.ip, partner.id, offer.id), now)


def _hand_over(writer: TrafficWriter, kind: str, values: dict) -> None:
    """Commit the row through the process's writer; returns once it is durable."""
    if db.session.registry.has() and db.session().in_transaction():  # (a click served from the cache has none)
        db.session.rollback()  # end this request's reads: hold no connection (nor SQLite lock) while waiting
    writer.write(db.engine, kind, values)


def _partner(cache: TargetCache, partner: int | str) -> PartnerTarget | None:
    """The link's partner: by affiliate id, or by any partner_key it ever had."""
    if isinstance(partner, str):
        # A key no one can have (too long, or with a NUL, control character or lone surrogate, which the
        # database would refuse to compare) is unknown without asking the database.
        if len(partner) > MAX_PARTNER_KEY or _UNSTORABLE.search(partner):
            return None
        return cache.partner_by_key(partner)
    return cache.partner(partner)


def take_click(tracker: Tracker, partner_ref: int | str, offer_id: int, visit: Visit, now: datetime,
               record: bool = True) -> Outcome:
    """Where the click goes; when `record` (not for HEAD), the click row and its rollup are committed first.
    `partner_ref` is the link's affiliate id, or a partner_key."""
    cache = tracker.targets
    partner = _partner(cache, partner_ref)
    offer = cache.offer(offer_id) if partner is not None else None
    if partner is None or offer is None or not _known_to(cache, partner, offer, now):
        return Outcome(False, _fallback(cache, None))
    url_id = _small_id(visit.params.get("uid")) or 0
    error = _problem(cache, partner, offer, url_id, visit.country, now) if url_id >= 0 else BAD_LANDING_PAGE
    transaction_id = secrets.token_hex(16)
    values = _traffic_values(partner, offer, url_id, visit, now)
    control = _blocked_by(cache, partner, offer, values, visit, now) if error is None else None
    if control is not None:
        error = TRAFFIC_CONTROL
    values.update(traffic_control_id=control)
    values.update(transaction_id=transaction_id, region=visit.region, city=visit.city, device=visit.device,
                  platform=(visit.platform or "")[:40] or None, browser=(visit.browser or "")[:40] or None,
                  error_code=error, error_message=CLICK_ERRORS.get(error),
                  is_unique=error is None and record and not _repeat(tracker.visitors, visit, partner, offer, now))
    if not record:
        transaction_id = None
    else:
        earns = error is None and values["is_unique"]  # the CPC as it stands now stays with the click
        values["payout_cents"] = click_payout_cents(offer, cache.standing(partner.id, offer.id, now)) if earns else 0
        values["currency"] = offer.currency if values["payout_cents"] else None  # what it earned is in
        _hand_over(tracker.writer, "click", values)
    if error is not None:
        return Outcome(True, _fallback(cache, offer), transaction_id, error)
    macros = {**{name: values[name] or "" for name in SUB_PARAMETERS}, "transaction_id": transaction_id or "",
              "affiliate_id": partner.id, "offer_id": offer.id, "offer_url_id": values["offer_url_id"],
              "creative_id": values["creative_id"] or "", "country_code": visit.country or "",
              "unix_timestamp": int(now.timestamp())}
    return Outcome(True, fill(_landing_page(offer, url_id, visit.params), macros), transaction_id)


def take_impression(tracker: Tracker, affiliate_id: int, offer_id: int, visit: Visit, now: datetime) -> bool:
    """Record one impression when the link is valid (same rules as a click); False: nothing recorded."""
    cache = tracker.targets
    partner = cache.partner(affiliate_id)
    offer = cache.offer(offer_id) if partner is not None else None
    if partner is None or offer is None or not _known_to(cache, partner, offer, now):
        return False
    url_id = _small_id(visit.params.get("uid")) or 0
    if url_id < 0 or _problem(cache, partner, offer, url_id, visit.country, now) is not None:
        return False
    values = _traffic_values(partner, offer, url_id, visit, now)
    if _blocked_by(cache, partner, offer, values, visit, now) is not None:
        return False
    _hand_over(tracker.writer, "impression", values)
    return True
