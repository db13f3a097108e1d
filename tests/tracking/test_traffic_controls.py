"""Traffic controls at click time: a click a rule blocks lands on the fallback URL and is recorded invalid with
its rule (an invalid_click in the reports, never a click); a near miss is a normal click."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from portal.models import (Click, Conversion, Impression, ReportRollup, TrafficControl, TrafficControlOffer,
                           TrafficControlPartner)
from portal.services import clicks

FALLBACK = "https://offer-fallback.example/"


@pytest.fixture
def offer(make):
    return make.offer(destination_url="https://advertiser.example/landing?tid={transaction_id}",
                      fallback_url=FALLBACK)


@pytest.fixture
def partner(make):
    return make.partner()


@pytest.fixture
def rule(app, db):
    def _make(variable="sub1", values=("abc",), comparison="exact_match", control_type="blacklist",
              offers=(), partners=(), **fields) -> TrafficControl:
        control = TrafficControl(name=f"{control_type} {variable}", variable=variable, values=list(values),
                                 comparison_method=comparison, control_type=control_type,
                                 is_apply_all_offers=not offers, is_apply_all_affiliates=not partners, **fields)
        db.session.add(control)
        db.session.flush()
        db.session.add_all([TrafficControlOffer(traffic_control_id=control.id, offer_id=o.id) for o in offers])
        db.session.add_all([TrafficControlPartner(traffic_control_id=control.id, partner_id=p.id) for p in partners])
        db.session.commit()
        app.extensions["portal.tracker"].targets.clear()  # as if the cache's few seconds had passed
        return control
    return _make


def click(client, partner, offer, query="", ip="8.8.8.8", **headers):
    return client.get(f"/c/{partner.id}/{offer.id}{query}", environ_base={"REMOTE_ADDR": ip}, headers=headers)


def recorded(db) -> list[Click]:
    db.session.expire_all()
    return list(db.session.scalars(select(Click).order_by(Click.id)))


def rollup(db, partner) -> tuple[int, int, int]:
    row = db.session.scalar(select(ReportRollup).where(ReportRollup.partner_id == partner.id))
    return row.clicks, row.unique_clicks, row.invalid_clicks


def test_a_blocked_click_goes_to_the_fallback_and_is_recorded_invalid_with_its_rule(client, db, partner, offer,
                                                                                      rule):
    control = rule(values=("abc",))
    response = click(client, partner, offer, "?sub1=ABC")
    assert response.status_code == 302 and response.headers["Location"] == FALLBACK
    [blocked] = recorded(db)
    assert (blocked.error_code, blocked.error_message, blocked.traffic_control_id, blocked.is_unique) == (
        clicks.TRAFFIC_CONTROL, "Blocked by a traffic control", control.id, False)
    assert rollup(db, partner) == (0, 0, 1)


def test_a_near_miss_is_a_normal_click(client, db, partner, offer, rule):
    rule(values=("abc",))
    response = click(client, partner, offer, "?sub1=abcd")
    assert response.status_code == 302 and response.headers["Location"].startswith("https://advertiser.example/")
    [normal] = recorded(db)
    assert (normal.error_code, normal.traffic_control_id, normal.is_unique) == (None, None, True)
    assert rollup(db, partner) == (1, 1, 0)


@pytest.mark.parametrize(("variable", "value", "kwargs", "blocked"), [
    ("ip", "10.0.0.0/8", {"ip": "10.1.2.3"}, True),
    ("ip", "10.0.0.0/8", {"ip": "11.0.0.1"}, False),
    ("referer", "spam.example", {"Referer": "https://spam.example/x"}, False),  # exact: the whole referrer
    ("user_agent", "curl", {"User-Agent": "curl/8.1"}, False),
])
def test_ip_ranges_and_headers_are_read_from_the_request(client, db, partner, offer, rule, variable, value, kwargs,
                                                         blocked):
    rule(variable=variable, values=(value,))
    click(client, partner, offer, **kwargs)
    assert (recorded(db)[0].error_code == clicks.TRAFFIC_CONTROL) is blocked


@pytest.mark.parametrize(("comparison", "header", "value"), [
    ("contains", "Referer", "spam.example"), ("begins_with", "User-Agent", "curl/")])
def test_other_comparisons_on_headers(client, db, partner, offer, rule, comparison, header, value):
    rule(variable="referer" if header == "Referer" else "user_agent", values=(value,), comparison=comparison)
    click(client, partner, offer, **{header: "https://spam.example/x" if header == "Referer" else "curl/8.1"})
    click(client, partner, offer, ip="9.9.9.9", **{header: "https://good.example/spam.exampl" if header == "Referer"
                                                   else "Mozilla curl/8.1"})
    assert [c.error_code for c in recorded(db)] == [clicks.TRAFFIC_CONTROL, None]


def test_an_allow_list_blocks_every_value_but_its_own(client, db, partner, offer, rule):
    control = rule(variable="source_id", values=("newsletter",), control_type="whitelist")
    click(client, partner, offer, "?source_id=Newsletter")
    click(client, partner, offer, "?source_id=popunder", ip="9.9.9.9")
    click(client, partner, offer, ip="7.7.7.7")  # no source_id: on no list
    assert [(c.error_code, c.traffic_control_id) for c in recorded(db)] == [
        (None, None), (clicks.TRAFFIC_CONTROL, control.id), (clicks.TRAFFIC_CONTROL, control.id)]


def test_a_rule_for_other_partners_offers_or_dates_lets_the_click_through(client, db, make, partner, offer, rule):
    other_partner, other_offer = make.partner(), make.offer()
    rule(values=("abc",), partners=(other_partner,))
    rule(values=("abc",), offers=(other_offer,))
    rule(values=("abc",), date_valid_from=datetime.now(UTC) + timedelta(days=1))
    rule(values=("abc",), status="inactive")
    click(client, partner, offer, "?sub1=abc")
    assert recorded(db)[0].error_code is None
    click(client, other_partner, offer, "?sub1=abc", ip="9.9.9.9")
    assert recorded(db)[1].error_code == clicks.TRAFFIC_CONTROL


def test_a_blocked_impression_records_nothing(client, db, partner, offer, rule):
    rule(values=("abc",))
    assert client.get(f"/i/{partner.id}/{offer.id}?sub1=abc").status_code == 200
    assert client.get(f"/i/{partner.id}/{offer.id}?sub1=abd").status_code == 200
    db.session.expire_all()
    assert [i.sub1 for i in db.session.scalars(select(Impression))] == ["abd"]


def test_a_new_rule_takes_effect_once_the_cache_expires(app, client, db, partner, offer):
    cache = app.extensions["portal.tracker"].targets
    now = [1000.0]
    cache.clock = lambda: now[0]
    click(client, partner, offer, "?sub1=abc")
    db.session.add(TrafficControl(name="late", variable="sub1", values=["abc"]))
    db.session.commit()
    click(client, partner, offer, "?sub1=abc", ip="9.9.9.9")
    now[0] += cache.ttl + 0.01
    click(client, partner, offer, "?sub1=abc", ip="7.7.7.7")
    assert [c.error_code for c in recorded(db)] == [None, None, clicks.TRAFFIC_CONTROL]


def _postback(client, token, transaction_id, **values):
    return client.get("/postback", query_string={"token": token, "transaction_id": transaction_id, **values})


def _earnings(db, partner) -> tuple[int, int]:
    db.session.expire_all()
    row = db.session.scalar(select(ReportRollup).where(ReportRollup.partner_id == partner.id))
    return row.conversions, row.earnings_cents


@pytest.mark.parametrize("event", [{}, {"event_name": "purchase"}, {"status": "approved", "sale_amount": "99.00"}])
def test_a_conversion_on_a_click_a_traffic_control_blocked_is_not_credited(client, db, make, partner, rule,
                                                                          network_token, event):
    offer = make.offer(destination_url="https://advertiser.example/landing?tid={transaction_id}",
                       fallback_url=FALLBACK, payout_amount=500)
    control = rule(values=("abc",))
    assert click(client, partner, offer, "?sub1=abc").headers["Location"] == FALLBACK
    [blocked] = recorded(db)
    for _ in range(2):  # a retried postback is refused the same way
        refused = _postback(client, network_token, blocked.transaction_id, **event)
        assert refused.status_code == 422
        assert f"blocked by traffic control {control.id}" in refused.get_json()["error"]
    assert db.session.scalar(select(func.count()).select_from(Conversion)) == 0
    assert _earnings(db, partner) == (0, 0)
    assert rollup(db, partner) == (0, 0, 1)


def test_the_near_miss_click_converts_and_is_paid(client, db, make, partner, rule, network_token):
    offer = make.offer(destination_url="https://advertiser.example/landing?tid={transaction_id}",
                       fallback_url=FALLBACK, payout_amount=500)
    rule(values=("abc",))
    assert click(client, partner, offer, "?sub1=abcd").headers["Location"].startswith("https://advertiser.example/")
    [allowed] = recorded(db)
    answer = _postback(client, network_token, allowed.transaction_id)
    assert answer.status_code == 200 and answer.get_json()["status"] == "approved"
    [converted] = db.session.scalars(select(Conversion)).all()
    assert (converted.transaction_id, converted.status, converted.payout_cents) == (allowed.transaction_id,
                                                                                     "approved", 500)
    assert _earnings(db, partner) == (1, 500)
