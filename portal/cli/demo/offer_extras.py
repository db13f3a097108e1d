"""What the demo offers carry beyond their payout: landing pages, creatives (small banners drawn with Pillow
at demo time), coupon codes for the main partner, partners' access to the offers they run, and one
application waiting for staff."""

from __future__ import annotations

import io
import random
from datetime import date, timedelta

from flask import current_app
from PIL import Image, ImageDraw

from portal.cli.demo.catalogue import OfferSpec
from portal.cli.demo.timeline import start_of
from portal.extensions import db
from portal.models import CouponCode, Creative, Offer, OfferAccess, OfferUrl, Partner
from portal.storage import store_for

BANNER_SIZES = ((300, 250), (728, 90))
CREATIVE_OFFERS = 4  # the first few live offers get a banner, a text link and an HTML creative
COUPON_OFFERS = 3
PALETTE = ((32, 88, 160), (16, 128, 96), (176, 72, 32), (112, 48, 144))


def _banner(text: str, size: tuple[int, int], colour: tuple[int, int, int]) -> bytes:
    picture = Image.new("RGB", size, colour)
    draw = ImageDraw.Draw(picture)
    draw.rectangle((4, 4, size[0] - 5, size[1] - 5), outline=(255, 255, 255), width=2)
    draw.text((14, size[1] // 2 - 6), text[:40], fill=(255, 255, 255))
    out = io.BytesIO()
    picture.save(out, "PNG", optimize=True)
    return out.getvalue()


def _landing_pages(offer: Offer, spec: OfferSpec) -> list[OfferUrl]:
    base = f"https://www.{spec.domain}"
    return [OfferUrl(offer_id=offer.id, name="Pricing", preview_url=f"{base}/pricing",
                     destination_url=f"{base}/pricing?click_id={{transaction_id}}&aff={{affiliate_id}}"),
            OfferUrl(offer_id=offer.id, name="Blog review", preview_url=f"{base}/blog",
                     destination_url=f"{base}/blog?click_id={{transaction_id}}&s1={{sub1}}")]


def _creatives(offer: Offer, colour: tuple[int, int, int]) -> list[Creative]:
    store = store_for(current_app)
    made = []
    for width, height in BANNER_SIZES:
        data = _banner(offer.name.split(" — ")[0], (width, height), colour)
        made.append(Creative(offer_id=offer.id, name=f"Banner {width}×{height}", creative_type="image",
                             file_key=store.save(io.BytesIO(data), ".png"), filename=f"banner-{width}x{height}.png",
                             content_type="image/png", file_size=len(data), width=width, height=height))
    made.append(Creative(offer_id=offer.id, name="Text link", creative_type="text",
                         text=f"Try {offer.name.split(' — ')[0]} today"))
    made.append(Creative(offer_id=offer.id, name="Button", creative_type="html",
                         html_code=f'<a href="{{tracking_link}}" rel="noopener nofollow"><strong>'
                                   f'{offer.name.split(" — ")[0]}</strong>: see the offer</a>'))
    return made


def furnish(rng: random.Random, offers: list[tuple[Offer, OfferSpec]], main: Partner, others: list[Partner],
            runs: dict[int, set[int]], last_day: date) -> None:
    """Add the offers' extras; `runs` maps each partner id to the ids of the offers it sends traffic to."""
    live = [(offer, spec) for offer, spec in offers if spec.status == "active"]
    for offer, spec in offers:
        db.session.add_all(_landing_pages(offer, spec))
    for n, (offer, _) in enumerate(live[:CREATIVE_OFFERS]):
        db.session.add_all(_creatives(offer, PALETTE[n % len(PALETTE)]))
    for n, (offer, spec) in enumerate([pair for pair in live if pair[1].aov_cents][:COUPON_OFFERS]):
        db.session.add(CouponCode(offer_id=offer.id, partner_id=main.id, code=f"BLUEBIRD{10 + 5 * n}",
                                  description=f"{10 + 5 * n}% off for Bluebird Media readers",
                                  start_date=last_day - timedelta(days=60), end_date=last_day + timedelta(days=90)))
    gated = {offer.id: offer for offer, spec in offers if spec.visibility != "public"}
    grant_access(runs, offers, last_day)
    waiting = [(partner, offer) for partner in others for offer_id, offer in gated.items()
               if offer.visibility == "require_approval" and offer_id not in runs.get(partner.id, set())]
    if waiting:
        partner, offer = rng.choice(waiting)
        db.session.add(OfferAccess(partner_id=partner.id, offer_id=offer.id, status="pending",
                                   application_note="We review cards and bank accounts for 80k monthly readers.",
                                   applied_at=start_of(last_day - timedelta(days=1))))


def grant_access(runs: dict[int, set[int]], offers: list[tuple[Offer, OfferSpec]], last_day: date) -> None:
    """Approved access for each partner on the gated offers it runs: access, not traffic, makes an offer that
    needs approval (or is private) runnable."""
    gated = {offer.id for offer, spec in offers if spec.visibility != "public"}
    for partner_id, offer_ids in runs.items():
        for offer_id in sorted(offer_ids & gated):
            db.session.add(OfferAccess(partner_id=partner_id, offer_id=offer_id, status="approved",
                                       applied_at=start_of(last_day - timedelta(days=120)),
                                       decided_at=start_of(last_day - timedelta(days=119))))
