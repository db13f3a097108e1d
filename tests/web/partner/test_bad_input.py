"""The pages read the same filters as the API: an offer id past the database's ids is refused on the
page (or the export), never a 500."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("path", ["/conversions", "/conversions/on-hold", "/reports",
                                  "/conversions/export.csv", "/reports/export.csv"])
@pytest.mark.parametrize("offer_id", ["2147483648", "9223372036854775808", "99999999999999999999999"])
def test_the_pages_answer_a_huge_offer_id_without_a_server_error(client, make, login_as, path, offer_id):
    login_as.partner(make.partner_user(make.partner()))
    response = client.get(f"{path}?offer={offer_id}")
    assert response.status_code in (200, 400), response.status_code
    if response.status_code == 200 and "export" not in path:
        assert "offer id" in response.get_data(as_text=True)
