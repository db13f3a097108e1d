"""The public docs: the guide at /docs, its examples kept true by the running API, the API reference page."""

from __future__ import annotations

import hashlib
import os
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from portal.delivery.macros import MACROS
from portal.http import contract as errors
from portal.models import Partner
from portal.services.keys import issue_key
from portal.web.docs import examples
from tests.conftest import Auth

REQUIRED_ANCHORS = (
    "where-your-key-lives", "authentication", "curl", "python", "javascript", "what-you-can-do", "account",
    "reporting", "postbacks", "paging", "timezones-and-dates", "postback-macros", "errors", "rate-limits",
    "troubleshooting", "no-api-tab", "lost-key", "exposed-key", "rate-limited", "security", "ip-allowlist",
    "one-key-per-integration", "rotate", "reference",
)
UPDATE = os.environ.get("UPDATE_DOCS_EXAMPLES") == "1"


@pytest.fixture
def page_html(client):
    response = client.get("/docs")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_guide_is_public_and_has_every_section_with_a_stable_anchor(page_html):
    ids = set(re.findall(r'\bid="([^"]+)"', page_html))
    assert set(REQUIRED_ANCHORS) <= ids
    toc = page_html[page_html.index('class="docs-toc'):page_html.index("</nav>", page_html.index("docs-toc"))]
    targets = re.findall(r'href="#([^"]+)"', toc)
    assert len(targets) >= 12 and set(targets) <= ids, "every contents entry points at a section"


def test_the_guide_names_the_network_and_shows_its_logo(make_app):
    app = make_app()
    with app.app_context():
        from portal.extensions import db
        from portal.models import NetworkSettings

        db.session.execute(update(NetworkSettings).values(network_name="Acme Affiliates",
                                                          logo_url="https://cdn.acme.example/logo.png"))
        db.session.commit()
        response = app.test_client().get("/docs")
    html = response.get_data(as_text=True)
    assert "Using your API key with Acme Affiliates" in html
    assert '<img src="https://cdn.acme.example/logo.png"' in html
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "img-src 'self' data: https://cdn.acme.example;" in csp
    assert "script-src 'self';" in csp


def test_code_examples_carry_the_configured_public_url(make_app):
    app = make_app(PUBLIC_BASE_URL="https://partners.acme.example")
    with app.app_context():
        html = app.test_client().get("/docs").get_data(as_text=True)
    assert 'curl -H "X-Eflow-API-Key: $API_KEY" "https://partners.acme.example/v1/affiliates/affiliate"' in html
    assert 'BASE_URL = "https://partners.acme.example"' in html  # Python and JavaScript alike
    assert html.count("https://partners.acme.example") >= 5


def test_without_a_public_url_the_examples_use_the_requests_host(client):
    html = client.get("/docs", base_url="https://portal.network.test").get_data(as_text=True)
    assert 'BASE_URL = "https://portal.network.test"' in html


def test_the_guide_lists_every_macro_error_and_the_rate_limit(make_app):
    app = make_app(API_RATE_PER_SECOND=7, API_RATE_BURST=28)
    with app.app_context():
        html = app.test_client().get("/docs").get_data(as_text=True)
    for name in MACROS:
        assert f'id="macro-{name}"' in html and "{" + name + "}" in html
    for message in (errors.NO_KEY, errors.INVALID_KEY, errors.IP_NOT_ALLOWED, errors.RATE_LIMITED):
        assert message in html
    assert re.search(r"7 requests a second,\s+with bursts of up to 28", html)
    assert "Retry-After" in html and "time.sleep" in html


def test_there_is_no_inline_script(page_html):
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page_html)
    assert not re.search(r"<[a-z]+[^>]*\son[a-z]+=", page_html)  # no onclick= and the like


# --- the examples: recorded from the running API ------------------------------------------------------


def _fake_id(kind: str, n: int) -> str:
    return hashlib.sha256(f"{kind}-{n}".encode()).hexdigest()[:32]


@pytest.fixture
def demo(make_app, make, db):
    """A partner with a week of traffic on two offers, fixed in time, and its account manager and key."""
    app = make_app(API_RATE_PER_SECOND=1000, API_RATE_BURST=1000)
    with app.app_context():
        manager = make.staff(name="Alex Morgan", email="alex.morgan@network.example")
        partner = make.partner(name="Northwind Media", timezone="UTC", currency="USD")
        db.session.execute(update(Partner).where(Partner.id == partner.id).values(account_manager_id=manager.id))
        db.session.commit()
        offers = [make.offer(name="Acme Shoes"), make.offer(name="Zen Tea")]
        start = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
        conversions = []
        for day in range(7):
            for n, offer in enumerate(offers):
                at = start + timedelta(days=day, hours=n * 3)
                for k in range(3 + day % 2):
                    make.click(offer=offer, partner=partner, at=at + timedelta(minutes=k), sub1="spring_email",
                               is_unique=k != 2)
                if (day + n) % 2 == 0:
                    conversions.append(make.conversion(
                        partner, offer, at=at + timedelta(minutes=30), payout_cents=1250 if n == 0 else 480,
                        sale_amount_cents=8999 if n == 0 else 2400, sub1="spring_email", country="US",
                        device="mobile", transaction_id=_fake_id("click", len(conversions)),
                        status="pending" if day == 6 else "approved"))
        key = issue_key(partner, "Docs examples", acknowledged_risk=True).secret
        replacements = {
            "network_affiliate_id": {partner.id: 1042},
            "network_offer_id": {offers[0].id: 12, offers[1].id: 15},
            "conversion_id": {c.conversion_id: _fake_id("conversion", i) for i, c in enumerate(conversions)},
            "network_pixel_id": 7, "time_created": 1796392800, "time_saved": 1796392800,
        }
        yield app, key, replacements


