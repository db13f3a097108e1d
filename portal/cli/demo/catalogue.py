"""The demo offers: a mix of flat and percent payouts, with the network's revenue above each payout."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from portal.cli.demo.timeline import start_of
from portal.extensions import db
from portal.models import Offer
from portal.services.offer_content import clean_description


@dataclass(frozen=True)
class OfferSpec:
    name: str
    category: str
    payout_type: str  # flat: cents; percent: basis points of the sale
    payout: int
    revenue: int  # the network's revenue, same units, always above the payout
    domain: str
    events: tuple[str, ...]
    aov_cents: int = 0  # typical sale; 0: the offer records no sale amount
    hold_days: int = 0
    popularity: float = 1.0  # share of clicks
    affinity: float = 1.0  # how readily a click converts
    status: str = "active"
    visibility: str = "public"
    launched_days_ago: int = 400


OFFERS = (
    OfferSpec("Northwind Bank — Premier Checking", "Finance", "flat", 15_000, 21_000, "northwindbank.example",
              ("signup", "deposit"), hold_days=30, popularity=1.4, affinity=0.5),
    OfferSpec("Lumen Card — 2% Cashback Credit Card", "Finance", "flat", 9_000, 12_500, "lumencard.example",
              ("signup",), hold_days=60, popularity=1.2, affinity=0.6, visibility="require_approval"),
    OfferSpec("Orbit VPN — Annual Plan", "Software", "percent", 3_000, 4_000, "orbitvpn.example",
              ("signup", "renewal"), aov_cents=7_999, popularity=1.6, affinity=1.3),
    OfferSpec("Fresh Crate Meal Kits — First Box", "Food & Drink", "flat", 2_500, 3_600, "freshcrate.example",
              ("purchase",), aov_cents=5_999, popularity=1.3, affinity=1.2),
    OfferSpec("Summit Outdoor Gear", "Retail", "percent", 800, 1_200, "summitgear.example",
              ("purchase",), aov_cents=14_900, popularity=1.1, affinity=0.9),
    OfferSpec("Pixel Fitness App — 14-day Trial", "Health & Fitness", "flat", 400, 650, "pixelfit.example",
              ("signup", "subscription"), popularity=1.5, affinity=2.2),
    OfferSpec("Harbor Insurance — Auto Quote", "Insurance", "flat", 1_800, 2_600, "harborins.example",
              ("quote",), popularity=0.9, affinity=1.1),
    OfferSpec("Petal & Stem Flowers", "Retail", "percent", 1_000, 1_500, "petalstem.example",
              ("purchase",), aov_cents=6_500, popularity=0.8, affinity=1.0),
    OfferSpec("Atlas Travel — Hotel Bookings", "Travel", "percent", 400, 650, "atlastravel.example",
              ("purchase",), aov_cents=38_000, hold_days=45, popularity=1.2, affinity=0.5),
    OfferSpec("Quill Language Learning — Premium", "Education", "flat", 1_200, 1_800, "quill.example",
              ("signup", "subscription"), popularity=0.9, affinity=1.4),
    OfferSpec("Cobalt Web Hosting", "Software", "flat", 6_500, 9_000, "cobalthosting.example",
              ("signup",), hold_days=30, popularity=0.7, affinity=0.6),
    OfferSpec("Brightside Solar — Home Consultation", "Home", "flat", 4_500, 7_000, "brightside.example",
              ("appointment",), hold_days=14, popularity=0.5, affinity=0.4, visibility="require_approval"),
    OfferSpec("Velvet Skincare Subscription", "Beauty", "percent", 2_000, 2_800, "velvetskin.example",
              ("purchase", "renewal"), aov_cents=4_500, popularity=1.0, affinity=1.3),
    OfferSpec("Nimbus Cloud Storage — 2 TB", "Software", "flat", 800, 1_200, "nimbus.example",
              ("signup",), popularity=0.8, affinity=1.5),
    OfferSpec("Ember Coffee Club", "Food & Drink", "percent", 1_500, 2_200, "embercoffee.example",
              ("purchase",), aov_cents=3_200, popularity=0.7, affinity=1.2),
    OfferSpec("Redline Sportsbook — First Deposit", "Gaming", "flat", 10_000, 15_000, "redline.example",
              ("signup", "deposit"), hold_days=30, popularity=0.9, affinity=0.5, visibility="private"),
    OfferSpec("Maple Home Furniture", "Home", "percent", 600, 900, "maplehome.example",
              ("purchase",), aov_cents=62_000, hold_days=30, popularity=0.6, affinity=0.3),
    OfferSpec("Crescent Exchange — Verified Signup", "Finance", "flat", 3_000, 4_500, "crescentx.example",
              ("signup", "deposit"), hold_days=14, popularity=1.0, affinity=0.7),
    OfferSpec("Gridiron Fantasy Football", "Gaming", "flat", 2_000, 3_000, "gridiron.example",
              ("deposit",), status="paused", popularity=0.0),
    OfferSpec("Tandem Dating — Premium Membership", "Dating", "percent", 3_500, 5_000, "tandem.example",
              ("signup",), aov_cents=2_999, status="pending", popularity=0.0, launched_days_ago=3),
)


def _description(spec: OfferSpec) -> str:
    """Rich text as staff would write it in the console (and as clean_description keeps it)."""
    events = "".join(f"<li><code>{event}</code></li>" for event in spec.events)
    site = f"https://www.{spec.domain}/"
    return clean_description(
        f"<p><strong>{spec.name}</strong> pays on the base conversion and on these events:</p><ul>{events}</ul>"
        f"<p>See the advertiser's site at <a href=\"{site}\">{spec.domain}</a>.</p>")


def create_offers(end_date: date) -> list[tuple[Offer, OfferSpec]]:
    """Insert every offer; returns them with the spec that drives their traffic."""
    made = []
    for spec in OFFERS:
        offer = Offer(
            name=spec.name, status=spec.status, visibility=spec.visibility, currency="USD",
            payout_type=spec.payout_type, payout_amount=spec.payout, network_revenue_amount=spec.revenue,
            destination_url=f"https://www.{spec.domain}/landing?click_id={{transaction_id}}&aff={{affiliate_id}}",
            description=_description(spec),
            category=spec.category, hold_days=spec.hold_days,
            created_at=start_of(end_date - timedelta(days=spec.launched_days_ago)),
        )
        db.session.add(offer)
        made.append((offer, spec))
    db.session.flush()
    return made
