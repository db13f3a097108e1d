"""Where a postback sends, judged at save by the sender's own address policy, and what a failed Send test
says: a host every send would refuse is refused with the reason (page and API); a name whose lookup says
it cannot work today is saved with a prominent warning (page); a URL is one line; and a test send that fails
against a real closed port, a name that cannot exist or a server answering 500 reads as plain words."""

from __future__ import annotations

import html
import json
import re
import socket

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from portal.delivery import destinations
from portal.models import Postback
from tests.delivery.conftest import fake_dns
from tests.factories import Listener

FORM = {"delivery_method": "postback", "offers": "all", "offer_id": "", "postback_type": "conversion",
        "event_name": "", "url": "https://tracker.example/pb?click={transaction_id}", "html_code": "",
        "status": "active", "delay_ms": "0", "description": ""}
PUBLIC_ONLY = "postbacks are sent to public internet addresses only"
REFUSED_URLS = [
    "http://127.0.0.1/pb?t={transaction_id}", "http://10.0.0.7/pb", "https://192.168.1.20/pb",
    "http://169.254.169.254/latest/meta-data", "http://[::1]/pb", "http://[::ffff:10.0.0.1]/pb",
    "http://100.64.0.1/pb", "http://localhost/pb", "https://tracker.internal/pb", "http://printer.local/pb",
]


def _count(db) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Postback))


def _url_errors(page: str) -> list[str]:
    return [html.unescape(e) for e in re.findall(r'data-error-for="url">([^<]*)<', page)]


def _warning(page: str) -> str | None:
    found = re.search(r'id="postback-destination-warning"[^>]*>(.*?)</p>', page, re.S)
    return html.unescape(re.sub(r"<[^>]+>|\s+", " ", found.group(1))).strip() if found else None


@pytest.fixture
def app(unbudgeted_app):
    return unbudgeted_app  # the API fuzzing below makes more calls than the shared budget allows


@pytest.fixture
def alpha(make):
    return make.partner(name="Alpha Media")


@pytest.fixture
def signed_in(client, login_as, make, alpha):
    login_as.partner(make.partner_user(alpha))
    return client


# --- refused at save: nothing could ever be sent there ------------------------------------------------


@pytest.mark.parametrize("url", REFUSED_URLS)
def test_a_host_every_send_would_refuse_is_refused_at_save(signed_in, db, url):
    response = signed_in.post("/postbacks/new", data={**FORM, "url": url})
    assert response.status_code == 400
    [error] = _url_errors(response.data.decode())
    assert PUBLIC_ONLY in error
    assert _count(db) == 0


def test_editing_to_a_refused_host_changes_nothing(signed_in, db, make, alpha):
    row = make.server_postback(alpha, url="https://tracker.example/pb")
    response = signed_in.post(f"/postbacks/{row.id}", data={**FORM, "url": "http://10.1.2.3/pb"})
    assert response.status_code == 400 and "10.1.2.3" in _url_errors(response.data.decode())[0]
    db.session.expire_all()
    assert db.session.get(Postback, row.id).url == "https://tracker.example/pb"


def test_another_partners_postback_cannot_be_probed_or_changed(signed_in, db, make):
    theirs = make.server_postback(make.partner(name="Beta Deals"), url="https://beta.example/pb")
    for url in ("http://10.0.0.7/pb", "https://tracker.example.invalid/pb"):
        assert signed_in.post(f"/postbacks/{theirs.id}", data={**FORM, "url": url}).status_code == 404
    page = signed_in.get(f"/postbacks/{theirs.id}")
    assert page.status_code == 404 and b"beta.example" not in page.data
    db.session.expire_all()
    assert db.session.get(Postback, theirs.id).url == "https://beta.example/pb"


def test_with_private_destinations_allowed_nothing_is_refused(make_app, db, make, alpha):
    app = make_app(POSTBACK_ALLOW_PRIVATE_DESTINATIONS=True)
    with app.app_context():
        client = app.test_client()
        user = make.partner_user(alpha)
        client.post("/login", data={"email": user.email, "password": "correct-horse-battery"})
        response = client.post("/postbacks/new", data={**FORM, "url": "http://127.0.0.1:8080/pb"})
        assert response.status_code == 302
        assert _warning(client.get(response.headers["Location"]).data.decode()) is None


