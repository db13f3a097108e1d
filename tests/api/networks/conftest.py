"""The Everflow-style Network API's test helpers: a network key and a client calling with it, seeded traffic."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from portal.models import Advertiser
from portal.services.everflow_keys import issue_key

DAY = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)
UTC_ID = 67


class Caller:
    """A network key and a client that calls with it."""

    def __init__(self, client) -> None:
        issued = issue_key("BI warehouse")
        self.client, self.key, self.secret = client, issued.key, issued.secret

    def __call__(self, method: str, path: str, body=None, headers=None, **kwargs):
        if body is not None:
            kwargs["json"] = body
        return self.client.open(path, method=method, headers={"X-Eflow-API-Key": self.secret, **(headers or {})},
                                **kwargs)


@pytest.fixture
def network(client, db):
    return Caller(client)


def report_body(columns, start="2026-11-01", end="2026-11-30", filters=(), **extra):
    return {"from": start, "to": end, "timezone_id": UTC_ID, "currency_id": "USD",
            "columns": [{"column": c} for c in columns], "query": {"filters": list(filters)}, **extra}


@pytest.fixture
def seeded(make, db):
    """Two advertisers' offers, two partners with clicks and conversions that carry network revenue."""
    acme, zen = Advertiser(name="Acme Corp"), Advertiser(name="Zen Ltd")
    db.session.add_all([acme, zen])
    db.session.commit()
    shoes = make.offer(name="Acme Shoes", advertiser_id=acme.id, network_revenue_amount=2000)
    tea = make.offer(name="Zen Tea", advertiser_id=zen.id, network_revenue_amount=900)
    ann, bob = make.partner(name="Ann Media"), make.partner(name="Bob Deals")
    for _ in range(5):
        make.click(ann, shoes, at=DAY, sub1="email")
    for _ in range(3):
        make.click(bob, tea, at=DAY + timedelta(days=1))
    make.conversion(ann, shoes, at=DAY, payout_cents=1250, network_revenue_cents=2000, sub1="email")
    make.conversion(ann, shoes, at=DAY, payout_cents=1333, network_revenue_cents=2001, sub1="email")
    make.conversion(ann, tea, at=DAY, payout_cents=700, network_revenue_cents=901)
    make.conversion(bob, tea, at=DAY + timedelta(days=1), payout_cents=650, network_revenue_cents=900)
    make.conversion(bob, tea, at=DAY, payout_cents=999, network_revenue_cents=5000, status="rejected")
    return {"acme": acme, "zen": zen, "shoes": shoes, "tea": tea, "ann": ann, "bob": bob}
