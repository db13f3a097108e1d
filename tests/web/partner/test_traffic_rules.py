"""The partner's Traffic rules page: the rules that apply to it (for everyone, or naming it), with the
offers it may see; never another partner's rule, a rule on offers it cannot see, an inactive one or one that has ended."""

from __future__ import annotations

import pytest

from tests.traffic_world import build_traffic_world


@pytest.fixture
def world(db, make):
    return build_traffic_world(db, make)


def test_the_page_lists_the_rules_that_apply_and_is_in_the_navigation(client, make, login_as, world):
    login_as.partner(make.partner_user(world.alpha))
    response = client.get("/traffic-rules")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'href="/traffic-rules"' in page and "Traffic rules" in page
    for shown in ("Network-wide junk", "junk", "Alpha&#39;s bad source", "popunder", "Acme Shoes", "US and CA only",
                  "Allow list", "Block list", "Contains"):
        assert shown in page, shown
    for hidden in ("Beta&#39;s bad source", "beta-secret-value", "Secret Tea", "tea-secret", "Retired rule", "Ended rule"):
        assert hidden not in page, hidden


def test_beta_sees_its_own_rule_and_the_private_offer_it_was_granted(client, make, login_as, world):
    login_as.partner(make.partner_user(world.beta))
    page = client.get("/traffic-rules").get_data(as_text=True)
    assert "beta-secret-value" in page and "Secret Tea" in page and "tea-secret" in page
    assert "popunder" not in page


def test_every_role_may_read_the_rules(client, make, login_as, world):
    login_as.partner(make.partner_user(world.alpha, role="reports"))
    assert client.get("/traffic-rules").status_code == 200


def test_signed_out_visitors_are_sent_to_sign_in(client, world):
    response = client.get("/traffic-rules")
    assert response.status_code in (302, 401) and "login" in response.headers.get("Location", "/login")