# --- saved with a warning: a name whose lookup says it cannot work today --------------------------------


def test_a_name_that_resolves_to_a_private_address_is_saved_with_a_warning_shown_once(signed_in, db,
                                                                                      monkeypatch):
    fake_dns(monkeypatch, {"tracker.partner.example": [["10.0.0.7"]]})
    response = signed_in.post("/postbacks/new", data={**FORM, "url": "https://tracker.partner.example/pb"})
    assert response.status_code == 302 and _count(db) == 1
    page = signed_in.get(response.headers["Location"]).data.decode()
    warning = _warning(page)
    assert warning.startswith("Saved, but check the URL:")
    assert "tracker.partner.example resolves to a refused address" in warning and "10.0.0.7" in warning
    assert PUBLIC_ONLY in warning
    assert _warning(signed_in.get(response.headers["Location"]).data.decode()) is None  # said once


def test_a_name_that_does_not_resolve_is_saved_with_a_warning(signed_in, db, make, alpha):
    row = make.server_postback(alpha, url="https://tracker.example/pb")
    response = signed_in.post(f"/postbacks/{row.id}", data={**FORM, "url": "https://tracker.example.invalid/pb"})
    assert response.status_code == 302
    warning = _warning(signed_in.get(f"/postbacks/{row.id}").data.decode())
    assert "Could not resolve host tracker.example.invalid" in warning
    db.session.expire_all()
    assert db.session.get(Postback, row.id).url == "https://tracker.example.invalid/pb"


def test_a_name_that_resolves_to_a_public_address_gets_no_warning(signed_in, monkeypatch):
    fake_dns(monkeypatch, {"tracker.partner.example": [["93.184.215.14"]]})
    response = signed_in.post("/postbacks/new", data={**FORM, "url": "https://tracker.partner.example/pb"})
    assert response.status_code == 302
    assert _warning(signed_in.get(response.headers["Location"]).data.decode()) is None


# --- one line -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["https://tracker.example/pb?a=1\n&b=2", "https://tracker.example/\r\npb"])
def test_a_line_break_inside_the_url_is_refused_clearly(signed_in, db, url):
    response = signed_in.post("/postbacks/new", data={**FORM, "url": url})
    assert response.status_code == 400
    assert "must be one line: remove the line breaks" in _url_errors(response.data.decode())[0]
    assert _count(db) == 0


