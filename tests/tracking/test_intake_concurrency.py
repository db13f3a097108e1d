"""Concurrent copies of one postback, over real HTTP: one conversion, one set of deliveries, every caller 2xx.

PostgreSQL runs the promise as written (100 at once). SQLite allows one writer at a time, so it runs a
smaller crowd: the same code path, without pretending SQLite is a concurrent database.
"""

from __future__ import annotations

import hashlib
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import sqlalchemy as sa
from sqlalchemy import func, select

from portal.models import Conversion, NetworkSettings, PostbackDelivery, ReportRollup

TOKEN = "concurrency-intake-token-0123456789"


@pytest.fixture
def network_token(db):
    db.session.get(NetworkSettings, 1).intake_token_hash = hashlib.sha256(TOKEN.encode()).hexdigest()
    db.session.commit()
    yield TOKEN
    db.session.rollback()
    db.session.execute(sa.update(NetworkSettings).values(intake_token_hash=None))
    db.session.commit()


def crowd_size(db) -> int:
    return 100 if db.engine.dialect.name == "postgresql" else 8


def post_all_at_once(url: str, params: dict, callers: int) -> list[requests.Response]:
    """Every caller waits at a barrier, then all post at the same moment, each on its own connection."""
    barrier = threading.Barrier(callers)

    def one(_):
        with requests.Session() as session:
            session.trust_env = False  # no proxy from the environment between us and 127.0.0.1
            barrier.wait(timeout=30)
            return session.post(f"{url}/postback", data=params, timeout=60)

    with ThreadPoolExecutor(max_workers=callers) as pool:
        return list(pool.map(one, range(callers)))


@pytest.mark.parametrize("variant", ["transaction", "order"])
def test_concurrent_duplicates_make_one_conversion_and_one_set_of_deliveries(db, make, live_server, network_token,
                                                                              variant):
    partner, offer = make.partner(), make.offer(payout_amount=400)
    partner_id = partner.id
    postbacks = {make.server_postback(partner).id, make.server_postback(partner, offer_id=offer.id).id}
    if variant == "transaction":
        params = {"token": network_token, "transaction_id": make.click(partner, offer).transaction_id, "amount": "12.50"}
    else:
        params = {"token": network_token, "affiliate_id": partner_id, "offer_id": offer.id, "order_id": "RACE-1"}
    callers = crowd_size(db)

    responses = post_all_at_once(live_server.url, params, callers)

    assert [r.status_code for r in responses] == [200] * callers, {r.status_code: r.text for r in responses}
    bodies = [r.json() for r in responses]
    assert len({b["conversion_id"] for b in bodies}) == 1
    assert sorted(b["result"] for b in bodies) == ["created"] + ["duplicate"] * (callers - 1)
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Conversion)) == 1
    conversion = db.session.scalars(select(Conversion)).one()
    assert conversion.conversion_id == bodies[0]["conversion_id"]
    deliveries = db.session.execute(select(PostbackDelivery.postback_id, PostbackDelivery.event_id)).all()
    assert {d.postback_id for d in deliveries} == postbacks and len(deliveries) == len(postbacks)
    counted = db.session.execute(select(func.sum(ReportRollup.conversions), func.sum(ReportRollup.earnings_cents))
                                 .where(ReportRollup.partner_id == partner_id)).one()
    assert tuple(counted) == (1, 400)
