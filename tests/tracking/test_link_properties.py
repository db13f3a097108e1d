"""Properties of the tracking links: no sub id moves a redirect off the offer's host, no input makes a 5xx,
every key a partner ever had credits that partner, and another partner's private offer is an invalid click."""

from __future__ import annotations

from urllib.parse import parse_qs, quote, unquote, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from portal.domain.tracking_links import SUB_PARAMETERS, click_url, partner_key_url
from portal.models import Click, OfferAccess
from tests.api.network.conftest import PARTNERSHIPS, Pair, envelope_of
from tests.hostile import HOSTILE_TEXT

LANDING = ("https://advertiser.example:8443/land/{sub1}?t={transaction_id}&a={affiliate_id}&s2={sub2}"
           "&s3={sub3}&s4={sub4}&s5={sub5}&src={source_id}&c={creative_id}#{sub1}")
# What a query string can carry; lone surrogates go as their raw UTF-8 bytes (%ED%A0%80), as clients send them.
wire_text = st.one_of(st.text(max_size=40), st.sampled_from(HOSTILE_TEXT),
                      st.sampled_from(["//evil.example", "@evil.example", "http://evil.example/", "\\\\evil",
                                       "%2F%2Fevil.example", "?#@:", "{sub1}", "\r\nLocation: http://evil/"]))


def encode(text: str) -> str:
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


@pytest.fixture
def make_click_world(make):
    """A partner and a public offer whose landing page uses every macro, on a host with a port."""
    return make.partner(), make.offer(destination_url=LANDING)


fuzz = settings(max_examples=60, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@fuzz
@given(subs=st.fixed_dictionaries({}, optional={name: wire_text for name in (*SUB_PARAMETERS, "creative_id", "uid")}))
def test_whatever_the_subs_the_redirect_stays_on_the_offers_host(client, db, make_click_world, subs):
    partner, offer = make_click_world
    query = "&".join(f"{name}={encode(value)}" for name, value in subs.items())
    response = client.get(f"/c/{partner.id}/{offer.id}?{query}")
    assert response.status_code in (200, 302), response.data[:200]
    if response.status_code == 302:
        location = urlsplit(response.headers["Location"])
        assert (location.scheme, location.hostname, location.port) == ("https", "advertiser.example", 8443)
        assert location.path.startswith("/land/")
        # … and each value arrives as recorded, whole, in its own parameter
        values = parse_qs(location.query, keep_blank_values=True)
        click = db.session.scalar(select(Click).where(Click.transaction_id == values["t"][0]))
        for parameter, name in (("s2", "sub2"), ("s5", "sub5"), ("src", "source_id")):
            assert values[parameter] == [getattr(click, name) or ""]
        assert unquote(location.fragment) == (click.sub1 or "")
    else:  # only a bad uid keeps the visitor from the landing page
        assert "uid" in subs


@fuzz
@given(path=st.one_of(
    st.tuples(st.sampled_from(["c", "i"]), wire_text, wire_text),
    st.tuples(st.just("r"), wire_text, wire_text)), query=wire_text)
def test_no_link_makes_a_server_error(client, make_click_world, path, query):
    kind, first, second = path
    query = f"sub1={encode(query)}&url={encode(query)}&uid={encode(query)}"
    response = client.get(f"/{kind}/{encode(first) or 'x'}/{encode(second) or '1'}?{query}")
    assert response.status_code < 500


def test_every_partner_key_the_partner_ever_had_credits_that_partner(client, db, make):
    offer = make.offer()
    production = Pair(client, "production")
    made = envelope_of(production("POST", PARTNERSHIPS, {"email": "ann@example.com", "first_name": "Ann",
                                                         "last_name": "Lee"}), 200)["data"]
    keys = [made["partner_key"]]
    for new_key in ("ann-lee-2", "ann-lee-3"):
        changed = production("PATCH", f"{PARTNERSHIPS}/{made['key']}", {"partner_key": new_key})
        keys.append(envelope_of(changed, 200)["data"]["partner_key"])
    assert len(set(keys)) == 3
    for key in keys:
        response = client.get(partner_key_url("", key, offer.id, values={"sub1": key}))
        assert response.status_code == 302
    db.session.expire_all()
    recorded = db.session.execute(select(Click.partner_id, Click.sub1, Click.error_code).order_by(Click.id)).all()
    partner_id = {row.partner_id for row in recorded}
    assert len(partner_id) == 1 and [row.sub1 for row in recorded] == keys
    assert {row.error_code for row in recorded} == {None}
    assert client.get(click_url("", partner_id.pop(), offer.id)).status_code == 302


def test_another_partners_private_offer_is_an_unknown_link(client, db, make):
    owner, stranger = make.partner(), make.partner()
    private = make.offer(visibility="private", destination_url="https://advertiser.example/secret")
    db.session.add(OfferAccess(partner_id=owner.id, offer_id=private.id, status="approved"))
    db.session.commit()
    mine = client.get(click_url("", owner.id, private.id))
    theirs = client.get(click_url("", stranger.id, private.id))
    assert mine.headers["Location"] == "https://advertiser.example/secret"
    assert theirs.status_code == 404 and b"advertiser.example" not in theirs.data
    db.session.expire_all()
    recorded = db.session.execute(select(Click.partner_id, Click.error_code).order_by(Click.id)).all()
    assert [tuple(row) for row in recorded] == [(owner.id, None)]  # nothing of the offer in the stranger's clicks
