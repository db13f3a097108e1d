"""One network, one name, one icon: the name staff set under Settings is the one the app header, every page
title, the docs and the API description show; every page links the favicon and /favicon.ico answers; the
partner guide never points partners at the network-only Network API."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import update

from portal.models import NetworkSettings

ICON_LINK = re.compile(r'<link rel="icon" href="/static/favicon\.svg" type="image/svg\+xml">')


def _name(db, name: str) -> None:
    db.session.execute(update(NetworkSettings).values(network_name=name))
    db.session.commit()


def _title(page: str) -> str:
    return re.search(r"<title>(.*?)</title>", page, re.S).group(1).strip()


def test_the_header_the_titles_the_docs_and_the_api_description_carry_the_same_name(client, db, make, login_as):
    _name(db, "Acme Affiliates")
    login_as.partner(make.partner_user(make.partner()))
    dashboard = client.get("/").get_data(as_text=True)
    assert re.search(r'<a class="brand" href="/">Acme Affiliates</a>', dashboard)
    assert _title(dashboard).endswith("· Acme Affiliates")
    assert _title(client.get("/postbacks").get_data(as_text=True)).endswith("· Acme Affiliates")
    guide = client.get("/docs").get_data(as_text=True)
    assert re.search(r'class="brand docs-brand".*?<span>Acme Affiliates</span>', guide, re.S)
    assert _title(guide).endswith("· Acme Affiliates")
    assert client.get("/v1/affiliates/openapi.json").json["info"]["title"] == "Acme Affiliates Affiliate API"
    assert "Partner Portal" not in dashboard + guide


def test_renaming_the_network_in_settings_renames_it_everywhere(client, db, make, login_as):
    login_as.staff(make.staff())
    settings = {"network_name": "Northwind Partners", "logo_url": "", "support_email": "", "timezone": "UTC",
                "currency": "USD", "partner_postbacks_enabled": "y", "network_api_offer_id": "0"}
    assert client.post("/staff/settings", data=settings).status_code == 302
    assert _title(client.get("/staff/settings").get_data(as_text=True)).endswith("· Northwind Partners")
    assert "<span>Northwind Partners</span>" in client.get("/docs").get_data(as_text=True)
    assert _title(client.get("/login").get_data(as_text=True)).endswith("· Northwind Partners")


def test_a_page_still_renders_when_the_settings_cannot_be_read(app_without_database):
    response = app_without_database.test_client().get("/login")
    assert response.status_code == 200
    assert _title(response.get_data(as_text=True)).endswith("· Partner Portal")


@pytest.mark.parametrize("path", ["/docs", "/docs/api"])
def test_the_partner_guide_does_not_link_the_network_api(client, path):
    page = client.get(path).get_data(as_text=True)
    links = re.findall(r'href="([^"]*)"', page)
    assert links, "the page has links"
    assert not [link for link in links if "network-api" in link or "/api/v2" in link]
    assert "Network API reference" not in page


def test_staff_still_find_the_network_api_reference(client, make, login_as):
    login_as.staff(make.staff())
    assert 'href="/docs/network-api"' in client.get("/staff/settings/integrations").get_data(as_text=True)


def test_every_kind_of_page_links_the_favicon(client, make, login_as):
    public = ["/login", "/staff/login", "/docs", "/docs/api", "/docs/network-api"]
    for path in public:
        assert ICON_LINK.search(client.get(path).get_data(as_text=True)), path
    login_as.partner(make.partner_user(make.partner()))
    for path in ["/", "/postbacks", "/postbacks/new", "/reports", "/no-such-page"]:
        assert ICON_LINK.search(client.get(path).get_data(as_text=True)), path
    client.post("/logout")
    login_as.staff(make.staff())
    for path in ["/staff/", "/staff/partners", "/staff/settings"]:
        response = client.get(path, follow_redirects=True)
        assert ICON_LINK.search(response.get_data(as_text=True)), path


def test_the_icons_are_served_without_sign_in(client):
    with client.get("/static/favicon.svg") as svg:
        assert svg.status_code == 200 and svg.mimetype == "image/svg+xml" and b"<svg" in svg.data
    with client.get("/favicon.ico") as ico:
        assert ico.status_code == 200 and ico.mimetype == "image/vnd.microsoft.icon"
        assert ico.data[:4] == b"\x00\x00\x01\x00" and b"PNG" in ico.data[:64]  # an icon directory with a PNG
    assert client.post("/favicon.ico").status_code == 405