def test_line_breaks_around_the_url_are_stripped(signed_in, db):
    response = signed_in.post("/postbacks/new", data={**FORM, "url": "\r\n https://tracker.example/pb?t=1\r\n"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.scalars(select(Postback.url)).one() == "https://tracker.example/pb?t=1"


def test_the_url_box_is_a_text_area(signed_in):
    page = signed_in.get("/postbacks/new").data.decode()
    assert re.search(r'<textarea[^>]*name="url"', page) and not re.search(r'<input[^>]*name="url"', page)


# --- the Affiliate API: the same refusal (Everflow answers a bad postback_url with a 400), no warning -----


@pytest.fixture
def call(client, issue, alpha):
    key = issue(alpha)

    def send(method: str, path: str, body):
        return client.open(path, method=method, json=body, headers={"X-Eflow-API-Key": key})
    return send


PIXEL = {"delivery_method": "postback", "pixel_level": "global", "pixel_status": "active",
         "pixel_type": "conversion", "postback_url": "https://tracker.example/pb?t={transaction_id}"}


@pytest.mark.parametrize("url", ["http://169.254.169.254/latest", "http://localhost/pb", "http://[fd00:ec2::254]/"])
def test_the_api_refuses_the_same_hosts_on_create_and_update(call, db, url):
    refused = call("POST", "/v1/affiliates/pixels", {**PIXEL, "postback_url": url})
    assert refused.status_code == 400 and refused.json["error"].startswith("postback_url: ")
    assert PUBLIC_ONLY in refused.json["error"]
    created = call("POST", "/v1/affiliates/pixels", PIXEL)
    assert created.status_code == 201
    pixel_id = created.json["network_pixel_id"]
    update = call("PUT", f"/v1/affiliates/pixels/{pixel_id}", {**PIXEL, "postback_url": url})
    assert update.status_code == 400 and PUBLIC_ONLY in update.json["error"]
    db.session.expire_all()
    assert db.session.get(Postback, pixel_id).url == PIXEL["postback_url"]


def test_the_api_saves_a_name_that_does_not_resolve_as_everflow_does(call):
    created = call("POST", "/v1/affiliates/pixels", {**PIXEL, "postback_url": "https://tracker.example.invalid/pb"})
    assert created.status_code == 201 and set(created.json) >= {"network_pixel_id", "postback_url"}


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(url=st.one_of(st.text(max_size=60), st.just("http://\ud800.example/"), st.just("https://x.example/\ud800"),
                     st.builds(lambda n: f"http://{n}/pb", st.integers(min_value=2**32, max_value=2**80))),
       number=st.one_of(st.integers(min_value=2**63, max_value=2**70), st.integers(max_value=-1)))
def test_the_api_answers_any_url_and_huge_numbers_with_a_4xx_never_a_5xx(call, url, number):
    body = json.loads(json.dumps({**PIXEL, "postback_url": url, "delay_ms": number}))
    response = call("POST", "/v1/affiliates/pixels", body)
    assert response.status_code == 400, response.json
    response = call("POST", "/v1/affiliates/pixels", {**PIXEL, "postback_url": url})
    assert response.status_code in (201, 400), response.json


@given(url=st.text(max_size=80))
def test_the_save_time_check_never_raises(url):
    destinations.refusal(url, allow_private=False)
    destinations.refusal(url, allow_private=True)


# --- Send test: plain words for real failures -----------------------------------------------------------


@pytest.fixture
def delivering(make_app, make, alpha):
    app = make_app(POSTBACK_ALLOW_PRIVATE_DESTINATIONS=True, POSTBACK_CONNECT_TIMEOUT=1, POSTBACK_TOTAL_TIMEOUT=2)
    with app.app_context():
        client = app.test_client()
        user = make.partner_user(alpha)
        client.post("/login", data={"email": user.email, "password": "correct-horse-battery"})
        yield client


def _send_test(client, row) -> str:
    response = client.post(f"/postbacks/{row.id}/test")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).data.decode()
    panel = re.search(r'<section class="card notice" id="attempt".*?</section>', page, re.S).group(0)
    assert "Errno" not in panel and "errno" not in panel and "urllib3" not in panel
    return html.unescape(re.search(r'<dd data-field="error">(.*?)</dd>', panel, re.S).group(1))


def test_send_test_to_a_closed_port_says_connection_refused(delivering, make, alpha):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    row = make.server_postback(alpha, url=f"http://127.0.0.1:{port}/pb?t={{transaction_id}}")
    assert _send_test(delivering, row).endswith(f"Connection refused by 127.0.0.1:{port}")


def test_send_test_to_a_name_that_cannot_exist_says_so(delivering, make, alpha):
    row = make.server_postback(alpha, url="http://tracker.example.invalid/pb")
    assert _send_test(delivering, row).endswith("Could not resolve host tracker.example.invalid")


def test_send_test_to_a_server_answering_500_says_so(delivering, make, alpha):
    with Listener(status=500, body=b"down") as listener:
        row = make.server_postback(alpha, url=listener.url + "/pb")
        assert _send_test(delivering, row).endswith("The destination answered HTTP 500")


def test_send_test_to_a_server_that_never_answers_says_timed_out(delivering, make, alpha):
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        row = make.server_postback(alpha, url=f"http://127.0.0.1:{silent.getsockname()[1]}/pb")
        assert _send_test(delivering, row).endswith("Timed out after 2 s")


def test_the_sender_module_is_what_the_save_check_consults(monkeypatch):
    # One policy: a resolver answer the sender would refuse is what the save-time warning reports.
    fake_dns(monkeypatch, {"tracker.partner.example": [["127.0.0.1"]]})
    assert "127.0.0.0/8" in destinations.warning("https://tracker.partner.example/pb", allow_private=False)
