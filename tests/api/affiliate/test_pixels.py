"""Postbacks over the Affiliate API ("pixels"): Everflow's shapes, the partner from the key only, the façade's
rules as 400s naming the field, 404 for other partners' ids, 403 when the network turned self-service off,
and Send test against a real listener."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from portal.affiliate.postbacks import MANUAL_SENDS_PER_MINUTE
from portal.models import ApiKey, AuditEvent, NetworkSettings, OfferAccess, Postback, PostbackAttempt, PostbackDelivery
from tests.factories import Listener

PIXELS = "/v1/affiliates/pixels"
AT = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
BODY = {"delivery_method": "postback", "pixel_level": "global", "pixel_status": "active", "pixel_type": "conversion",
        "postback_url": "https://example.com/postback?tid={transaction_id}&amount={revenue}"}
PIXEL_FIELDS = {"network_pixel_id", "network_affiliate_id", "network_offer_id", "delivery_method", "pixel_level",
                "pixel_status", "pixel_type", "event_name", "postback_url", "html_code", "delay_ms", "description",
                "time_created", "time_saved", "send_status_updates", "disabled_reason", "consecutive_failures",
                "relationship"}


@pytest.fixture
def app(unbudgeted_app):
    return unbudgeted_app


@pytest.fixture
def allow_private(app):
    """Delivery to a listener on 127.0.0.1 at any port, as in local development."""
    app.config["POSTBACK_ALLOW_PRIVATE_DESTINATIONS"] = True


class Caller:
    def __init__(self, client, key: str) -> None:
        self.client, self.key = client, key

    def __call__(self, method: str, path: str, body=None, **kwargs):
        headers = {"X-Eflow-API-Key": self.key, **kwargs.pop("headers", {})}
        if body is not None:
            kwargs["json"] = body
        return self.client.open(path, method=method, headers=headers, **kwargs)


@pytest.fixture
def world(make, issue, client):
    alpha, beta = make.partner(name="Alpha Media"), make.partner(name="Beta Deals")
    return {"alpha": alpha, "beta": beta, "offer": make.offer(name="Acme Shoes"),
            "call": Caller(client, issue(alpha)), "beta_call": Caller(client, issue(beta))}


def _count(db, model=Postback) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def _self_service(db, on: bool) -> None:
    db.session.get(NetworkSettings, 1).partner_postbacks_enabled = on
    db.session.commit()


def test_create_read_list_replace_and_delete(world, db):
    call, alpha = world["call"], world["alpha"]
    created = call("POST", PIXELS, BODY)
    assert created.status_code == 201
    pixel = created.json
    assert set(pixel) == PIXEL_FIELDS
    assert pixel["network_affiliate_id"] == alpha.id and pixel["network_offer_id"] == 0
    assert (pixel["pixel_level"], pixel["postback_url"], pixel["html_code"], pixel["delay_ms"]) == (
        "global", BODY["postback_url"], "", 0)
    assert isinstance(pixel["time_created"], int) and pixel["consecutive_failures"] == 0
    pixel_id = pixel["network_pixel_id"]

    assert call("GET", f"{PIXELS}/{pixel_id}").json == pixel
    listed = call("GET", PIXELS).json
    assert listed == {"pixels": [pixel], "paging": {"page": 1, "page_size": 50, "total_count": 1}}

    replaced = call("PUT", f"{PIXELS}/{pixel_id}", {
        "delivery_method": "postback", "pixel_level": "specific", "network_offer_id": world["offer"].id,
        "pixel_status": "inactive", "pixel_type": "event", "event_name": "signup",
        "postback_url": "https://example.com/e?tid={transaction_id}&e={event_name}", "delay_ms": 2000,
        "description": "signups", "send_status_updates": True})
    assert replaced.status_code == 200
    assert {k: replaced.json[k] for k in ("pixel_level", "network_offer_id", "pixel_status", "pixel_type",
                                          "event_name", "delay_ms", "description", "send_status_updates")} == {
        "pixel_level": "specific", "network_offer_id": world["offer"].id, "pixel_status": "inactive",
        "pixel_type": "event", "event_name": "signup", "delay_ms": 2000, "description": "signups",
        "send_status_updates": True}
    assert replaced.json["relationship"]["offer"] == {"network_offer_id": world["offer"].id, "name": "Acme Shoes"}

    # PUT is a full object: what is left out takes its default again.
    assert call("PUT", f"{PIXELS}/{pixel_id}", BODY).json["description"] == ""

    assert call("DELETE", f"{PIXELS}/{pixel_id}").json == {"result": True}
    assert call("GET", f"{PIXELS}/{pixel_id}").status_code == 404
    assert call("GET", PIXELS).json["paging"]["total_count"] == 0
    assert db.session.get(Postback, pixel_id).status == "deleted"  # kept, with its log, out of sight


def test_changes_over_the_api_are_audited_with_the_key_that_made_them(world, db):
    call, alpha = world["call"], world["alpha"]
    key = db.session.scalars(select(ApiKey).where(ApiKey.partner_id == alpha.id)).one()
    pixel_id = call("POST", PIXELS, BODY).json["network_pixel_id"]
    assert call("PUT", f"{PIXELS}/{pixel_id}", {**BODY, "description": "renamed"}).status_code == 200
    assert call("DELETE", f"{PIXELS}/{pixel_id}").status_code == 200
    db.session.expire_all()
    events = list(db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("postback.%"))
                                     .order_by(AuditEvent.id)))
    assert [e.action for e in events] == ["postback.created", "postback.updated", "postback.deleted"]
    for event in events:
        assert (event.actor_type, event.actor_id, event.target_id, event.ip) == ("api", key.id, str(pixel_id),
                                                                                "127.0.0.1")
        assert event.detail["api_key_id"] == key.id and event.detail["partner_id"] == alpha.id
    assert events[0].detail["destination"] == "example.com"
    assert events[1].detail == {"partner_id": alpha.id, "api_key_id": key.id, "changed": ["description"]}


def test_an_html_pixel(world, db):
    code = "<img src='https://pixel.example/p?t={transaction_id}'>"
    created = world["call"]("POST", PIXELS, {"delivery_method": "html", "html_code": code, "postback_url": ""})
    assert created.status_code == 201
    assert (created.json["html_code"], created.json["postback_url"]) == (code, "")


def test_the_level_follows_the_offer_id_when_it_is_left_out(world):
    call, offer = world["call"], world["offer"]
    body = {k: v for k, v in BODY.items() if k != "pixel_level"}
    assert call("POST", PIXELS, body).json["pixel_level"] == "global"
    specific = call("POST", PIXELS, {**body, "network_offer_id": offer.id}).json
    assert (specific["pixel_level"], specific["network_offer_id"]) == ("specific", offer.id)


@pytest.mark.parametrize(("change", "error"), [
    ({"postback_url": "ftp://example.com/pb"}, "postback_url: must start with http:// or https://"),
    ({"postback_url": "https:///pb"}, "postback_url: must name a host"),
    ({"postback_url": "https://example.com/?x={sub9}"}, "postback_url: unknown macro {sub9}"),
    ({"postback_url": "https://example.com:22/"}, "postback_url: the port must be 80 or 443"),
    ({"postback_url": "https://{sub1}.example.com/"}, "postback_url: macros may appear only in the path"),
    ({"postback_url": None}, "postback_url: required for a server postback"),
    ({"postback_url": 5}, "postback_url: required for a server postback"),
    ({"delivery_method": "html", "postback_url": ""}, "html_code: required for delivery method html"),
    ({"delivery_method": "html", "postback_url": "", "html_code": "x" * 10241}, "html_code: at most 10 KB"),
    ({"delivery_method": "html"}, "postback_url: only for delivery method postback"),
    ({"html_code": "<img>"}, "html_code: only for delivery method html"),
    ({"delivery_method": "facebook"}, "delivery_method: must be one of postback, html"),
    ({"pixel_level": "specific"}, "network_offer_id: required when pixel_level is specific"),
    ({"pixel_level": "global", "network_offer_id": 1},
     "network_offer_id: must be 0 or absent when pixel_level is global"),
    ({"pixel_level": "global_offer"}, "pixel_level: must be global or specific"),
    ({"pixel_level": "specific", "network_offer_id": "1"}, "network_offer_id: must be an offer id"),
    ({"pixel_level": "specific", "network_offer_id": 10**20}, "network_offer_id: must be an offer id"),
    ({"description": "a\x00b"}, "description: must not contain NUL characters"),
    ({"delivery_method": "html", "postback_url": "", "html_code": "<img>\x00"}, "html_code: must not contain NUL"),
    ({"pixel_status": "deleted"}, "pixel_status: must be one of active, inactive"),
    ({"pixel_type": "cpc"}, "pixel_type: must be one of conversion, event"),
    ({"event_name": "signup"}, "event_name: only for a postback of type event"),
    ({"pixel_type": "event", "event_name": "a\nb"}, "event_name: must be one line of printable text"),
    ({"delay_ms": -1}, "delay_ms: must be a whole number of milliseconds from 0 to 3,600,000"),
    ({"delay_ms": 3_600_001}, "delay_ms: must be a whole number"),
    ({"delay_ms": "100"}, "delay_ms: must be a whole number"),
    ({"delay_ms": 1.5}, "delay_ms: must be a whole number"),
    ({"delay_ms": True}, "delay_ms: must be a whole number"),
    ({"description": "d" * 501}, "description: at most 500 characters"),
    ({"send_status_updates": "yes"}, "send_status_updates: must be true or false"),
])
def test_bad_fields_are_400s_that_name_the_field_and_write_nothing(world, db, change, error):
    response = world["call"]("POST", PIXELS, {**BODY, **change})
    assert response.status_code == 400
    assert response.json["error"].startswith(error), response.json
    assert _count(db) == 0


@pytest.mark.parametrize("visibility", ["private", "require_approval"])
def test_a_specific_pixel_needs_an_offer_the_partner_can_run(world, db, make, visibility):
    call = world["call"]
    closed = make.offer(visibility=visibility)
    paused = make.offer(status="paused")
    for offer_id in (closed.id, paused.id, 999_999):
        response = call("POST", PIXELS, {**BODY, "pixel_level": "specific", "network_offer_id": offer_id})
        assert response.status_code == 400
        assert response.json["error"].startswith("network_offer_id: not an offer you can run")
    assert _count(db) == 0
    make.conversion(world["alpha"], closed, at=AT)  # traffic alone grants nothing
    assert call("POST", PIXELS, {**BODY, "pixel_level": "specific", "network_offer_id": closed.id}).status_code == 400
    db.session.add(OfferAccess(partner_id=world["alpha"].id, offer_id=closed.id, status="approved"))
    db.session.commit()  # approved (an application) or granted (a private offer): now the partner runs it
    assert call("POST", PIXELS, {**BODY, "pixel_level": "specific", "network_offer_id": closed.id}).status_code == 201


def test_partner_ids_and_server_fields_in_a_body_are_ignored(world, db):
    beta = world["beta"]
    body = {**BODY, "partner_id": beta.id, "affiliate_id": beta.id, "network_affiliate_id": beta.id,
            "consecutive_failures": 9, "disabled_reason": "forged", "time_created": 1, "network_pixel_id": 12345,
            "network_id": 7, "relationship": {"affiliate": {"network_affiliate_id": beta.id}}}
    created = world["call"]("POST", PIXELS, body)
    assert created.status_code == 201
    row = db.session.get(Postback, created.json["network_pixel_id"])
    assert (row.partner_id, row.consecutive_failures, row.disabled_reason) == (world["alpha"].id, 0, None)
    assert row.id != 12345 and created.json["time_created"] > 1

    row.consecutive_failures = 4
    db.session.commit()
    world["call"]("PUT", f"{PIXELS}/{row.id}", body)
    db.session.expire_all()
    assert (row.partner_id, row.consecutive_failures) == (world["alpha"].id, 4)
    assert world["call"]("GET", f"{PIXELS}?partner_id={beta.id}&affiliate_id={beta.id}").json["paging"][
        "total_count"] == 1


def test_other_partners_pixels_are_not_found_on_every_route(world, db, make):
    theirs = make.server_postback(world["beta"], url="https://beta-secret.example/pb", description="beta notes")
    delivery = make.delivery(theirs, status="dead", attempts=1)
    make.attempt(delivery, AT, "failed", status_code=500, response_excerpt="beta-response")
    call = world["call"]
    for method, path, body in (("GET", f"{PIXELS}/{theirs.id}", None), ("PUT", f"{PIXELS}/{theirs.id}", BODY),
                               ("DELETE", f"{PIXELS}/{theirs.id}", None), ("POST", f"{PIXELS}/{theirs.id}/test", None),
                               ("GET", f"{PIXELS}/{theirs.id}/deliveries", None),
                               ("GET", f"{PIXELS}/99999999/deliveries", None), ("GET", f"{PIXELS}/99999999", None)):
        response = call(method, path, body)
        assert response.status_code == 404, (method, path)
        assert response.json == {"error": "Not found"}
    listed = call("GET", PIXELS).get_data(as_text=True)
    assert "beta-secret" not in listed and "beta notes" not in listed
    db.session.expire_all()
    assert (theirs.url, theirs.status, _count(db, PostbackAttempt), _count(db, PostbackDelivery)) == (
        "https://beta-secret.example/pb", "active", 1, 1)


def test_with_self_service_off_reads_work_and_writes_are_403(world, db, make):
    row = make.server_postback(world["alpha"])
    dead = make.delivery(row, status="dead", attempts=1)
    _self_service(db, False)
    call = world["call"]
    assert call("GET", PIXELS).json["paging"]["total_count"] == 1
    assert call("GET", f"{PIXELS}/{row.id}").status_code == 200
    assert call("GET", f"{PIXELS}/{row.id}/deliveries").status_code == 200
    for method, path, body in (("POST", PIXELS, BODY), ("PUT", f"{PIXELS}/{row.id}", BODY),
                               ("DELETE", f"{PIXELS}/{row.id}", None), ("POST", f"{PIXELS}/{row.id}/test", None),
                               ("POST", f"{PIXELS}/{row.id}/deliveries/{dead.id}/retry", None),
                               ("POST", PIXELS, {"delivery_method": "nonsense"})):
        response = call(method, path, body)
        assert response.status_code == 403, (method, path)
        assert "turned off postback self-service" in response.json["error"]
    assert (_count(db), db.session.get(Postback, row.id).status, _count(db, PostbackDelivery)) == (1, "active", 1)
    assert _count(db, PostbackAttempt) == 0


def test_writes_need_a_json_object(world, db, make):
    row = make.server_postback(world["alpha"])
    call = world["call"]
    for method, path in (("POST", PIXELS), ("PUT", f"{PIXELS}/{row.id}")):
        form = call(method, path, data="delivery_method=postback",
                    headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert form.status_code == 415 and "error" in form.json
        broken = call(method, path, data="{not json", headers={"Content-Type": "application/json"})
        assert broken.status_code == 400 and broken.json == {"error": "body: malformed JSON"}
        array = call(method, path, [BODY])
        assert array.status_code == 400 and array.json == {"error": "body: must be a JSON object"}
    assert _count(db) == 1


def test_list_filters_search_and_paging(world, make):
    alpha, offer, call = world["alpha"], world["offer"], world["call"]
    everyone = make.server_postback(alpha, description="main tracker")
    on_offer = make.server_postback(alpha, offer_id=offer.id, postback_type="event", status="inactive")
    html = make.server_postback(alpha, delivery_method="html", url=None, html_code="<img>")

    def ids(query: str) -> list[int]:
        response = call("GET", f"{PIXELS}?{query}")
        assert response.status_code == 200, response.json
        return [p["network_pixel_id"] for p in response.json["pixels"]]

    assert ids("") == [everyone.id, on_offer.id, html.id]
    assert ids(f"network_offer_id={offer.id}") == [on_offer.id]
    assert ids("network_offer_id=0") == [everyone.id, html.id]
    assert ids("pixel_status=inactive") == [on_offer.id]
    assert ids("pixel_type=event") == [on_offer.id]
    assert ids("delivery_method=html") == [html.id]
    assert ids("filter=pixel_status%3Dactive&filter=delivery_method%3Dpostback") == [everyone.id]
    assert ids("search=MAIN") == [everyone.id]
    paged = call("GET", f"{PIXELS}?page=2&page_size=2").json
    assert [p["network_pixel_id"] for p in paged["pixels"]] == [html.id]
    assert paged["paging"] == {"page": 2, "page_size": 2, "total_count": 3}


@pytest.mark.parametrize(("query", "error"), [
    ("pixel_status=paused", "pixel_status: must be one of active, inactive"),
    ("pixel_type=cpc", "pixel_type: must be one of conversion, event"),
    ("delivery_method=tiktok", "delivery_method: must be one of postback, html"),
    ("network_offer_id=abc", "network_offer_id: must be a whole number"),
    ("network_offer_id=%D9%A3", "network_offer_id: must be a whole number"),
    ("network_offer_id=99999999999", "network_offer_id: must be a whole number"),
    ("search=a%00b", "search: must be one line of printable text"),
    ("filter=partner_id%3D1", "filter: must be <field>=<value>"),
    ("page_size=2001", "page_size: must be at most 2000"),
    ("page=0", "page: "),
])
def test_bad_list_parameters_are_400s(world, query, error):
    response = world["call"]("GET", f"{PIXELS}?{query}")
    assert response.status_code == 400 and response.json["error"].startswith(error)


def test_the_cap_on_pixels_per_partner(world, db, monkeypatch):
    monkeypatch.setattr("portal.affiliate.postbacks.MAX_POSTBACKS", 1)
    assert world["call"]("POST", PIXELS, BODY).status_code == 201
    response = world["call"]("POST", PIXELS, BODY)
    assert response.status_code == 400 and response.json["error"].startswith("postbacks: at most 1 per partner")
    assert _count(db) == 1


@pytest.mark.usefixtures("allow_private")
def test_send_test_fires_once_and_answers_with_the_attempt(world, db):
    excerpt = "<script>alert(1)</script>" + "x" * 5000
    with Listener(body=excerpt.encode()) as listener:
        created = world["call"]("POST", PIXELS, {**BODY, "postback_url": listener.url + "/pb?t={transaction_id}"
                                                 "&test={is_test}&a={affiliate_id}&s={sub1}"}).json
        response = world["call"]("POST", f"{PIXELS}/{created['network_pixel_id']}/test")
    assert response.status_code == 200
    attempt = response.json
    assert (attempt["outcome"], attempt["status_code"], attempt["manual"], attempt["attempt_number"]) == (
        "delivered", 200, True, 1)
    assert len(listener.requests) == 1
    assert parse_qs(urlsplit(listener.requests[0]).query) == {
        "t": ["test0000000000000000000000000000"], "test": ["1"], "a": [str(world["alpha"].id)], "s": ["sample_sub1"]}
    assert attempt["url"] == listener.url + listener.requests[0]
    assert len(attempt["response_excerpt"]) <= 2048 and attempt["response_excerpt"].startswith("<script>")
    assert "x" * 2100 not in response.get_data(as_text=True)  # never more of their server's answer
    assert response.mimetype == "application/json" and response.headers["X-Content-Type-Options"] == "nosniff"
    delivery = db.session.scalars(select(PostbackDelivery)).one()
    assert (delivery.kind, delivery.is_test, delivery.status) == ("test", True, "delivered")


@pytest.mark.usefixtures("allow_private")
def test_send_test_is_capped_with_retry_after(world, db, make):
    with Listener() as listener:
        row = make.server_postback(world["alpha"], url=listener.url + "/pb")
        for _ in range(MANUAL_SENDS_PER_MINUTE):
            assert world["call"]("POST", f"{PIXELS}/{row.id}/test").status_code == 200
        capped = world["call"]("POST", f"{PIXELS}/{row.id}/test")
        # The cap is per partner: another partner still has its own.
        theirs = make.server_postback(world["beta"], url=listener.url + "/beta")
        assert world["beta_call"]("POST", f"{PIXELS}/{theirs.id}/test").status_code == 200
    assert capped.status_code == 429 and 1 <= int(capped.headers["Retry-After"]) <= 60
    assert capped.json["error"].startswith("Too many test sends")
    assert len(listener.requests) == MANUAL_SENDS_PER_MINUTE + 1


@pytest.mark.usefixtures("allow_private")
def test_retry_sends_a_failed_delivery_again_and_answers_with_the_attempt(world, db, make):
    with Listener() as listener:
        row = make.server_postback(world["alpha"], url=listener.url + "/pb?eid={event_id}")
        dead = make.delivery(row, status="dead", attempts=3, last_error="HTTP 500")
        delivered = make.delivery(row, status="delivered", attempts=1)
        retried = world["call"]("POST", f"{PIXELS}/{row.id}/deliveries/{dead.id}/retry")
        again = world["call"]("POST", f"{PIXELS}/{row.id}/deliveries/{delivered.id}/retry")
    assert retried.status_code == 200, retried.json
    assert (retried.json["outcome"], retried.json["manual"], retried.json["attempt_number"]) == ("delivered", True, 4)
    assert len(listener.requests) == 1
    db.session.expire_all()
    assert db.session.get(PostbackDelivery, dead.id).status == "delivered"
    assert again.status_code == 400 and again.json["error"] == "delivery: only a failed delivery can be retried"


def test_retry_finds_nothing_of_another_partner_or_another_postback(world, db, make):
    mine, theirs = make.server_postback(world["alpha"]), make.server_postback(world["beta"])
    other_of_mine = make.server_postback(world["alpha"], url="https://other.example/pb")
    their_delivery = make.delivery(theirs, status="dead", attempts=1)
    my_delivery = make.delivery(mine, status="dead", attempts=1)
    for path in (f"{PIXELS}/{theirs.id}/deliveries/{their_delivery.id}/retry",
                 f"{PIXELS}/{mine.id}/deliveries/{their_delivery.id}/retry",
                 f"{PIXELS}/{other_of_mine.id}/deliveries/{my_delivery.id}/retry"):
        assert world["call"]("POST", path).status_code == 404, path
    assert _count(db, PostbackAttempt) == 0


def test_an_html_pixel_cannot_be_tested(world, db, make):
    row = make.server_postback(world["alpha"], delivery_method="html", url=None, html_code="<img>")
    response = world["call"]("POST", f"{PIXELS}/{row.id}/test")
    assert response.status_code == 400 and response.json["error"].startswith("delivery_method: only server postbacks")
    assert _count(db, PostbackDelivery) == 0


def test_the_delivery_log_pages_newest_first_with_attempts(world, make):
    row = make.server_postback(world["alpha"])
    ok = make.delivery(row, status="delivered", attempts=1, created_at=AT)
    make.attempt(ok, AT, "delivered", status_code=200, latency_ms=12)
    dead = make.delivery(row, status="dead", attempts=2, created_at=AT + timedelta(minutes=1), last_error="HTTP 500")
    make.attempt(dead, AT, "failed", status_code=500, error_class="http", error="HTTP 500",
                 response_excerpt="<b>oops</b>")
    make.attempt(dead, AT + timedelta(minutes=1), "failed", attempt_number=2, error_class="timeout")
    call = world["call"]

    log = call("GET", f"{PIXELS}/{row.id}/deliveries").json
    assert log["paging"] == {"page": 1, "page_size": 50, "total_count": 2}
    assert [d["delivery_id"] for d in log["deliveries"]] == [dead.id, ok.id]
    first = log["deliveries"][0]
    assert (first["status"], first["attempts"], first["last_error"]) == ("dead", 2, "HTTP 500")
    assert [a["attempt_number"] for a in first["relationship"]["attempts"]] == [1, 2]
    assert first["relationship"]["attempts"][0]["response_excerpt"] == "<b>oops</b>"
    failed = call("GET", f"{PIXELS}/{row.id}/deliveries?failed=1").json["deliveries"]
    assert [d["delivery_id"] for d in failed] == [dead.id]
    assert call("GET", f"{PIXELS}/{row.id}/deliveries?page=2&page_size=1").json["deliveries"][0]["delivery_id"] == ok.id
    assert call("GET", f"{PIXELS}/{row.id}/deliveries?failed=maybe").status_code == 400


def test_turning_a_pixel_back_on_clears_the_streak_that_turned_it_off(world, db, make):
    row = make.server_postback(world["alpha"], url=BODY["postback_url"], status="inactive", consecutive_failures=10,
                               first_failure_at=AT, disabled_at=AT, disabled_reason="Turned off after 10 failures")
    before = world["call"]("GET", f"{PIXELS}/{row.id}").json
    assert (before["pixel_status"], before["consecutive_failures"], before["disabled_reason"]) == (
        "inactive", 10, "Turned off after 10 failures")
    after = world["call"]("PUT", f"{PIXELS}/{row.id}", BODY).json
    assert (after["pixel_status"], after["consecutive_failures"], after["disabled_reason"]) == ("active", 0, None)
    db.session.expire_all()
    assert (row.first_failure_at, row.disabled_at) == (None, None)


def test_send_test_to_a_private_address_is_blocked_without_a_connection(world, db, make):
    """The SSRF guard holds for manual sends too: port 80 passes the template check, the address does not."""
    row = make.server_postback(world["alpha"], url="http://127.0.0.1/pb?t={transaction_id}")
    response = world["call"]("POST", f"{PIXELS}/{row.id}/test")
    assert response.status_code == 200
    assert (response.json["outcome"], response.json["status_code"]) == ("blocked", None)
    assert db.session.scalars(select(PostbackDelivery)).one().status == "dead"
