"""Demo settings and people: the network, its staff, partners with reserved keys, and partner users."""

from __future__ import annotations

import hmac
import random
import string
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select

from portal.cli.demo.timeline import start_of
from portal.extensions import db
from portal.models import (PERMISSIONS, SETTINGS_ROW_ID, NetworkSettings, Partner, PartnerKeyReservation, PartnerUser,
                           StaffUser)
from portal.services.intake import hash_token
from portal.services.partners import generate_partner_key
from portal.services.passwords import hash_password

DEMO_PASSWORD = "demo-password"
ADMIN_EMAIL = "admin@example.com"
AM_EMAIL = "am@example.com"
PARTNER_EMAIL = "partner@example.com"
ANALYST_EMAIL = "analyst@example.com"
# The network-wide conversion intake token of the demo (`/postback?token=…`); only its hash is stored.
DEMO_INTAKE_TOKEN = "demo-intake-token"
AM_PERMISSIONS = ("partners:view", "partners:manage", "offers:manage")
TEST_PARTNER_KEY = "gstest"


@dataclass(frozen=True)
class PartnerSpec:
    name: str
    first_name: str | None
    last_name: str | None
    short: str  # for coupon codes
    domain: str
    country: str
    timezone: str
    click_share: float  # of the demo clicks
    conversion_share: float  # of the demo conversions
    joined_days_ago: int
    status: str = "active"
    onboarding: str = "complete"
    fraud_flag: bool = False
    notes: str = ""
    renamed_key: str | None = None  # a partner_key chosen later; the generated one stays reserved
    owner_email: str | None = None


MAIN_PARTNER = PartnerSpec(
    "Bluebird Media", "Jamie", "Rivera", "BLUEBIRD", "bluebirdmedia.example", "US", "UTC", 0.34, 0.36, 420,
    notes="Largest publisher; quarterly business review every January.", owner_email=PARTNER_EMAIL)
OTHER_PARTNERS = (
    PartnerSpec("Coupon Harbor", "Priya", "Shah", "HARBOR", "couponharbor.example", "GB", "Europe/London",
                0.17, 0.22, 380, renamed_key="couponharbor", owner_email="priya@couponharbor.example"),
    PartnerSpec("Trailhead Reviews", "Marcus", "Chen", "TRAIL", "trailheadreviews.example", "US",
                "America/Denver", 0.14, 0.13, 300, owner_email="marcus@trailheadreviews.example"),
    PartnerSpec("Cashback Comet", "Sofia", "Alvarez", "COMET", "cashbackcomet.example", "ES", "Europe/Madrid",
                0.12, 0.12, 250, owner_email="sofia@cashbackcomet.example"),
    PartnerSpec("Nightowl Deals", "Omar", "Haddad", "NIGHTOWL", "nightowldeals.example", "CA", "America/Toronto",
                0.09, 0.08, 200),
    PartnerSpec("Lumen Loyalty Network", "Noah", "Becker", "LUMEN", "lumenloyalty.example", "DE", "Europe/Berlin",
                0.11, 0.05, 150, fraud_flag=True,
                notes="Click spikes from data-centre addresses since last month; conversions under review."),
    PartnerSpec("Sprout Content Studio", "Grace", "Okafor", "SPROUT", "sproutcontent.example", "US",
                "America/New_York", 0.0, 0.0, 3, status="pending", onboarding="onboarding",
                notes="Applied this week; waiting for tax forms."),
)
# gstest exists already (the migrations create it); this only says how much traffic it gets.
TEST_PARTNER_TRAFFIC = PartnerSpec("Test partner (gstest)", None, None, "GSTEST", "gstest.example", "US", "UTC",
                                   0.03, 0.04, 0)
BIG_PARTNER = PartnerSpec("Big Partner", "Benchmark", "Partner", "BIG", "bigpartner.example", "US", "UTC",
                          1.0, 1.0, 400, notes="Generated for benchmarks.")


@dataclass
class DemoPeople:
    admin: StaffUser
    manager: StaffUser
    main: Partner
    test_partner: Partner
    partners: list[tuple[Partner, PartnerSpec]]  # every partner that gets traffic, with its spec


def _partnership_key(rng: random.Random) -> str:
    return "part_" + "".join(rng.choices(string.ascii_letters + string.digits, k=16))


