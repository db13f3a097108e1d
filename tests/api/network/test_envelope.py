"""The Network API's envelope: every answer and every error is `{data, message, status}`, bad bodies and
odd paths are 400s or 404s, a database outage a 503, times whole milliseconds."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from portal.api.network.serialise import epoch_ms
from portal.models import Partner
from tests.api.network.conftest import PARTNERSHIPS, basic, count_rows, envelope_of, well_formed_secret


def test_every_error_uses_the_envelope_with_an_integer_status(production):
    envelope_of(production("GET", "/api/v2/nothing-here"), 404)
    envelope_of(production("PUT", PARTNERSHIPS), 405)
    envelope_of(production("GET", f"{PARTNERSHIPS}/part_unknown"), 404)
    assert "part_unknown" in production("GET", f"{PARTNERSHIPS}/part_unknown").json["message"]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"data": "{not json", "content_type": "application/json"}, "body: must be JSON"),
    ({"data": "email=a@b.c", "content_type": "application/x-www-form-urlencoded"}, "body: must be JSON"),
    ({"json": ["a@b.c"]}, "body: must be a JSON object"),
])
def test_a_body_that_is_not_a_json_object_is_a_400(production, db, kwargs, message):
    response = production.client.post(PARTNERSHIPS, headers=production.headers, **kwargs)
    assert envelope_of(response, 400)["message"].startswith(message)
    assert count_rows(db, Partner) == 1  # gstest only


@pytest.mark.parametrize(("raw", "message"), [
    ("[" * 100_000 + "]" * 100_000, "body: must be JSON"),  # nested deeper than the parser can follow
    ('{"email": "a\\ud800@example.com"}', "email: must be valid text"),
    ('{"email": "a@example.com", "tags": ["x\\u0000y"]}', "tags: text must not contain NUL"),
])
def test_bodies_that_cannot_be_stored_are_400s(production, db, raw, message):
    response = production.client.post(PARTNERSHIPS, headers=production.headers, data=raw,
                                      content_type="application/json")
    assert envelope_of(response, 400)["message"].startswith(message)
    assert count_rows(db, Partner) == 1


def test_a_database_outage_is_a_503_in_the_envelope(app_without_database):
    client = app_without_database.test_client()
    # A malformed secret is refused before any query, so even without a database it is a plain 401.
    envelope_of(client.get(PARTNERSHIPS, headers=basic("npk_live_x", "not-a-secret")), 401)
    down = client.get(PARTNERSHIPS, headers=basic("npk_live_x", well_formed_secret()))
    assert envelope_of(down, 503)["message"].startswith("Service unavailable")
    assert down.headers["Retry-After"] == "30"


@pytest.mark.parametrize(("path", "status"), [
    (f"{PARTNERSHIPS}/part_%00x", 404),
    (f"{PARTNERSHIPS}?partner_key=a%00b", 400),
    (f"{PARTNERSHIPS}?starting_after=a%00b", 400),
    (f"{PARTNERSHIPS}?limit=1_0", 400),
    (f"{PARTNERSHIPS}?limit=%D9%A1%D9%A0", 400),  # Arabic-Indic digits: not a whole number here
])
def test_odd_paths_and_parameters_answer_the_same_on_every_database(production, path, status):
    envelope_of(production("GET", path), status)


def test_times_are_whole_milliseconds_counted_exactly():
    at = datetime(1987, 1, 7, 4, 21, 30, 606000, tzinfo=UTC)
    assert epoch_ms(at) == 536_991_690_606  # int(at.timestamp() * 1000) gives …605
