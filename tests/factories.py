"""Small factories for test rows; every default is a fresh value so tests never share state."""

from __future__ import annotations

import itertools
import secrets
from datetime import UTC, datetime

from portal.models import Click, Conversion, Offer, PERMISSIONS, StaffUser
from portal.services.partners import add_partner_user, create_partner
from portal.services.rollups import RollupDelta
from portal.services.rollups import apply as apply_rollups
from portal.services.passwords import hash_password

TEST_PASSWORD = "correct-horse-battery"
_seq = itertools.count(1)


class Factories:
    def __init__(self, db) -> None:
        self.db = db

    def partner(self, name: str | None = None, **fields):
        n = next(_seq)
        fields.setdefault("first_name", "Pat")
        fields.setdefault("last_name", f"Partner{n}")
        return create_partner(name=name or f"Partner {n}", **fields)

    def partner_user(self, partner, email: str | None = None, role: str = "owner", **fields):
        user = add_partner_user(partner, email=email or f"user{next(_seq)}@partner.test", name="Partner User",
                                password=TEST_PASSWORD, role=role)
        for key, value in fields.items():
            setattr(user, key, value)
        self.db.session.commit()
        return user

    def staff(self, permissions=PERMISSIONS, email: str | None = None, **fields):
        user = StaffUser(email=email or f"staff{next(_seq)}@network.test", name=fields.pop("name", "Staff Member"),
                         password_hash=hash_password(TEST_PASSWORD), permissions=list(permissions), **fields)
        self.db.session.add(user)
        self.db.session.commit()
        return user

    def offer(self, **fields):
        fields.setdefault("name", f"Offer {next(_seq)}")
        fields.setdefault("destination_url", "https://advertiser.example/landing")
        fields.setdefault("payout_amount", 500)
        offer = Offer(**fields)
        self.db.session.add(offer)
        self.db.session.commit()
        return offer

    def click(self, partner, offer, at: datetime | None = None, **fields):
        fields.setdefault("is_unique", True)
        fields.setdefault("is_test", False)
        click = Click(transaction_id=secrets.token_hex(16), partner_id=partner.id, offer_id=offer.id,
                      created_at=at or datetime.now(UTC), **fields)
        self.db.session.add(click)
        delta = RollupDelta()  # as every writer of traffic does, in the same transaction
        delta.click(click)
        apply_rollups(self.db.session, delta)
        self.db.session.commit()
        return click

    def conversion(self, partner, offer, at: datetime | None = None, payout_cents: int = 500, **fields):
        fields.setdefault("status", "approved")
        fields.setdefault("is_test", False)
        conversion = Conversion(conversion_id=secrets.token_hex(16), partner_id=partner.id, offer_id=offer.id,
                                payout_cents=payout_cents, created_at=at or datetime.now(UTC), **fields)
        self.db.session.add(conversion)
        delta = RollupDelta()
        delta.conversion(conversion)
        apply_rollups(self.db.session, delta)
        self.db.session.commit()
        return conversion
