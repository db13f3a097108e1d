"""An Everflow-style script over real HTTP: the invoice and traffic calls a partner's existing script makes,
written from Everflow's documentation (paths, bodies, query filters, `?relationship=all`, paging by query
string) and reading only Everflow's field names, with only the base URL changed. The invoices are made the
network's way, through the billing services, and the script's totals must match them."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from portal.services.billing_adjustments import add_adjustment
from portal.services.invoices import generate_invoices, void_invoice
from portal.services.payments import record_payment
from tests.browser import LiveServer
from tests.everflow_script import EverflowError, EverflowScript
from tests.traffic_world import build_traffic_world

TABLE = "/v1/affiliates/billings/affiliates/invoicestable"
ONE = "/v1/affiliates/billings/affiliates/invoices/{}?relationship=all"


@pytest.fixture
def app(unbudgeted_app):
    return unbudgeted_app


def _at(day: date) -> datetime:
    return datetime.combine(day, time(12), UTC)


def _run(start: date, end: date, partner) -> object:
    [invoice] = [i for i in generate_invoices(start, end, [partner.id]).invoices]
    return invoice


@pytest.fixture
def billed(make):
    """Three billed periods of one partner, the network's way: the first paid in full, the second in part,
    the third invoiced, voided (its conversion freed) and invoiced again with a bonus; and another partner's
    invoice the script must never see."""
    offer, other_offer = make.offer(name="Acme Shoes", currency="EUR"), make.offer(name="Tea Club", currency="EUR")
    mine = make.partner(currency="EUR", timezone="Europe/Berlin")
    theirs = make.partner()
    today = datetime.now(UTC).date()
    periods = [(today - timedelta(days=90), today - timedelta(days=70)),
               (today - timedelta(days=69), today - timedelta(days=40)),
               (today - timedelta(days=39), today - timedelta(days=10))]
    for cents, when in ((1000, 75), (2345, 74), (5000, 45), (700, 15)):
        make.conversion(mine, offer, at=_at(today - timedelta(days=when)), payout_cents=cents)
    make.conversion(mine, other_offer, at=_at(today - timedelta(days=44)), payout_cents=1255)
    make.conversion(theirs, offer, at=_at(today - timedelta(days=75)), payout_cents=77_700)
    first = _run(*periods[0], mine)
    foreign = _run(*periods[0], theirs)
    second = _run(*periods[1], mine)
    voided = _run(*periods[2], mine)
    void_invoice(voided.id, None)
    add_adjustment(mine.id, "bonus", 500, "Launch week", None)
    third = _run(*periods[2], mine)
    record_payment(first.id, today - timedelta(days=60), first.total_cents - 345, "bank_transfer", "SEPA-1", None)
    record_payment(first.id, today - timedelta(days=59), 345, "wire", "W-2", None)
    record_payment(second.id, today - timedelta(days=30), 2000, "paypal", "PP-3", None)
    return {"mine": mine, "theirs": theirs, "first": first, "second": second, "third": third, "voided": voided,
            "foreign": foreign, "periods": periods}


def _money(cents: int) -> float:
    return round(cents / 100, 2)


def test_an_everflow_script_reads_its_invoices_and_their_totals(app, issue, billed):
    first, second, third = billed["first"], billed["second"], billed["third"]
    mine = [third, second, first]  # newest first, as Everflow sorts them
    with LiveServer(app) as server:
        script = EverflowScript(server.url, issue(billed["mine"]))
        # The body real scripts send: Everflow's example carries page/page_size in it too (the query string
        # wins), and scripts add keys of their own; unknown top-level keys are not an error.
        body = {"filters": {}, "page": 1, "page_size": 50, "search_terms": [], "client": "nightly-sync"}
        listed = script.every("POST", TABLE, "invoices", body, page_size=2)
        assert [i["network_affiliate_invoice_id"] for i in listed] == [i.id for i in mine]
        assert sum(i["billed"] for i in listed) == pytest.approx(_money(sum(i.total_cents for i in mine)))
        assert sum(i["paid"] for i in listed) == pytest.approx(_money(first.total_cents + 2000))
        assert sum(i["balance"] for i in listed) == pytest.approx(
            _money(second.total_cents - 2000 + third.total_cents))
        by_id = {i["network_affiliate_invoice_id"]: i for i in listed}
        assert by_id[first.id]["affiliate_invoice_status"] == "paid" and by_id[first.id]["balance"] == 0
        assert {by_id[i.id]["affiliate_invoice_status"] for i in (second, third)} == {"unpaid"}
        for invoice in mine:
            found = by_id[invoice.id]
            assert found["currency_id"] == "EUR" and found["payment_terms"].startswith("Net ")
            assert found["start_time"] == f"{invoice.period_start} 00:00:00"
            assert found["end_time"] == f"{invoice.period_end} 23:59:59"

        def ids(filters: dict) -> list[int]:
            return [i["network_affiliate_invoice_id"]
                    for i in script.every("POST", TABLE, "invoices", {"filters": filters})]

        (_, _), (second_start, second_end), (_, _) = billed["periods"]
        assert ids({"affiliate_invoice_status": "paid"}) == [first.id]
        assert ids({"affiliate_invoice_status": "unpaid"}) == [third.id, second.id]
        assert ids({"min_start_time": second_start.isoformat()}) == [third.id, second.id]
        assert ids({"max_end_time": second_end.isoformat()}) == [second.id, first.id]
        assert ids({"affiliate_invoice_status": "unpaid", "min_start_time": second_start.isoformat(),
                    "max_end_time": second_end.isoformat()}) == [second.id]

        for invoice in mine:
            detail = script.call("GET", ONE.format(invoice.id))
            listed_one = by_id[invoice.id]
            assert {k: detail[k] for k in listed_one} == listed_one
            details, payments = detail["relationship"]["details"], detail["relationship"]["payments"]
            assert detail["relationship"]["extra_periods"] == []
            assert sum(d["amount"] for d in details) == pytest.approx(detail["billed"])
            assert sum(d["invoice_currency_amount"] for d in details) == pytest.approx(detail["billed"])
            assert sum(p["amount"] for p in payments) == pytest.approx(detail["paid"])
            assert detail["balance"] == pytest.approx(detail["billed"] - detail["paid"])
            assert all(p["currency"] == detail["currency_id"] for p in payments)
        second_detail = script.call("GET", ONE.format(second.id))["relationship"]["details"]
        assert sorted((d["network_offer_name"], d["quantity"], d["amount"]) for d in second_detail) == [
            ("Acme Shoes", 1, 50.0), ("Tea Club", 1, 12.55)]
        bonus = [d for d in script.call("GET", ONE.format(third.id))["relationship"]["details"]
                 if d["network_offer_id"] == 0]
        assert [d["amount"] for d in bonus] == [5.0]
        first_payments = script.call("GET", ONE.format(first.id))["relationship"]["payments"]
        assert [(p["payment_type"], p["confirmation_code"]) for p in first_payments] == [
            ("bank_transfer", "SEPA-1"), ("wire", "W-2")]

        for unseen in (billed["voided"], billed["foreign"]):  # a void invoice, another partner's
            with pytest.raises(EverflowError) as caught:
                script.call("GET", ONE.format(unseen.id))
            assert caught.value.code == 404 and "error" in caught.value.body


def test_an_everflow_script_reads_its_traffic_controls_and_blocked_sources(app, issue, db, make):
    world = build_traffic_world(db, make)
    with LiveServer(app) as server:
        script = EverflowScript(server.url, issue(world.alpha))
        controls = script.call("GET", "/v1/affiliates/trafficcontrols")["traffic_controls"]
        assert {c["network_traffic_control_id"] for c in controls} == {
            world.allow.id, world.alpha_only.id, world.everyone.id}
        values = {}
        for listed in controls:
            assert listed["status"] in ("active", "inactive") and listed["control_type"] in ("blacklist", "whitelist")
            assert isinstance(listed["is_apply_all_offers"], bool) and all(
                isinstance(v, str) for v in listed["variables"])
            assert "values" not in listed["relationship"]  # Everflow: values on the object by id only
            one = script.call("GET", f"/v1/affiliates/trafficcontrols/{listed['network_traffic_control_id']}")
            assert {k: one[k] for k in ("network_traffic_control_id", "status", "control_type", "comparison_method",
                                        "variables", "date_valid_from", "date_valid_to")} == {
                k: listed[k] for k in ("network_traffic_control_id", "status", "control_type", "comparison_method",
                                       "variables", "date_valid_from", "date_valid_to")}
            values[one["network_traffic_control_id"]] = one["relationship"]["values"]
        assert values == {world.allow.id: ["US", "CA"], world.alpha_only.id: ["popunder"],
                          world.everyone.id: ["junk", "spam"]}
        with pytest.raises(EverflowError) as caught:
            script.call("GET", f"/v1/affiliates/trafficcontrols/{world.beta_only.id}")
        assert caught.value.code == 404 and caught.value.body == {"error": "Not found"}

        def blocked(query: str = "") -> dict[int, list[tuple[str, str, str]]]:
            found = script.call("GET", "/v1/affiliates/trafficblocking" + query)["traffic_blocking"]
            return {b["network_offer_id"]: [(e["variable"], e["comparison_method"], e["variable_value"])
                                            for e in b["relationship"]["variables"]["entries"]]
                    for b in found if b["relationship"]["variables"]["total"] == len(
                        b["relationship"]["variables"]["entries"])}

        every_offer = [("sub1", "contains", "junk"), ("sub1", "contains", "spam")]
        public = [("source_id", "exact_match", "popunder")]
        assert blocked() == {0: every_offer, world.public.id: public}
        # The query filters Everflow documents for this list, as plain arguments and in its
        # ?filter=<field>=<value> form (URL-encoded, as its API-filters guide writes them).
        assert blocked(f"?network_offer_id={world.private.id}") == {0: every_offer}
        assert blocked(f"?network_offer_id={world.public.id}&traffic_blocking_status=active") == {
            0: every_offer, world.public.id: public}
        assert blocked("?traffic_blocking_status=inactive") == {}
        assert blocked(f"?filter=network_offer_id%3D{world.private.id}") == {0: every_offer}
        assert blocked("?filter=traffic_blocking_status%3Dinactive") == {}
        assert blocked(f"?filter=network_offer_id%3D{world.public.id}&filter=traffic_blocking_status%3Dactive") == {
            0: every_offer, world.public.id: public}
