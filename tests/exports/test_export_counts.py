"""Conversion exports hold exactly the rows their query counts: read from one snapshot, in the page's
order, and a file that came out different from the count breaks off instead of ending cleanly."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from portal.affiliate import AffiliateScope
from portal.affiliate.parsing import conversion_query
from portal.exports.tabular import RowCountMismatch

DAY = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
WINDOW = "preset=custom&from=2026-03-08&to=2026-03-12"
BODY = {"from": "2026-03-08", "to": "2026-03-12", "show_conversions": True, "show_events": True}


@pytest.fixture
def partner(make):
    partner, offer = make.partner(), make.offer()
    for n in range(30):
        make.conversion(partner, offer, at=DAY + timedelta(minutes=n), payout_cents=1000 - 7 * n, sub1=f"s{n}")
    return partner


def test_rows_arriving_during_an_export_are_not_in_it_and_the_count_agrees(partner, make, db):
    scope = AffiliateScope(partner)
    export = scope.conversion_export(conversion_query(BODY, "UTC"), batch_size=10)  # counted ...
    make.conversion(partner, make.offer(), at=DAY + timedelta(hours=1), sub1="late")  # ... one arrives ...
    rows = [row for batch in export.batches for row in batch]  # ... and then the rows are read
    assert export.count == len(rows) == 30
    assert "late" not in {row[9] for row in rows}  # sub1
    assert scope.conversion_count(conversion_query(BODY, "UTC")) == 31  # the next export has it


def test_an_export_is_in_the_order_the_page_shows(partner, client, make, login_as):
    login_as.partner(make.partner_user(partner))
    for order in ("order_field=revenue&order_direction=asc", "order_field=conversion_unix_timestamp"):
        page = client.get(f"/conversions?{WINDOW}&{order}&page_size=100").get_data(as_text=True)
        shown = [line.split('"')[1] for line in page.split('<tr data-conversion-id=')[1:]]
        exported = pd.read_csv(io.BytesIO(client.get(f"/conversions/export.csv?{WINDOW}&{order}").data))
        assert list(exported["conversion_id"]) == shown and len(shown) == 30


def test_a_file_that_differs_from_its_count_breaks_off(partner, client, make, login_as, monkeypatch):
    import portal.web.partner.conversions as view

    real = view.conversion_frames

    def losing_a_row(batches, timezone):
        for frame in real(batches, timezone):
            yield frame.iloc[:-1]

    monkeypatch.setattr(view, "conversion_frames", losing_a_row)
    login_as.partner(make.partner_user(partner))
    response = client.get(f"/conversions/export.csv?{WINDOW}", buffered=False)
    assert response.status_code == 200  # the first bytes went out before the difference showed
    with pytest.raises(RowCountMismatch, match="29 rows; its query counted 30"):
        b"".join(response.response)