def configure_network() -> None:
    settings = db.session.get(NetworkSettings, SETTINGS_ROW_ID)
    if settings is None:
        raise LookupError("network settings row is missing; run `flask --app wsgi db upgrade` first")
    settings.network_name = "Northwind Partners"
    settings.support_email = "partners@northwind.example"
    settings.timezone = "UTC"
    settings.currency = "USD"
    settings.intake_token_hash = hash_token(DEMO_INTAKE_TOKEN)


def ensure_demo_intake_token() -> bool:
    """Give a demo database made before intake tokens existed the demo token; True if it was missing.

    A token an operator set since (`flask intake set-token`) is left alone."""
    settings = db.session.get(NetworkSettings, SETTINGS_ROW_ID)
    if settings is None or settings.intake_token_hash:
        return False
    settings.intake_token_hash = hash_token(DEMO_INTAKE_TOKEN)
    db.session.commit()
    return True


def demo_intake_token_works() -> bool:
    settings = db.session.get(NetworkSettings, SETTINGS_ROW_ID)
    stored = settings.intake_token_hash if settings is not None else None
    return bool(stored) and hmac.compare_digest(stored, hash_token(DEMO_INTAKE_TOKEN))


def _staff(email: str, name: str, permissions, created: datetime, password_hash: str) -> StaffUser:
    user = StaffUser(email=email, name=name, password_hash=password_hash,
                     permissions=list(permissions), created_at=created)
    db.session.add(user)
    return user


def add_partner(rng: random.Random, spec: PartnerSpec, manager: StaffUser, end_date: date) -> Partner:
    """A partner with a generated partner_key; every key it has had is reserved."""
    joined = start_of(end_date - timedelta(days=spec.joined_days_ago)) + timedelta(hours=rng.randint(9, 17))
    key = generate_partner_key(spec.first_name, spec.last_name)
    partner = Partner(
        partnership_key=_partnership_key(rng), partner_key=spec.renamed_key or key, name=spec.name,
        first_name=spec.first_name, last_name=spec.last_name, email=spec.owner_email, status=spec.status,
        onboarding=spec.onboarding, fraud_flag=spec.fraud_flag, account_manager_id=manager.id,
        timezone=spec.timezone, currency="USD", internal_notes=spec.notes, created_at=joined,
    )
    db.session.add(partner)
    db.session.flush()
    for n, reserved in enumerate(dict.fromkeys((key, partner.partner_key))):  # a renamed key came later
        db.session.add(PartnerKeyReservation(key=reserved, partner_id=partner.id,
                                             reserved_at=joined + timedelta(days=30 * n)))
    db.session.flush()
    return partner


def _partner_user(partner: Partner, email: str, name: str, role: str, password_hash: str) -> None:
    db.session.add(PartnerUser(partner_id=partner.id, email=email, name=name, role=role,
                               password_hash=password_hash, created_at=partner.created_at))


def create_people(rng: random.Random, end_date: date) -> DemoPeople:
    """Settings, two staff users, the partners (gstest included) and their users."""
    configure_network()
    password_hash = hash_password(DEMO_PASSWORD)  # one slow hash serves every demo login (same password)
    first_day = start_of(end_date - timedelta(days=500))
    admin = _staff(ADMIN_EMAIL, "Ada Admin", PERMISSIONS, first_day, password_hash)
    manager = _staff(AM_EMAIL, "Alex Manager", AM_PERMISSIONS, first_day + timedelta(days=20), password_hash)
    db.session.flush()

    test_partner = db.session.scalar(select(Partner).where(Partner.partner_key == TEST_PARTNER_KEY))
    if test_partner is None:
        raise LookupError("the built-in test partner gstest is missing; run `flask --app wsgi db upgrade` first")
    test_partner.account_manager_id = manager.id

    partners = []
    for spec in (MAIN_PARTNER, *OTHER_PARTNERS):
        partner = add_partner(rng, spec, manager, end_date)
        if spec.owner_email:
            _partner_user(partner, spec.owner_email, f"{spec.first_name} {spec.last_name}", "admin", password_hash)
        partners.append((partner, spec))
    main = partners[0][0]
    _partner_user(main, ANALYST_EMAIL, "Sam Analyst", "reports", password_hash)  # reports only
    partners.append((test_partner, TEST_PARTNER_TRAFFIC))
    db.session.flush()
    return DemoPeople(admin=admin, manager=manager, main=main, test_partner=test_partner,
                      partners=[(p, s) for p, s in partners if s.click_share > 0])


def add_big_partner(rng: random.Random, manager: StaffUser, end_date: date) -> Partner:
    return add_partner(rng, BIG_PARTNER, manager, end_date)
