"""Conversion intake (`/postback`): what a postback records, what it refuses, and that a repeat is harmless."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from portal.models import AuditEvent, Conversion, NetworkSettings, PostbackDelivery, ReportRollup
from portal.services import rollups
from tests.tracking.conftest import NETWORK_TOKEN

OFFER_TOKEN = "offer-intake-token-abcdefghijk"


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture
def world(make, network_token):
    partner = make.partner()
    offer = make.offer(payout_amount=500, network_revenue_amount=800)
    click = make.click(partner, offer, sub1="camp", sub2="place", sub3="cid", sub4="s4", sub5="s5",
                       source_id="src", country="DE", device="mobile", browser="Firefox", platform="Android",
                       ip="203.0.113.7")
    return {"partner": partner, "offer": offer, "click": click}


def counts(db) -> dict[str, object]:
    """Everything an intake writes: conversions, deliveries and the rollup totals."""
    totals = db.session.execute(select(*[func.coalesce(func.sum(getattr(ReportRollup, m)), 0)
                                         for m in ("conversions", "events", "earnings_cents", "on_hold_conversions")])).one()
    return {"conversions": db.session.scalar(select(func.count()).select_from(Conversion)),
            "deliveries": db.session.scalar(select(func.count()).select_from(PostbackDelivery)),
            "rollups": tuple(int(t) for t in totals)}


def conversion(db, conversion_id: str) -> Conversion:
    db.session.expire_all()
    return db.session.scalar(select(Conversion).where(Conversion.conversion_id == conversion_id))


def test_a_get_records_the_conversion_with_the_clicks_values(client, db, world):
    click, offer, partner = world["click"], world["offer"], world["partner"]
    response = client.get("/postback", query_string={"token": NETWORK_TOKEN, "transaction_id": click.transaction_id,
                                                     "amount": "49.99", "order_id": "A-1", "coupon_code": "SAVE10"})
    assert response.status_code == 200, response.json
    body = response.json
    assert body["result"] == "created" and body["status"] == "approved"
    assert re.fullmatch(r"[0-9a-f]{32}", body["conversion_id"])
    assert response.headers["Cache-Control"] == "no-store"

    row = conversion(db, body["conversion_id"])
    assert (row.partner_id, row.offer_id, row.transaction_id) == (partner.id, offer.id, click.transaction_id)
    assert (row.sub1, row.sub2, row.sub3, row.sub4, row.sub5, row.source_id) == ("camp", "place", "cid", "s4", "s5", "src")
    assert (row.country, row.device, row.browser, row.platform, row.ip) == ("DE", "mobile", "Firefox", "Android", "203.0.113.7")
    assert (row.sale_amount_cents, row.payout_cents, row.network_revenue_cents) == (4999, 500, 800)
    assert (row.order_id, row.coupon_code, row.event_name, row.currency) == ("A-1", "SAVE10", None, "USD")
    assert row.click_created_at == click.created_at and row.is_test is False and row.hold_until is None


@pytest.mark.parametrize("how", ["form", "json", "query"])
def test_a_post_records_the_conversion_from_a_form_a_json_body_or_the_query(client, db, world, how):
    values = {"token": NETWORK_TOKEN, "transaction_id": world["click"].transaction_id, "sale_amount": "10",
              "event_name": "deposit", "status": "pending"}
    if how == "form":
        response = client.post("/postback", data=values)
    elif how == "json":
        response = client.post("/postback", json=dict(values, sale_amount=10, is_test=True))
    else:
        response = client.post("/postback", query_string=values)
    assert response.status_code == 200, response.json
    row = conversion(db, response.json["conversion_id"])
    assert (row.event_name, row.status, row.sale_amount_cents) == ("deposit", "pending", 1000)
    assert row.is_test is (how == "json")


@pytest.mark.parametrize(("payout_type", "payout", "revenue", "amount", "expected"), [
    ("flat", 750, 900, "120.00", (750, 900)),
    ("percent", 1000, 1500, "200.00", (2000, 3000)),  # 10 % and 15 % of 200.00
    ("percent", 250, 400, "19.99", (49, 79)),  # 2.5 % of 19.99 = 0.49975: whole cents, rounded down
    ("percent", 1000, 1500, None, (0, 0)),  # no amount: a percent of nothing
])
def test_payout_and_revenue_follow_the_offers_rule(client, db, make, network_token, payout_type, payout, revenue,
                                                   amount, expected):
    partner = make.partner()
    offer = make.offer(payout_type=payout_type, payout_amount=payout, network_revenue_amount=revenue)
    click = make.click(partner, offer)
    params = {"token": network_token, "transaction_id": click.transaction_id}
    if amount is not None:
        params["amount"] = amount
    response = client.get("/postback", query_string=params)
    row = conversion(db, response.json["conversion_id"])
    assert (row.payout_cents, row.network_revenue_cents) == expected
    assert row.payout_cents == offer.payout_for(row.sale_amount_cents)


def test_the_report_rollups_count_the_conversion_in_the_same_commit(client, db, world):
    partner_id = world["partner"].id
    client.get("/postback", query_string={"token": NETWORK_TOKEN, "transaction_id": world["click"].transaction_id})
    client.get("/postback", query_string={"token": NETWORK_TOKEN, "transaction_id": world["click"].transaction_id,
                                          "event_name": "signup"})
    written = db.session.execute(select(ReportRollup.clicks, ReportRollup.conversions, ReportRollup.events,
                                        ReportRollup.earnings_cents)
                                 .where(ReportRollup.partner_id == partner_id)).all()
    assert written == [(1, 1, 1, 1000)]
    rollups.rebuild(db.session, [partner_id])  # the increments equal a recount from the raw rows
    db.session.commit()
    assert db.session.execute(select(ReportRollup.clicks, ReportRollup.conversions, ReportRollup.events,
                                     ReportRollup.earnings_cents)
                              .where(ReportRollup.partner_id == partner_id)).all() == written


def test_an_offer_with_a_holding_period_holds_by_default(client, db, make, network_token):
    partner, offer = make.partner(), make.offer(hold_days=30, payout_amount=300)
    click = make.click(partner, offer)
    before = datetime.now(UTC)
    held = client.get("/postback", query_string={"token": network_token, "transaction_id": click.transaction_id})
    assert held.json["status"] == "on_hold"
    row = conversion(db, held.json["conversion_id"])
    assert before + timedelta(days=30) <= row.hold_until <= datetime.now(UTC) + timedelta(days=30)
    rollup = db.session.scalars(select(ReportRollup).where(ReportRollup.partner_id == partner.id)).one()
    assert (rollup.conversions, rollup.on_hold_conversions, rollup.on_hold_earnings_cents) == (0, 1, 300)

    approved = client.get("/postback", query_string={"token": network_token, "transaction_id": click.transaction_id,
                                                     "event_name": "purchase", "status": "approved"})
    assert approved.json["status"] == "approved"
    assert conversion(db, approved.json["conversion_id"]).hold_until is None


def test_outbox_rows_go_to_the_matching_active_server_postbacks_only(client, db, make, world):
    partner, offer, click = world["partner"], world["offer"], world["click"]
    other_offer, other_partner = make.offer(), make.partner()
    every_offer = make.server_postback(partner)
    this_offer = make.server_postback(partner, offer_id=offer.id, delay_ms=60_000)
    make.server_postback(partner, status="inactive")
    make.server_postback(partner, delivery_method="html", url=None, html_code="<img src='x'>")
    make.server_postback(partner, offer_id=other_offer.id)
    make.server_postback(other_partner)
    make.server_postback(partner, postback_type="event", event_name="deposit")

    response = client.get("/postback", query_string={"token": NETWORK_TOKEN, "transaction_id": click.transaction_id,
                                                     "amount": "20"})
    conversion_id = response.json["conversion_id"]
    deliveries = db.session.scalars(select(PostbackDelivery).order_by(PostbackDelivery.postback_id)).all()
    assert [d.postback_id for d in deliveries] == [every_offer.id, this_offer.id]
    assert [d.event_id for d in deliveries] == [f"{conversion_id}-{every_offer.id}", f"{conversion_id}-{this_offer.id}"]
    assert {d.status for d in deliveries} == {"pending"} and {d.kind for d in deliveries} == {"conversion"}
    assert deliveries[1].next_attempt_at - deliveries[0].next_attempt_at >= timedelta(seconds=59)  # delay_ms
    snapshot = json.loads(deliveries[0].macro_values)
    assert (snapshot["sub1"], snapshot["sale_amount"], snapshot["payout"]) == ("camp", "20.00", "5.00")
    assert all(d.conversion_id == conversion(db, conversion_id).id for d in deliveries)


def test_an_event_postback_fires_for_its_event(client, db, make, world):
    deposit = make.server_postback(world["partner"], postback_type="event", event_name="deposit")
    make.server_postback(world["partner"], postback_type="event", event_name="signup")
    client.get("/postback", query_string={"token": NETWORK_TOKEN, "transaction_id": world["click"].transaction_id,
                                          "event_name": "deposit"})
    assert db.session.scalars(select(PostbackDelivery.postback_id)).all() == [deposit.id]


def test_the_same_click_and_event_twice_is_one_conversion(client, db, make, world):
    make.server_postback(world["partner"])
    params = {"token": NETWORK_TOKEN, "transaction_id": world["click"].transaction_id, "amount": "5"}
    first = client.get("/postback", query_string=params)
    after_first = counts(db)
    second = client.post("/postback", data=dict(params, amount="7"))  # a changed amount is still the same conversion
    assert (first.status_code, second.status_code) == (200, 200)
    assert (first.json["result"], second.json["result"]) == ("created", "duplicate")
    assert first.json["conversion_id"] == second.json["conversion_id"]
    assert counts(db) == after_first and after_first["conversions"] == 1 and after_first["deliveries"] == 1
    assert conversion(db, first.json["conversion_id"]).sale_amount_cents == 500

    event = client.get("/postback", query_string=dict(params, event_name="upsell"))
    assert event.json["result"] == "created" and event.json["conversion_id"] != first.json["conversion_id"]


def test_without_a_click_the_offer_order_and_event_make_it_one_conversion(client, db, make, network_token):
    partner, offer = make.partner(), make.offer(payout_amount=250)
    params = {"token": network_token, "affiliate_id": partner.id, "offer_id": offer.id, "order_id": "ORD-9",
              "amount": "30"}
    first = client.get("/postback", query_string=params)
    second = client.get("/postback", query_string=params)
    assert (first.json["result"], second.json["result"]) == ("created", "duplicate")
    assert first.json["conversion_id"] == second.json["conversion_id"]
    row = conversion(db, first.json["conversion_id"])
    assert (row.partner_id, row.offer_id, row.transaction_id, row.sub1, row.payout_cents) == (
        partner.id, offer.id, None, None, 250)
    other_order = client.get("/postback", query_string=dict(params, order_id="ORD-10"))
    assert other_order.json["result"] == "created"
    assert counts(db)["conversions"] == 2


def _bad(world, make):
    """Requests that must be refused, each with the answer and the parameter the error names."""
    click, offer, partner = world["click"], world["offer"], world["partner"]
    tid = click.transaction_id
    other_offer = make.offer()
    return {
        "no token": ({"transaction_id": tid}, 401, "token"),
        "wrong token": ({"token": "not-the-token-at-all", "transaction_id": tid}, 401, "token"),
        "unknown click": ({"transaction_id": "f" * 32}, 404, "transaction_id"),
        "click of another offer": ({"transaction_id": tid, "offer_id": other_offer.id}, 422, "offer_id"),
        "click of another affiliate": ({"transaction_id": tid, "affiliate_id": partner.id + 1000}, 422, "affiliate_id"),
        "amount not a number": ({"transaction_id": tid, "amount": "12,50"}, 400, "amount"),
        "amount in exponent form": ({"transaction_id": tid, "amount": "1e3"}, 400, "amount"),
        "negative amount": ({"transaction_id": tid, "sale_amount": "-5"}, 400, "sale_amount"),
        "huge amount": ({"transaction_id": tid, "amount": "99999999999"}, 400, "amount"),
        "amounts disagree": ({"transaction_id": tid, "amount": "5", "sale_amount": "6"}, 400, "amount"),
        "unknown status": ({"transaction_id": tid, "status": "paid"}, 400, "status"),
        "test flag not a flag": ({"transaction_id": tid, "is_test": "maybe"}, 400, "is_test"),
        "offer id not a number": ({"transaction_id": tid, "offer_id": "7x"}, 400, "offer_id"),
        "event name too long": ({"transaction_id": tid, "event_name": "e" * 101}, 400, "event_name"),
        "control character": ({"transaction_id": tid, "order_id": "A\x00B"}, 400, "order_id"),
        "neither click nor partner": ({"offer_id": offer.id, "order_id": "X"}, 400, "transaction_id"),
        "no order id without a click": ({"affiliate_id": partner.id, "offer_id": offer.id}, 400, "order_id"),
        "unknown offer": ({"affiliate_id": partner.id, "offer_id": 999_999, "order_id": "X"}, 404, "offer_id"),
        "unknown affiliate": ({"affiliate_id": 999_999, "offer_id": offer.id, "order_id": "X"}, 404, "affiliate_id"),
    }


@pytest.mark.parametrize("case", [
    "no token", "wrong token", "unknown click", "click of another offer", "click of another affiliate",
    "amount not a number", "amount in exponent form", "negative amount", "huge amount", "amounts disagree",
    "unknown status", "test flag not a flag", "offer id not a number", "event name too long", "control character",
    "neither click nor partner", "no order id without a click", "unknown offer", "unknown affiliate",
])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_bad_input_is_a_4xx_naming_the_problem_and_writes_nothing(client, db, make, world, case, method):
    params, status, names = _bad(world, make)[case]
    if params.get("token") is None and case != "no token":
        params = dict(params, token=NETWORK_TOKEN)
    before = counts(db)
    if method == "GET":
        response = client.get("/postback", query_string=params)
    else:
        response = client.post("/postback", data=params)
    assert response.status_code == status, response.json
    assert response.json["error"].startswith(f"{names}:"), response.json
    assert counts(db) == before


def test_the_token_is_checked_before_anything_else(client, db, world):
    before = counts(db)
    for params in ({"amount": "oops", "status": "paid"}, {"token": "wrong-token-wrong-token", "amount": "oops"}):
        response = client.get("/postback", query_string=params)
        assert response.status_code == 401 and response.json["error"].startswith("token:")
    assert counts(db) == before


@pytest.mark.parametrize(("body", "content_type", "says"), [
    ("[1, 2]", "application/json", "body: a JSON body must be an object"),
    ('{"token": ', "application/json", "Failed to decode JSON"),
    ('{"token": {"nested": 1}}', "application/json", "token: must be a string or a number"),
])
def test_a_bad_json_body_is_a_400_in_json(client, db, world, body, content_type, says):
    before = counts(db)
    response = client.post("/postback", data=body, content_type=content_type)
    assert response.status_code == 400 and says in response.json["error"]
    assert counts(db) == before


def test_an_offers_token_records_that_offers_conversions_only(client, db, make, world):
    offer, other = world["offer"], make.offer()
    offer.intake_token_hash = sha256(OFFER_TOKEN)
    db.session.commit()
    other_click = make.click(world["partner"], other)
    before = counts(db)
    refused = client.get("/postback", query_string={"token": OFFER_TOKEN, "transaction_id": other_click.transaction_id})
    assert refused.status_code == 403 and refused.json["error"].startswith("token:")
    refused_order = client.get("/postback", query_string={"token": OFFER_TOKEN, "affiliate_id": world["partner"].id,
                                                          "offer_id": other.id, "order_id": "Z"})
    assert refused_order.status_code == 403
    assert counts(db) == before

    accepted = client.get("/postback", query_string={"token": OFFER_TOKEN, "transaction_id": world["click"].transaction_id})
    assert accepted.status_code == 200
    by_network = client.get("/postback", query_string={"token": NETWORK_TOKEN, "transaction_id": other_click.transaction_id})
    assert by_network.status_code == 200


def test_without_a_network_token_only_offer_tokens_work(client, db, world):
    db.session.get(NetworkSettings, 1).intake_token_hash = None
    db.session.commit()
    response = client.get("/postback", query_string={"token": NETWORK_TOKEN, "transaction_id": world["click"].transaction_id})
    assert response.status_code == 401 and response.json["error"] == "token: not recognised"


def test_intake_needs_no_csrf_token_no_session_and_spends_no_api_budget(make_app, make, network_token):
    app = make_app(WTF_CSRF_ENABLED=True, API_RATE_PER_SECOND=1, API_RATE_BURST=1)
    with app.app_context():
        partner, offer = make.partner(), make.offer()
        clicks = [make.click(partner, offer).transaction_id for _ in range(3)]
        client = app.test_client()
        for tid in clicks:  # three in a row: the Affiliate API's budget of one per second would refuse two
            response = client.post("/postback", data={"token": network_token, "transaction_id": tid})
            assert response.status_code == 200, response.json
            assert "X-RateLimit-Limit" not in response.headers and "Set-Cookie" not in response.headers


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_database_down_is_a_503_with_retry_after(app_without_database, method):
    client = app_without_database.test_client()
    response = client.open("/postback", method=method, query_string={"token": NETWORK_TOKEN, "transaction_id": "abc"})
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert "database is not reachable" in response.json["error"]


def test_a_failure_before_the_commit_leaves_nothing_half_done(client, db, make, world, monkeypatch):
    """The crash window between the conversion's insert and the commit: nothing stays, the retry succeeds."""
    make.server_postback(world["partner"])
    before = counts(db)

    def connection_lost(*args, **kwargs):
        raise OperationalError("INSERT INTO postback_deliveries …", {}, Exception("server closed the connection"))

    monkeypatch.setattr("portal.services.intake.enqueue_for_conversion", connection_lost)
    params = {"token": NETWORK_TOKEN, "transaction_id": world["click"].transaction_id}
    response = client.get("/postback", query_string=params)
    assert response.status_code == 503 and response.headers["Retry-After"] == "30"
    assert counts(db) == before

    monkeypatch.undo()
    retried = client.get("/postback", query_string=params)
    assert retried.json["result"] == "created"
    assert counts(db)["conversions"] == 1 and counts(db)["deliveries"] == 1


