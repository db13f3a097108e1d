"""Putting the demo together: people and offers first, then each partner's traffic, streamed to the database."""

from __future__ import annotations

import random
from datetime import date, datetime

from sqlalchemy import text

from portal.cli.demo.catalogue import create_offers
from portal.cli.demo.offer_extras import furnish, grant_access
from portal.cli.demo.people import DemoPeople, add_big_partner, create_people
from portal.cli.demo.timeline import Window, apportion
from portal.cli.demo.traffic import OfferPlan, Stream, TrafficGenerator
from portal.cli.demo.vocabulary import profile_for
from portal.cli.demo.writer import ChunkedWriter, Progress, note
from portal.extensions import db
from portal.services import rollups

DEMO_DAYS = 90
BIG_PARTNER_DAYS = 365
BIG_PARTNER_OFFERS = 8


def generate(rng: random.Random, last_day: date, now: datetime, *, clicks: int, conversions: int,
             big_partner_conversions: int = 0) -> None:
    """Everything, in order: people, offers, the demo traffic, then the optional Big Partner."""
    note("Network settings, staff, partners and partner users …")
    people = create_people(rng, last_day)
    made = create_offers(last_day)
    offers = [OfferPlan(offer, spec, next_order=rng.randint(100_000, 900_000)) for offer, spec in made]
    db.session.commit()
    note(f"  {len(people.partners)} partners with traffic, {len(offers)} offers")
    live = [plan for plan in offers if plan.spec.popularity > 0]

    window = Window.ending(last_day, DEMO_DAYS, now)
    traffic = TrafficGenerator(rng, window)
    runs: dict[int, set[int]] = {}
    streams = _demo_streams(rng, traffic, people, live, clicks, conversions, last_day.year, runs)
    note("  landing pages, creatives, coupon codes, offer access …")
    # Its own generator, so that the traffic drawn from `rng` stays what it was before the extras existed.
    furnish(random.Random(last_day.toordinal()), made, people.main,
            [partner for partner, _ in people.partners if partner is not people.main], runs, last_day)
    db.session.commit()
    _write(traffic, streams, f"Clicks and conversions over {DEMO_DAYS} days")

    if big_partner_conversions:
        partner = add_big_partner(rng, people.manager, last_day)
        db.session.commit()
        traffic = TrafficGenerator(rng, Window.ending(last_day, BIG_PARTNER_DAYS, now))
        profile = profile_for(rng, short="BIG", domain="bigpartner.example", home_country="US",
                              year=last_day.year)
        chosen = sorted(rng.sample(live, min(BIG_PARTNER_OFFERS, len(live))), key=lambda p: p.offer.id)
        grant_access({partner.id: {plan.offer.id for plan in chosen}}, made, last_day)
        db.session.commit()
        stream = traffic.stream(partner.id, profile, chosen, 5 * big_partner_conversions, big_partner_conversions)
        _write(traffic, [stream], f"Big Partner over {BIG_PARTNER_DAYS} days")
    _analyse()


def _analyse() -> None:
    """Refresh the planner's statistics after a bulk load, as autovacuum would only later: without them
    PostgreSQL plans the report queries for empty tables (index scans over the whole rollup table)."""
    note("  table statistics …")
    db.session.execute(text("ANALYZE"))
    db.session.commit()


def _demo_streams(rng: random.Random, traffic: TrafficGenerator, people: DemoPeople, offers: list[OfferPlan],
                  clicks: int, conversions: int, year: int, runs: dict[int, set[int]]) -> list[Stream]:
    """Split the volume over the partners (the main demo partner gets the most) and plan each one; `runs`
    gets each partner's offer ids."""
    specs = [spec for _, spec in people.partners]
    click_split = apportion(clicks, [s.click_share for s in specs])
    conversion_split = [min(n, k) for n, k in
                        zip(apportion(conversions, [s.conversion_share for s in specs]), click_split)]
    streams = []
    for (partner, spec), n_clicks, n_conversions in zip(people.partners, click_split, conversion_split):
        profile = profile_for(rng, short=spec.short, domain=spec.domain, home_country=spec.country, year=year)
        plans = offers if partner is people.main else sorted(
            rng.sample(offers, rng.randint(min(6, len(offers)), min(12, len(offers)))), key=lambda p: p.offer.id)
        runs[partner.id] = {plan.offer.id for plan in plans}
        streams.append(traffic.stream(partner.id, profile, plans, n_clicks, n_conversions,
                                      suspect=spec.fraud_flag, recent_minimum=partner is people.main))
    return streams


def _write(traffic: TrafficGenerator, streams: list[Stream], label: str) -> None:
    totals = {"clicks": sum(sum(s.clicks_per_day) for s in streams),
              "conversions": sum(sum(s.conversions_per_day) for s in streams)}
    writer = ChunkedWriter(Progress(label, totals))
    for click_rows, conversion_rows in traffic.batches(streams):
        writer.add(click_rows, conversion_rows)
    writer.close()
    note("  report rollups …")
    rollups.rebuild(db.session, [s.partner_id for s in streams])
    db.session.commit()
