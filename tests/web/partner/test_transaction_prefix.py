"""Conversions: the Transaction ID field finds conversions whose id starts with what was typed, on the page
and in its exports; % and _ match only themselves; another partner's ids never match. The Affiliate API
keeps Everflow's exact transaction_id filter."""

from __future__ import annotations

import html
import io
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.affiliate import AffiliateScope
from portal.affiliate.parsing import conversion_query

DAY = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
WINDOW = "preset=custom&from=2026-03-08&to=2026-03-12"
IDS = ("abcd1234", "ABCD9999", "abc_1%x", "abcX_9", "ab\\cd", "zz-abcd")


def _transaction_ids(page: str) -> list[str]:
    return sorted(html.unescape(t) for t in re.findall(r'<code title="([^"]*)">', page))


@pytest.fixture
def alpha(make):
    offer = make.offer()
    alpha, beta = make.partner(name="Alpha Media"), make.partner(name="Beta Deals")
    for n, tid in enumerate(IDS):
        make.conversion(alpha, offer, at=DAY + timedelta(minutes=n), transaction_id=tid)
    make.conversion(beta, offer, at=DAY, transaction_id="abcd-beta-secret")
    return alpha


@pytest.fixture
def signed_in(client, make, login_as, alpha):
    login_as.partner(make.partner_user(alpha))
    return client


@pytest.mark.parametrize(("typed", "found"), [
    ("abcd", ["abcd1234"]),  # case as typed; not the other partner's abcd-beta-secret
    ("ABCD", ["ABCD9999"]),
    ("abc", ["abc_1%x", "abcX_9", "abcd1234"]),
    ("abc_", ["abc_1%x"]),  # _ is itself, not "any character"
    ("abc_1%", ["abc_1%x"]),
    ("ab%", []),  # % is itself, not "anything"
    ("ab\\", ["ab\\cd"]),
    ("  abcd1234  ", ["abcd1234"]),  # pasted with spaces around
    ("abcd1234", ["abcd1234"]),  # a whole id still finds its conversion
    ("abcd12345", []),
    ("cd", []),  # a start, not a part
])
def test_the_transaction_id_field_finds_ids_that_start_with_it(signed_in, typed, found):
    page = signed_in.get(f"/conversions?{WINDOW}&transaction_id={quote(typed)}")
    assert page.status_code == 200
    assert _transaction_ids(page.get_data(as_text=True)) == sorted(found)


def test_the_export_holds_the_same_conversions(signed_in):
    page = html.unescape(signed_in.get(f"/conversions?{WINDOW}&transaction_id=abc").get_data(as_text=True))
    link = re.search(r'href="(/conversions/export\.csv\?[^"]+)"', page).group(1)
    assert "transaction_id=abc" in link
    frame = pd.read_csv(io.BytesIO(signed_in.get(link).data))
    assert sorted(frame["transaction_id"]) == ["abcX_9", "abc_1%x", "abcd1234"]


def test_the_api_filter_stays_exact(alpha):
    """Everflow's transaction_id filter names whole ids; a script that sends a start gets nothing."""
    scope = AffiliateScope(alpha)

    def count(value: str) -> int:
        body = {"from": "2026-03-08", "to": "2026-03-12",
                "query": {"filters": [{"resource_type": "transaction_id", "filter_id_value": value}]}}
        return scope.conversion_count(conversion_query(body, "UTC"))

    assert count("abcd1234") == 1 and count("abcd") == 0 and count("abc_1%x") == 1 and count("abc%") == 0


@pytest.mark.parametrize(("typed", "message"), [
    ("%00", "transaction_id: must not contain NUL characters"),
    ("a" * 65, "transaction_id: must be at most 64 characters"),
])
def test_a_bad_transaction_id_is_a_clear_400(signed_in, typed, message):
    for path in ("/conversions", "/conversions/on-hold", "/conversions/export.csv"):
        response = signed_in.get(f"{path}?{WINDOW}&transaction_id={typed}")
        assert response.status_code == 400
        assert message in html.unescape(response.get_data(as_text=True))


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(typed=st.one_of(st.text(max_size=80), st.just("\ud800"), st.just("ab\udfffc"),
                       st.integers(min_value=2**63, max_value=2**80).map(str)))
def test_any_typed_value_is_answered_without_a_server_error(signed_in, typed):
    encoded = quote(typed, safe="", errors="surrogatepass")
    for path in ("/conversions", "/conversions/export.csv"):
        response = signed_in.get(f"{path}?{WINDOW}&transaction_id={encoded}")
        assert response.status_code in (200, 400), (path, response.status_code)
        assert b"abcd-beta-secret" not in response.data
