"""Demo clicks and conversions, generated a day at a time so that any volume streams in small batches."""

from __future__ import annotations

import heapq
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import accumulate

from portal.cli.demo.catalogue import OfferSpec
from portal.cli.demo.timeline import DAY, Window, after, apportion, day_weights, ensure_at_least, instants
from portal.cli.demo.vocabulary import (AGENT_TRAITS, COUNTRIES, DEVICE_CUM, DEVICES, USER_AGENTS, SubIdProfile,
                                        random_ip)
from portal.models import Offer
from portal.services.rollups import click_payout_cents

STATUSES = ("approved", "pending", "rejected", "on_hold")
RECENT_STATUS_CUM = tuple(accumulate((60, 25, 7, 8)))  # converted in the last 30 days: more still pending
OLDER_STATUS_CUM = tuple(accumulate((78, 7, 9, 6)))
SUSPECT_STATUS_CUM = tuple(accumulate((52, 14, 28, 6)))  # a fraud-flagged partner gets rejected more often
EVENT_RATE = 0.10
TEST_EVERY = 100  # one conversion in a hundred is a test conversion
UNIQUE_RATE = 0.88
STRAY_TEST_CLICK_RATE = 0.003
RECENT_MINIMUM = (20, 3)  # clicks and conversions the main partner has on each of the last two days


@dataclass
class OfferPlan:
    """What traffic needs to know about one offer, plus its running order number."""

    offer: Offer
    spec: OfferSpec
    next_order: int = 0
    click_cents: int = field(init=False)  # what a unique click earns: the CPC (demo partners have no overrides)

    def __post_init__(self) -> None:
        self.click_cents = click_payout_cents(self.offer, None)

    def sale_cents(self, rng: random.Random) -> int:
        if not self.spec.aov_cents:
            return 0
        sale = max(1_000, int(self.spec.aov_cents * rng.lognormvariate(0, 0.45)))
        return sale // 100 * 100 + 99

    def revenue_cents(self, sale_cents: int) -> int:
        if self.offer.payout_type == "percent":
            return sale_cents * self.offer.network_revenue_amount // 10_000
        return self.offer.network_revenue_amount

    def order_id(self, rng: random.Random) -> str:
        self.next_order += rng.randint(1, 40)  # increasing, so unique per offer
        return f"{self.spec.domain.split('.')[0][:6].upper()}-{self.next_order}"


@dataclass
class Stream:
    """One partner's clicks and conversions per day of the window."""

    partner_id: int
    profile: SubIdProfile
    offers: list[OfferPlan]
    offer_cum: tuple[float, ...]
    clicks_per_day: list[int]
    conversions_per_day: list[int]
    status_cum: tuple[int, ...] | None = None
    first_on_last_day_pending: bool = False
    inverse_affinity: list[float] = field(default_factory=list)