def test_the_cli_sets_network_and_offer_tokens(app, db, make, client, network_token):
    runner = app.test_cli_runner()
    partner, offer = make.partner(), make.offer()
    click = make.click(partner, offer)

    generated = runner.invoke(args=["intake", "set-token"])
    assert generated.exit_code == 0, generated.output
    token = generated.output.strip().splitlines()[-1]
    assert len(token) >= 40
    db.session.expire_all()
    assert db.session.get(NetworkSettings, 1).intake_token_hash == sha256(token)
    assert token not in json.dumps([e.detail for e in db.session.scalars(select(AuditEvent))])
    assert client.get("/postback", query_string={"token": network_token, "transaction_id": click.transaction_id}).status_code == 401
    assert client.get("/postback", query_string={"token": token, "transaction_id": click.transaction_id}).status_code == 200

    chosen = runner.invoke(args=["intake", "set-token", "--offer", str(offer.id), "--token", OFFER_TOKEN])
    assert chosen.exit_code == 0 and chosen.output.strip().splitlines()[-1] == OFFER_TOKEN
    db.session.expire_all()
    assert db.session.get(type(offer), offer.id).intake_token_hash == sha256(OFFER_TOKEN)
    audited = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "intake_token.set")
                                 .order_by(AuditEvent.id)).all()
    assert [(e.target_type, e.detail) for e in audited] == [
        ("NetworkSettings", {"scope": "network"}), ("Offer", {"offer_id": offer.id})]

    short = runner.invoke(args=["intake", "set-token", "--token", "short"])
    assert short.exit_code != 0 and "at least 16 characters" in short.output
    unknown = runner.invoke(args=["intake", "set-token", "--offer", "999999"])
    assert unknown.exit_code != 0 and "No offer has id 999999" in unknown.output


