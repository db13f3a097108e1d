"""The Postbacks pages: the partner's own postbacks only, created and edited through the form with the
façade's rules, deleted with their log kept, read-only when the network says so, and a delivery log that
shows what a partner's server answered — escaped — with Send test and Retry now against a real listener."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from portal.affiliate.postbacks import DELETED, MANUAL_SENDS_PER_MINUTE
from portal.models import AuditEvent, NetworkSettings, OfferAccess, Postback, PostbackAttempt, PostbackDelivery
from tests.factories import Listener

FORM = {"delivery_method": "postback", "offers": "all", "offer_id": "", "postback_type": "conversion",
        "event_name": "", "url": "https://tracker.example/pb?click={transaction_id}&amount={payout}",
        "html_code": "", "status": "active", "delay_ms": "0", "description": "Main tracker"}
AT = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def _count(db, model=Postback) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def _errors(page: str) -> list[str]:
    return [html.unescape(e) for e in re.findall(r'role="alert"[^>]*>([^<]*)<', page)]


def _ids(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr data-postback-id="(\d+)">', page)]


def _self_service(db, on: bool) -> None:
    db.session.get(NetworkSettings, 1).partner_postbacks_enabled = on
    db.session.commit()


@pytest.fixture
def world(make):
    alpha, beta = make.partner(name="Alpha Media"), make.partner(name="Beta Deals")
    public = make.offer(name="Acme Shoes")
    return {"alpha": alpha, "beta": beta, "public": public,
            "alpha_user": make.partner_user(alpha), "beta_user": make.partner_user(beta)}


@pytest.fixture
def signed_in(client, login_as, world):
    login_as.partner(world["alpha_user"])
    return client


# --- list, create, edit -------------------------------------------------------------------------------


def test_the_list_shows_only_the_partners_own_postbacks_and_searches_them(signed_in, make, world):
    mine = make.server_postback(world["alpha"], description="Main tracker")
    paused = make.server_postback(world["alpha"], url="https://other.example/x?t={transaction_id}",
                                  status="inactive")
    theirs = make.server_postback(world["beta"], url="https://beta-secret.example/pb")

    page = signed_in.get("/postbacks").data.decode()
    assert _ids(page) == [mine.id, paused.id]
    assert "beta-secret" not in page
    assert _ids(signed_in.get("/postbacks?q=main+TRACKER").data.decode()) == [mine.id]
    assert _ids(signed_in.get("/postbacks?q=other.example").data.decode()) == [paused.id]
    assert _ids(signed_in.get("/postbacks?status=inactive").data.decode()) == [paused.id]
    assert _ids(signed_in.get("/postbacks?q=beta-secret").data.decode()) == []
    assert theirs.id not in _ids(page)


def test_a_search_term_with_like_wildcards_matches_them_literally(signed_in, make, world):
    literal = make.server_postback(world["alpha"], description="100% of sales")
    make.server_postback(world["alpha"], description="100 sales")
    assert _ids(signed_in.get("/postbacks?q=100%25").data.decode()) == [literal.id]


def test_a_partner_creates_a_postback_and_the_partner_id_comes_from_the_session(signed_in, db, world):
    response = signed_in.post("/postbacks/new", data={**FORM, "partner_id": world["beta"].id,
                                                      "consecutive_failures": "7"})
    assert response.status_code == 302
    row = db.session.scalars(select(Postback)).one()
    assert response.headers["Location"] == f"/postbacks/{row.id}"
    assert (row.partner_id, row.offer_id, row.url, row.status, row.consecutive_failures, row.description) == (
        world["alpha"].id, None, FORM["url"], "active", 0, "Main tracker")


def test_a_postback_for_one_offer_and_a_named_event(signed_in, db, world):
    data = {**FORM, "offers": "one", "offer_id": str(world["public"].id), "postback_type": "event",
            "event_name": "signup", "delay_ms": "1500", "send_status_updates": "y"}
    assert signed_in.post("/postbacks/new", data=data).status_code == 302
    row = db.session.scalars(select(Postback)).one()
    assert (row.offer_id, row.postback_type, row.event_name, row.delay_ms, row.send_status_updates) == (
        world["public"].id, "event", "signup", 1500, True)


def test_an_html_postback_stores_its_code_and_shows_it_escaped(signed_in, db, world):
    code = '<img src="https://pixel.example/p?t={transaction_id}"><script>alert(1)</script>'
    data = {**FORM, "delivery_method": "html", "html_code": code}
    assert signed_in.post("/postbacks/new", data=data).status_code == 302
    row = db.session.scalars(select(Postback)).one()
    assert (row.html_code, row.url) == (code, None)  # the URL field of the other method is dropped
    page = signed_in.get(f"/postbacks/{row.id}").data.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)" not in signed_in.get("/postbacks").data.decode()


@pytest.mark.parametrize(("change", "field", "message"), [
    ({"url": "ftp://tracker.example/pb"}, "url", "must start with http:// or https://"),
    ({"url": "https:///pb?x={sub1}"}, "url", "must name a host"),
    ({"url": "https://tracker.example/pb?x={sub9}"}, "url", "unknown macro {sub9}"),
    ({"url": "https://tracker.example:8080/pb"}, "url", "the port must be 80 or 443"),
    ({"url": "https://{sub1}.example/pb"}, "url", "not in the host"),
    ({"url": ""}, "url", "required for a server postback"),
    ({"delivery_method": "html", "html_code": "   "}, "html_code", "required for delivery method html"),
    ({"delivery_method": "html", "html_code": "x" * (10 * 1024 + 1)}, "html_code", "at most 10 KB"),
    ({"offers": "one", "offer_id": ""}, "offer_id", "needs that offer"),
    ({"delay_ms": "3600001"}, "delay_ms", "Number must be between 0 and 3600000"),
    ({"description": "d" * 501}, "description", "Field cannot be longer than 500 characters"),
])
def test_bad_input_is_a_form_error_and_writes_nothing(signed_in, db, change, field, message):
    response = signed_in.post("/postbacks/new", data={**FORM, **change})
    assert response.status_code == 400
    page = response.data.decode()
    assert any(message in e for e in _errors(page)), _errors(page)
    assert f'data-error-for="{field}"' in page
    assert _count(db) == 0


@pytest.mark.parametrize("kind", ["private_without_traffic", "require_approval_without_traffic", "paused",
                                  "deleted", "unknown"])
def test_a_postback_needs_an_offer_the_partner_can_run(signed_in, db, make, world, kind):
    offer_id = 999_999
    if kind != "unknown":
        fields = {"private_without_traffic": {"visibility": "private"},
                  "require_approval_without_traffic": {"visibility": "require_approval"},
                  "paused": {"status": "paused"}, "deleted": {"status": "deleted"}}[kind]
        offer = make.offer(**fields)
        make.click(world["beta"], offer)  # someone else's traffic does not count
        offer_id = offer.id
    response = signed_in.post("/postbacks/new", data={**FORM, "offers": "one", "offer_id": str(offer_id)})
    assert response.status_code == 400
    assert any("not an offer you can run" in e for e in _errors(response.data.decode()))
    assert _count(db) == 0


def test_a_private_offer_staff_granted_is_runnable_and_listed(signed_in, db, make, world):
    private = make.offer(name="Private Deal", visibility="private")
    hidden = make.offer(name="Hidden Deal", visibility="private")
    make.click(world["alpha"], hidden)  # traffic alone grants nothing
    db.session.add(OfferAccess(partner_id=world["alpha"].id, offer_id=private.id, status="approved"))
    db.session.commit()
    form = signed_in.get("/postbacks/new").data.decode()
    assert "Private Deal" in form and "Acme Shoes" in form and "Hidden Deal" not in form
    response = signed_in.post("/postbacks/new", data={**FORM, "offers": "one", "offer_id": str(private.id)})
    assert response.status_code == 302
    assert db.session.scalars(select(Postback)).one().offer_id == private.id


def test_editing_replaces_the_fields_and_keeps_the_server_bookkeeping(signed_in, db, make, world):
    row = make.server_postback(world["alpha"], consecutive_failures=3, first_failure_at=AT)
    page = signed_in.get(f"/postbacks/{row.id}").data.decode()
    assert html.escape(row.url) in page
    data = {**FORM, "url": "https://new.example/pb?t={transaction_id}", "description": "new",
            "consecutive_failures": "0", "partner_id": str(world["beta"].id)}
    assert signed_in.post(f"/postbacks/{row.id}", data=data).status_code == 302
    db.session.expire_all()
    assert (row.url, row.description, row.partner_id, row.consecutive_failures) == (
        "https://new.example/pb?t={transaction_id}", "new", world["alpha"].id, 3)


def test_a_postback_turned_off_shows_why_and_turning_it_on_clears_the_streak(signed_in, db, make, world):
    reason = "Turned off after 10 failed deliveries in a row; last error: HTTP 500"
    row = make.server_postback(world["alpha"], status="inactive", consecutive_failures=10, first_failure_at=AT,
                               disabled_at=AT, disabled_reason=reason)
    page = signed_in.get(f"/postbacks/{row.id}").data.decode()
    assert 'id="postback-turned-off"' in page and html.escape(reason) in page
    assert "turned off" in signed_in.get("/postbacks").data.decode()

    assert signed_in.post(f"/postbacks/{row.id}", data={**FORM, "url": row.url}).status_code == 302
    db.session.expire_all()
    assert (row.status, row.consecutive_failures, row.first_failure_at, row.disabled_at, row.disabled_reason) == (
        "active", 0, None, None, None)
    assert 'id="postback-turned-off"' not in signed_in.get(f"/postbacks/{row.id}").data.decode()


def test_turning_a_postback_off_ends_its_waiting_deliveries(signed_in, db, make, world):
    row = make.server_postback(world["alpha"])
    waiting = make.delivery(row, status="pending", next_attempt_at=AT)
    assert signed_in.post(f"/postbacks/{row.id}", data={**FORM, "status": "inactive"}).status_code == 302
    db.session.expire_all()
    assert (waiting.status, waiting.last_error) == ("dead", "The postback was turned off")


def test_the_cap_on_postbacks_per_partner(signed_in, db, make, world, monkeypatch):
    monkeypatch.setattr("portal.affiliate.postbacks.MAX_POSTBACKS", 2)
    make.server_postback(world["alpha"])
    make.server_postback(world["beta"])  # another partner's do not count
    assert signed_in.post("/postbacks/new", data=FORM).status_code == 302
    response = signed_in.post("/postbacks/new", data=FORM)
    assert response.status_code == 400
    assert any("at most 2 per partner" in e for e in _errors(response.data.decode()))
    assert _count(db) == 3


# --- delete -------------------------------------------------------------------------------------------


def test_delete_asks_first_then_keeps_the_log_and_ends_waiting_deliveries(signed_in, db, make, world):
    row = make.server_postback(world["alpha"])
    done = make.delivery(row, status="delivered", attempts=1)
    make.attempt(done, AT, "delivered", status_code=200)
    waiting = make.delivery(row, status="pending", next_attempt_at=AT)

    confirm = signed_in.get(f"/postbacks/{row.id}/delete")
    assert confirm.status_code == 200 and b'id="confirm-delete"' in confirm.data
    assert _count(db) == 1 and db.session.get(Postback, row.id).status == "active"

    response = signed_in.post(f"/postbacks/{row.id}/delete")
    assert response.status_code == 302 and response.headers["Location"] == "/postbacks"
    db.session.expire_all()
    assert row.status == DELETED
    assert (waiting.status, waiting.last_error) == ("dead", "The postback was deleted")
    assert done.status == "delivered" and _count(db, PostbackAttempt) == 1  # the log stays
    assert _ids(signed_in.get("/postbacks").data.decode()) == []
    assert signed_in.get(f"/postbacks/{row.id}").status_code == 404
    assert signed_in.get(f"/postbacks/{row.id}/log").status_code == 404


# --- other partners' ids -----------------------------------------------------------------------------


def _foreign_routes(theirs, delivery):
    return [("GET", f"/postbacks/{theirs.id}"), ("POST", f"/postbacks/{theirs.id}"),
            ("GET", f"/postbacks/{theirs.id}/delete"), ("POST", f"/postbacks/{theirs.id}/delete"),
            ("GET", f"/postbacks/{theirs.id}/log"), ("GET", f"/postbacks/{theirs.id}/log?attempt=1"),
            ("POST", f"/postbacks/{theirs.id}/test"),
            ("POST", f"/postbacks/{theirs.id}/deliveries/{delivery.id}/retry")]


def test_another_partners_postback_and_deliveries_are_404_on_every_route(signed_in, db, make, world):
    secret = "https://beta-secret.example/pb?t={transaction_id}"
    theirs = make.server_postback(world["beta"], url=secret, description="beta notes")
    delivery = make.delivery(theirs, status="dead", attempts=1, last_error="beta-error")
    make.attempt(delivery, AT, "failed", status_code=500, response_excerpt="beta-response")
    mine = make.server_postback(world["alpha"])
    before = [(p.id, p.url, p.status, p.description) for p in db.session.scalars(select(Postback))]

    for method, path in _foreign_routes(theirs, delivery):
        response = signed_in.open(path, method=method, data={**FORM, "url": "https://hijack.example/"})
        body = response.data.decode()
        assert response.status_code == 404, (method, path)
        assert "beta-secret" not in body and "beta-response" not in body and "beta notes" not in body
    # Their delivery through my postback's URL: still not found.
    assert signed_in.post(f"/postbacks/{mine.id}/deliveries/{delivery.id}/retry").status_code == 404
    # A made-up id looks the same as theirs.
    assert signed_in.get("/postbacks/987654/log").status_code == 404
    db.session.expire_all()
    assert [(p.id, p.url, p.status, p.description) for p in db.session.scalars(select(Postback))] == before
    assert _count(db, PostbackAttempt) == 1


def test_an_attempt_id_of_another_partner_shows_no_panel(signed_in, make, world):
    theirs = make.server_postback(world["beta"])
    their_attempt = make.attempt(make.delivery(theirs, status="delivered"), AT, "delivered",
                                 url="https://beta-secret.example/", response_excerpt="beta-response")
    mine = make.server_postback(world["alpha"])
    page = signed_in.get(f"/postbacks/{mine.id}/log?attempt={their_attempt.id}").data.decode()
    assert 'id="attempt"' not in page and "beta-secret" not in page and "beta-response" not in page


def test_the_preview_uses_only_the_partners_own_conversions(signed_in, make, world):
    make.conversion(world["beta"], world["public"], at=AT + timedelta(hours=1), sub1="beta-secret",
                    transaction_id="beta-tid")
    answer = signed_in.post("/postbacks/preview", data={"url": "https://t.example/?s={sub1}&t={transaction_id}"}).json
    assert answer["source"] == "sample"
    assert answer["url"] == "https://t.example/?s=sample_sub1&t=test0000000000000000000000000000"

    mine = make.conversion(world["alpha"], world["public"], at=AT, sub1="spring day", transaction_id="tid-1",
                           payout_cents=1250)
    answer = signed_in.post("/postbacks/preview", data={
        "url": "https://t.example/?s={sub1}&t={transaction_id}&p={payout}&a={affiliate_id}"}).json
    assert answer == {"source": "conversion", "conversion_id": mine.conversion_id, "error": None,
                      "url": f"https://t.example/?s=spring%20day&t=tid-1&p=12.50&a={world['alpha'].id}"}
    bad = signed_in.post("/postbacks/preview", data={"url": "https://t.example/?s={nope}"}).json
    assert bad["url"] is None and "unknown macro {nope}" in bad["error"]


def test_the_form_draws_the_preview_with_a_real_conversion_on_load(signed_in, make, world):
    make.conversion(world["alpha"], world["public"], at=AT, sub1="autumn")
    row = make.server_postback(world["alpha"], url="https://t.example/pb?s={sub1}")
    page = signed_in.get(f"/postbacks/{row.id}").data.decode()
    assert re.search(r'id="postback-preview"[^>]*>https://t.example/pb\?s=autumn<', page)
    assert "{transaction_id}" in page and "the click&#39;s transaction id" in page  # the macro list
    assert 'src="/static/postbacks.js"' in page and "<script>" not in page  # CSP: no inline script


# --- self-service off ---------------------------------------------------------------------------------


def test_with_self_service_off_the_pages_are_read_only_and_writes_are_refused(signed_in, db, make, world):
    row = make.server_postback(world["alpha"])
    url = row.url
    failed = make.delivery(row, status="dead", attempts=1)
    make.attempt(failed, AT, "failed", status_code=500)
    _self_service(db, False)

    listing = signed_in.get("/postbacks").data.decode()
    assert 'id="postbacks-read-only"' in listing and 'id="new-postback"' not in listing
    edit = signed_in.get(f"/postbacks/{row.id}").data.decode()
    assert "<fieldset class=\"plain\" disabled>" in edit and 'id="save-postback"' not in edit
    assert 'id="send-test"' not in edit and 'id="delete-postback"' not in edit
    log = signed_in.get(f"/postbacks/{row.id}/log").data.decode()
    assert "data-retry" not in log and 'id="send-test"' not in log
    assert signed_in.get("/postbacks/new").status_code == 302

    for path in ("/postbacks/new", f"/postbacks/{row.id}", f"/postbacks/{row.id}/delete",
                 f"/postbacks/{row.id}/test", f"/postbacks/{row.id}/deliveries/{failed.id}/retry"):
        response = signed_in.post(path, data={**FORM, "url": "https://changed.example/"})
        assert response.status_code == 403, path
        assert b"turned off postback self-service" in response.data
    db.session.expire_all()
    assert (_count(db), row.url, row.status, _count(db, PostbackDelivery), _count(db, PostbackAttempt)) == (
        1, url, "active", 1, 1)


# --- the delivery log -----------------------------------------------------------------------------------


def test_the_log_shows_attempts_escaped_filters_failures_and_pages(signed_in, db, make, world):
    row = make.server_postback(world["alpha"])
    ok = make.delivery(row, status="delivered", attempts=1, created_at=AT)
    make.attempt(ok, AT, "delivered", status_code=200, latency_ms=42, url="https://tracker.example/pb?click=a")
    bad = make.delivery(row, status="dead", attempts=2, created_at=AT + timedelta(minutes=1))
    make.attempt(bad, AT, "failed", status_code=500, error_class="http", error="HTTP 500",
                 response_excerpt="<script>alert('x')</script>")
    make.attempt(bad, AT + timedelta(minutes=1), "failed", attempt_number=2, error_class="timeout",
                 error="timed out after 10 s")

    page = signed_in.get(f"/postbacks/{row.id}/log").data.decode()
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page
    assert "timed out after 10 s" in page and "42 ms" in page
    assert re.findall(r'<tbody data-delivery-id="(\d+)">', page) == [str(bad.id), str(ok.id)]
    assert f'data-retry="{bad.id}"' in page and f'data-retry="{ok.id}"' not in page

    failed = signed_in.get(f"/postbacks/{row.id}/log?failed=1").data.decode()
    assert re.findall(r'<tbody data-delivery-id="(\d+)">', failed) == [str(bad.id)]

    for n in range(25):
        make.delivery(row, status="delivered", created_at=AT + timedelta(hours=1, minutes=n))
    first = signed_in.get(f"/postbacks/{row.id}/log").data.decode()
    second = signed_in.get(f"/postbacks/{row.id}/log?page=2").data.decode()
    assert len(re.findall(r"<tbody data-delivery-id=", first)) == 20
    assert len(re.findall(r"<tbody data-delivery-id=", second)) == 7
    assert 'rel="next"' in first and "Page 2 of 2" in second


@pytest.fixture
def delivering(make_app):
    """A signed-in partner on an app that may deliver to a listener on 127.0.0.1 (any port)."""
    app = make_app(POSTBACK_ALLOW_PRIVATE_DESTINATIONS=True)
    with app.app_context():
        yield app


def test_send_test_fires_once_and_shows_the_attempt(delivering, db, make, world):
    client = delivering.test_client()
    client.post("/login", data={"email": world["alpha_user"].email, "password": "correct-horse-battery"})
    with Listener(body=b"<b>thanks</b>") as listener:
        row = make.server_postback(world["alpha"], url=listener.url + "/pb?t={transaction_id}&test={is_test}&s={sub1}")
        response = client.post(f"/postbacks/{row.id}/test")
        assert response.status_code == 302
        page = client.get(response.headers["Location"]).data.decode()
    assert len(listener.requests) == 1
    query = parse_qs(urlsplit(listener.requests[0]).query)
    assert query == {"t": ["test0000000000000000000000000000"], "test": ["1"], "s": ["sample_sub1"]}
    assert 'id="attempt"' in page and "Test sent: delivered" in page
    assert re.search(r'data-field="status_code">200<', page)
    assert "&lt;b&gt;thanks&lt;/b&gt;" in page and "<b>thanks</b>" not in page
    delivery = db.session.scalars(select(PostbackDelivery)).one()
    assert (delivery.kind, delivery.is_test, delivery.status) == ("test", True, "delivered")


def test_retry_now_sends_a_dead_delivery_again(delivering, db, make, world):
    client = delivering.test_client()
    client.post("/login", data={"email": world["alpha_user"].email, "password": "correct-horse-battery"})
    with Listener(status=204, body=b"") as listener:
        row = make.server_postback(world["alpha"], url=listener.url + "/pb?t={transaction_id}")
        dead = make.delivery(row, status="dead", attempts=1, macro_values='{"transaction_id": "abc"}')
        make.attempt(dead, AT, "failed", status_code=500)
        delivered = make.delivery(row, status="delivered", attempts=1)
        response = client.post(f"/postbacks/{row.id}/deliveries/{dead.id}/retry")
        assert response.status_code == 302
        assert "attempt=" in response.headers["Location"]
        refused = client.post(f"/postbacks/{row.id}/deliveries/{delivered.id}/retry")
    assert listener.requests == ["/pb?t=abc"]
    assert refused.status_code == 400 and b"only a failed delivery can be retried" in refused.data
    db.session.expire_all()
    assert dead.status == "delivered"
    manual = db.session.scalars(select(PostbackAttempt).where(PostbackAttempt.delivery_id == dead.id)
                                .order_by(PostbackAttempt.id)).all()[-1]
    assert (manual.manual, manual.status_code) == (True, 204)


def test_send_test_is_capped_per_partner(delivering, db, make, world):
    client = delivering.test_client()
    client.post("/login", data={"email": world["alpha_user"].email, "password": "correct-horse-battery"})
    with Listener() as listener:
        row = make.server_postback(world["alpha"], url=listener.url + "/pb")
        for _ in range(MANUAL_SENDS_PER_MINUTE):
            assert client.post(f"/postbacks/{row.id}/test").status_code == 302
        capped = client.post(f"/postbacks/{row.id}/test")
    assert capped.status_code == 429 and int(capped.headers["Retry-After"]) >= 1
    assert b"Too many test sends" in capped.data
    assert len(listener.requests) == MANUAL_SENDS_PER_MINUTE
    assert _count(db, PostbackDelivery) == MANUAL_SENDS_PER_MINUTE


def test_an_html_postback_cannot_be_sent_from_the_server(signed_in, db, make, world):
    row = make.server_postback(world["alpha"], delivery_method="html", url=None, html_code="<img src=x>")
    response = signed_in.post(f"/postbacks/{row.id}/test")
    assert response.status_code == 400 and b"only server postbacks can be tested" in response.data
    assert _count(db, PostbackDelivery) == 0


def test_bracketed_hosts_that_do_not_parse_are_form_errors_not_crashes(signed_in, db):
    for url in ("http://[x/y", "http://[zz]/a"):
        preview = signed_in.post("/postbacks/preview", data={"url": url})
        assert preview.status_code < 500
        page = signed_in.post("/postbacks/new", data=dict(FORM, url=url))
        assert page.status_code == 400
        assert any("not a valid URL" in e for e in _errors(page.get_data(as_text=True)))
    assert _count(db) == 0


def test_an_attempt_id_that_is_not_a_plain_number_shows_no_panel(signed_in, make, world):
    postback = make.server_postback(world["alpha"])
    for attempt in ("%C2%B2", "99999999999999999999", "-1", "0"):
        assert signed_in.get(f"/postbacks/{postback.id}/log?attempt={attempt}").status_code == 200


# --- audit --------------------------------------------------------------------------------------------


def _audit(db, action: str) -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def test_create_edit_and_delete_are_audited_with_the_user_and_where_the_postback_sends(signed_in, db, world):
    user = world["alpha_user"]
    token_url = "https://tracker.example/pb?token=PARTNER-SECRET&click={transaction_id}"
    assert signed_in.post("/postbacks/new", data={**FORM, "url": token_url}).status_code == 302
    row = db.session.scalars(select(Postback)).one()
    (created,) = _audit(db, "postback.created")
    assert (created.actor_type, created.actor_id, created.actor_label, created.target_type, created.target_id) == (
        "partner", user.id, user.email, "Postback", str(row.id))
    assert created.ip == "127.0.0.1"
    assert created.detail == {"partner_id": world["alpha"].id, "offer_id": None, "delivery_method": "postback",
                              "status": "active", "destination": "tracker.example"}

    moved = {**FORM, "url": "https://elsewhere.example/pb?click={transaction_id}", "status": "inactive"}
    assert signed_in.post(f"/postbacks/{row.id}", data=moved).status_code == 302
    (updated,) = _audit(db, "postback.updated")
    assert updated.detail == {"partner_id": world["alpha"].id, "changed": ["status", "url"],
                              "status": {"from": "active", "to": "inactive"},
                              "destination": {"from": "tracker.example", "to": "elsewhere.example"}}
    assert signed_in.post(f"/postbacks/{row.id}", data=moved).status_code == 302
    assert len(_audit(db, "postback.updated")) == 1  # saving without a change records nothing

    assert signed_in.post(f"/postbacks/{row.id}/delete").status_code == 302
    (deleted,) = _audit(db, "postback.deleted")
    assert (deleted.actor_id, deleted.detail) == (user.id, {"partner_id": world["alpha"].id,
                                                            "destination": "elsewhere.example"})
    # The URL's tokens stay with the postback; the audit log keeps only the host.
    assert not any("PARTNER-SECRET" in repr(event.detail) for event in db.session.scalars(select(AuditEvent)))


def test_a_refused_change_writes_no_audit_event(signed_in, db, world):
    response = signed_in.post("/postbacks/new", data={**FORM, "url": "ftp://tracker.example/pb"})
    assert response.status_code == 400
    assert _count(db) == 0 and _audit(db, "postback.created") == []