def test_every_example_is_recorded_from_the_running_api(demo):
    """The stored responses are what the API answers now (ids and creation times normalised).

    After a deliberate change: UPDATE_DOCS_EXAMPLES=1 pytest tests/web/docs/test_docs.py -k recorded"""
    app, key, replacements = demo
    client = app.test_client()
    stale = []
    for example in examples.EXAMPLES:
        response = client.open(example.path, method=example.method, json=example.body,
                               headers={"X-Eflow-API-Key": key})
        assert response.status_code < 300, (example.name, response.json)
        recorded = examples.record(example, response.status_code, examples.normalise(response.json, replacements))
        if UPDATE:
            examples.write(example, recorded)
        elif not examples.path_of(example).exists() or examples.stored(example) != recorded:
            stale.append(example.name)
    assert not stale, (f"docs examples differ from the API's answers: {stale}; if the change is deliberate, "
                       "rerun with UPDATE_DOCS_EXAMPLES=1")


def test_the_guide_shows_every_recorded_example(page_html):
    for example in examples.EXAMPLES:
        assert f'id="example-{example.name}"' in page_html
        assert example.path.replace("&", "&amp;") in page_html
    assert "Acme Shoes" in page_html and "&#34;on_hold_conversion_count&#34;" in page_html


# --- the API reference -------------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "document", "name"), [
    ("/docs/api", "/v1/affiliates/openapi.json", "Affiliate API"),
    ("/docs/network-api", "/api/v2/openapi.json", "Network API"),
])
def test_the_api_reference_pages_load_swagger_ui_from_this_server(client, path, document, name):
    response = client.get(path)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'data-openapi-url="{document}"' in html and f"{name} reference" in html
    scripts = re.findall(r"<script([^>]*)>", html)
    assert scripts and all('src="/' in s for s in scripts), "only scripts from this server, none inline"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize(("name", "kind"), [("swagger-ui-bundle.js", "javascript"), ("swagger-ui.css", "text/css")])
def test_swagger_ui_files_come_from_the_installed_package(client, name, kind):
    with client.get(f"/docs/api/assets/{name}") as response:
        assert response.status_code == 200 and kind in response.content_type
        assert len(response.data) > 10_000


@pytest.mark.parametrize("name", ["index.html", "../../__init__.py", "swagger-initializer.js", "LICENSE"])
def test_nothing_else_of_the_package_is_served(client, name):
    assert client.get(f"/docs/api/assets/{name}").status_code == 404


# --- links to the guide ------------------------------------------------------------------------------


def test_the_staff_partner_page_offers_the_docs_link_to_copy(make_app, make):
    app = make_app(PUBLIC_BASE_URL="https://partners.acme.example")
    with app.app_context():
        partner = make.partner()
        client = app.test_client()
        Auth(client).staff(make.staff())
        html = client.get(f"/staff/partners/{partner.id}").get_data(as_text=True)
    assert 'value="https://partners.acme.example/docs"' in html
    assert re.search(r'<button[^>]*data-copy-from="#docs-link"[^>]*>Copy docs link</button>', html)


def test_the_partners_api_tab_links_to_the_guide(client, make, login_as):
    partner = make.partner()
    issue_key(partner, "Reporting", acknowledged_risk=True)
    login_as.partner(make.partner_user(partner))
    html = client.get("/account/api").get_data(as_text=True)
    assert 'href="/docs"' in html


@pytest.mark.browser
@pytest.mark.parametrize(("path", "name", "operations"), [("/docs/api", "Affiliate API", 13),
                                                          ("/docs/network-api", "Network API", 14)])
def test_the_reference_renders_in_a_real_browser_within_the_csp(page, live_server, path, name, operations):
    violations = []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text else None)
    page.goto(f"{live_server.url}{path}")
    page.wait_for_selector(".opblock-summary-path", timeout=20_000)
    assert page.locator(".opblock").count() >= operations
    assert name in page.locator(".info .title").inner_text()
    assert violations == []