def test_the_demo_network_takes_the_printed_demo_token(app, db, client, network_token):
    result = app.test_cli_runner().invoke(args=["demo-data", "--clicks", "200", "--conversions", "20"])
    assert result.exit_code == 0, result.output
    assert "Conversion intake token: demo-intake-token" in result.stdout
    fresh_click = db.session.execute(sa.text(
        "SELECT transaction_id FROM clicks WHERE transaction_id NOT IN "
        "(SELECT transaction_id FROM conversions WHERE transaction_id IS NOT NULL) LIMIT 1")).scalar()
    assert fresh_click
    response = client.get("/postback", query_string={"token": "demo-intake-token", "transaction_id": fresh_click,
                                                     "amount": "25"})
    assert response.status_code == 200 and response.json["result"] == "created"


def test_head_and_other_methods_record_nothing_and_answer_in_json(client, db):
    from portal.models import Conversion
    before = db.session.query(Conversion).count()
    for method in ("HEAD", "PUT", "DELETE"):
        response = client.open("/postback?token=demo-intake-token&transaction_id=x", method=method)
        assert response.status_code == 405
        if method != "HEAD":
            assert "error" in response.get_json()
    assert db.session.query(Conversion).count() == before


def test_text_that_is_not_valid_unicode_is_a_400_not_a_crash(client, db, world, network_token):
    before = counts(db)
    for body in ('{"token": "\\ud800"}',
                 '{"token": "%s", "transaction_id": "\\udfff"}' % network_token,
                 '{"token": "%s", "transaction_id": "%s", "order_id": "\\ud800x"}'
                 % (network_token, world["click"].transaction_id)):
        response = client.post("/postback", data=body, content_type="application/json")
        assert response.status_code == 400 and "valid text" in response.json["error"]
    assert counts(db) == before


def test_another_affiliates_order_id_on_the_same_offer_is_a_conflict(client, db, make, network_token):
    first, second, offer = make.partner(), make.partner(), make.offer()
    params = {"token": network_token, "affiliate_id": first.id, "offer_id": offer.id, "order_id": "ORD-1"}
    assert client.get("/postback", query_string=params).json["result"] == "created"
    clash = client.get("/postback", query_string=dict(params, affiliate_id=second.id))
    assert clash.status_code == 409 and clash.json["error"].startswith("order_id:")
    assert counts(db)["conversions"] == 1