class TrafficGenerator:
    """Turns per-partner plans into batches of click and conversion rows, all from one seeded generator."""

    def __init__(self, rng: random.Random, window: Window) -> None:
        self.rng = rng
        self.window = window
        self.conversion_count = 0

    def stream(self, partner_id: int, profile: SubIdProfile, offers: Sequence[OfferPlan], clicks: int,
               conversions: int, *, suspect: bool = False, recent_minimum: bool = False) -> Stream:
        rng = self.rng
        weights = [plan.spec.popularity * rng.uniform(0.4, 1.6) for plan in offers]
        busy = day_weights(rng, self.window.days, surge_days=21 if suspect else 0, surge=2.5)
        clicks_per_day = apportion(clicks, busy)
        last = len(busy) - 1
        recent = (last, last - 1) if recent_minimum and last > 0 else ()
        ensure_at_least(clicks_per_day, recent, RECENT_MINIMUM[0])
        conversions_per_day = apportion(conversions, clicks_per_day)
        ensure_at_least(conversions_per_day, recent, RECENT_MINIMUM[1], ceiling=clicks_per_day)
        return Stream(
            partner_id=partner_id, profile=profile, offers=list(offers), offer_cum=tuple(accumulate(weights)),
            clicks_per_day=clicks_per_day, conversions_per_day=conversions_per_day,
            status_cum=SUSPECT_STATUS_CUM if suspect else None, first_on_last_day_pending=recent_minimum,
            inverse_affinity=[1 / plan.spec.affinity for plan in offers],
        )

    def batches(self, streams: Sequence[Stream]) -> Iterator[tuple[list[dict], list[dict]]]:
        """(clicks, conversions) for each partner and day, oldest day first."""
        for day in range(len(self.window.days)):
            for stream in streams:
                if stream.clicks_per_day[day]:
                    yield self._day(stream, day)

    def _day(self, s: Stream, day: int) -> tuple[list[dict], list[dict]]:
        rng, profile = self.rng, s.profile
        k, c = s.clicks_per_day[day], s.conversions_per_day[day]
        start, usable = self.window.day_span(day)
        times = sorted(instants(rng, start, usable, k))
        picks = rng.choices(range(len(s.offers)), cum_weights=s.offer_cum, k=k)
        devices = rng.choices(DEVICES, cum_weights=DEVICE_CUM, k=k)
        countries = rng.choices(COUNTRIES, cum_weights=profile.country_cum, k=k)
        campaigns = rng.choices(profile.campaigns, cum_weights=profile.campaign_cum, k=k)
        placements = rng.choices(profile.placements, k=k)
        sub4s = rng.choices(profile.sub4_values, k=k)
        sources = rng.choices(profile.sources, k=k)
        referers = rng.choices(profile.referers, k=k)
        rand, bits = rng.random, rng.getrandbits
        clicks = []
        for i in range(k):
            device = devices[i]
            agents = USER_AGENTS[device]
            agent = agents[int(rand() * len(agents))]
            browser, platform = AGENT_TRAITS[agent]
            plan = s.offers[picks[i]]
            click = {
                "transaction_id": f"{bits(128):032x}", "partner_id": s.partner_id,
                "offer_id": plan.offer.id,
                "sub1": campaigns[i], "sub2": placements[i], "sub3": profile.click_id(rng), "sub4": sub4s[i],
                "sub5": f"u_{bits(32):08x}" if rand() < profile.sub5_rate else None,
                "source_id": sources[i], "ip": random_ip(rng),
                "user_agent": agent, "referer": referers[i], "country": countries[i], "device": device,
                "browser": browser, "platform": platform, "is_unique": rand() < UNIQUE_RATE,
                "is_test": rand() < STRAY_TEST_CLICK_RATE,
                "created_at": datetime.fromtimestamp(times[i], UTC),
            }
            click["payout_cents"] = plan.click_cents if click["is_unique"] else 0  # demo clicks are all valid
            clicks.append(click)
        if not c:
            return clicks, []
        # Offers convert at different rates: weighted sampling without replacement (Efraimidis–Spirakis).
        keys = [rand() ** s.inverse_affinity[p] for p in picks]
        converting = sorted(heapq.nlargest(c, range(k), key=keys.__getitem__))
        pending_first = s.first_on_last_day_pending and day == len(self.window.days) - 1
        conversions = []
        for n, i in enumerate(converting):
            row = self._conversion(s, clicks[i], s.offers[picks[i]], times[i])
            if pending_first and n == 0:  # so that today's dashboard is never empty
                row.update(status="pending", is_test=False, event_name=None, hold_until=None)
            clicks[i]["is_test"] = row["is_test"]
            conversions.append(row)
        conversions.sort(key=lambda row: row["created_at"])
        return clicks, conversions

    def _conversion(self, s: Stream, click: dict, plan: OfferPlan, clicked: int) -> dict:
        rng = self.rng
        limit = self.window.cutoff_ts - 1
        at = after(rng, clicked, limit)
        status_cum = s.status_cum or (RECENT_STATUS_CUM if limit - at < 30 * DAY else OLDER_STATUS_CUM)
        status = rng.choices(STATUSES, cum_weights=status_cum)[0]
        self.conversion_count += 1
        event = rng.choice(plan.spec.events) if rng.random() < EVENT_RATE else None
        sale = plan.sale_cents(rng)
        percent = plan.offer.payout_type == "percent"
        order_id = plan.order_id(rng) if percent or rng.random() < 0.3 else None
        coupon = rng.choice(s.profile.coupons) if percent and rng.random() < 0.2 else None
        hold_until = None
        if status == "on_hold":
            hold_until = datetime.fromtimestamp(at + (plan.offer.hold_days or 30) * DAY, UTC)
        return {
            "conversion_id": f"{rng.getrandbits(128):032x}", "transaction_id": click["transaction_id"],
            "partner_id": s.partner_id, "offer_id": plan.offer.id, "event_name": event, "status": status,
            "payout_cents": plan.offer.payout_for(sale), "network_revenue_cents": plan.revenue_cents(sale),
            "sale_amount_cents": sale, "currency": "USD", "order_id": order_id, "coupon_code": coupon,
            "country": click["country"], "device": click["device"], "browser": click["browser"],
            "platform": click["platform"], "ip": click["ip"],
            "is_test": click["is_test"] or self.conversion_count % TEST_EVERY == TEST_EVERY // 2,
            "hold_until": hold_until,
            "click_created_at": click["created_at"], "created_at": datetime.fromtimestamp(at, UTC),
            "sub1": click["sub1"], "sub2": click["sub2"], "sub3": click["sub3"], "sub4": click["sub4"],
            "sub5": click["sub5"], "source_id": click["source_id"],
        }
