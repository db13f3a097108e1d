"""Timezone ids are Everflow's: the table, reports read in its zones, other IANA zones by name, and bad ids."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from portal.domain import timezones
from portal.models import SETTINGS_ROW_ID, NetworkSettings
from portal.services.everflow_keys import issue_key

TABLE = "/v1/affiliates/reporting/entity/table"

# Everflow's GET /v1/meta/timezones (developers.everflow.io/user-guide/timezones), written out here on its own so
# that the portal's table is checked against Everflow's, not against itself.
EVERFLOW = {
    1: "Pacific/Kiritimati", 2: "Pacific/Enderbury", 3: "Pacific/Tongatapu", 4: "Pacific/Chatham",
    5: "Pacific/Auckland", 6: "Pacific/Fiji", 7: "Asia/Kamchatka", 8: "Pacific/Norfolk", 9: "Australia/Lord_Howe",
    10: "Pacific/Guadalcanal", 11: "Australia/Adelaide", 12: "Australia/Sydney", 13: "Australia/Brisbane",
    14: "Australia/Darwin", 15: "Asia/Seoul", 16: "Asia/Tokyo", 17: "Asia/Hong_Kong", 18: "Asia/Kuala_Lumpur",
    19: "Asia/Manila", 20: "Asia/Shanghai", 21: "Asia/Singapore", 22: "Asia/Taipei", 23: "Australia/Perth",
    24: "Asia/Bangkok", 25: "Asia/Ho_Chi_Minh", 26: "Asia/Jakarta", 27: "Asia/Rangoon", 28: "Asia/Dhaka",
    29: "Asia/Kathmandu", 30: "Asia/Colombo", 31: "Asia/Kolkata", 32: "Asia/Karachi", 33: "Asia/Tashkent",
    34: "Asia/Yekaterinburg", 35: "Asia/Kabul", 36: "Asia/Baku", 37: "Asia/Dubai", 38: "Asia/Tbilisi",
    39: "Asia/Yerevan", 40: "Asia/Tehran", 41: "Africa/Nairobi", 42: "Asia/Baghdad", 43: "Asia/Kuwait",
    44: "Asia/Riyadh", 45: "Europe/Minsk", 46: "Europe/Moscow", 47: "Africa/Cairo", 48: "Asia/Beirut",
    49: "Asia/Jerusalem", 50: "Europe/Athens", 51: "Europe/Bucharest", 52: "Europe/Helsinki", 53: "Europe/Istanbul",
    54: "Africa/Johannesburg", 55: "Europe/Amsterdam", 56: "Europe/Berlin", 57: "Europe/Brussels",
    58: "Europe/Paris", 59: "Europe/Prague", 60: "Europe/Rome", 61: "Europe/Lisbon", 62: "Africa/Algiers",
    63: "Europe/London", 64: "Atlantic/Cape_Verde", 65: "Africa/Casablanca", 66: "Europe/Dublin", 67: "UTC",
    68: "America/Scoresbysund", 69: "Atlantic/Azores", 70: "Atlantic/South_Georgia", 71: "America/St_Johns",
    72: "America/Sao_Paulo", 73: "America/Argentina/Buenos_Aires", 74: "America/Santiago", 75: "America/Halifax",
    76: "America/Puerto_Rico", 77: "Atlantic/Bermuda", 78: "America/Caracas", 79: "America/Indiana/Indianapolis",
    80: "America/New_York", 81: "America/Bogota", 82: "America/Lima", 83: "America/Panama",
    84: "America/Mexico_City", 85: "America/Chicago", 86: "America/El_Salvador", 87: "America/Denver",
    88: "America/Mazatlan", 89: "America/Phoenix", 90: "America/Los_Angeles", 91: "America/Tijuana",
    92: "Pacific/Pitcairn", 93: "America/Anchorage", 94: "Pacific/Gambier", 95: "America/Adak",
    96: "Pacific/Marquesas", 97: "Pacific/Honolulu", 98: "Pacific/Niue", 99: "Pacific/Pago_Pago",
}


@pytest.fixture
def app(unbudgeted_app):
    return unbudgeted_app


def test_the_list_is_everflows_table_in_everflows_shape(api, make, issue):
    body = api.get("/v1/meta/timezones", key=issue(make.partner())).json
    assert {tz["timezone_id"]: tz["timezone"] for tz in body["timezones"]} == EVERFLOW
    assert [tz["timezone_id"] for tz in body["timezones"]] == list(range(1, 100))
    for tz in body["timezones"]:
        assert set(tz) == {"timezone_id", "timezone_name", "timezone", "utc_offset"}
        assert tz["timezone_name"] and re.fullmatch(r"[+-][0-9]{2}:[0-9]{2}", tz["utc_offset"])


def test_everflows_legacy_names_are_zones_here_and_keep_everflows_spelling():
    for name, current in (("Asia/Rangoon", "Asia/Yangon"), ("Pacific/Enderbury", "Pacific/Kanton"),
                          ("America/Indiana/Indianapolis", "America/Indianapolis")):
        assert timezones.by_iana(name) is not None and timezones.is_zone(name)
        assert timezones.reported(current) == timezones.by_iana(name)


def rows_by_date(response) -> dict[str, int]:
    assert response.status_code == 200, response.json
    return {row["columns"][0]["label"]: row["reporting"]["cv"] for row in response.json["table"]}


@pytest.mark.parametrize("timezone_id, at, day", [
    (54, datetime(2026, 11, 10, 22, 30, tzinfo=UTC), "2026-11-11"),  # 00:30 on the 11th in Johannesburg (UTC+2)
    (63, datetime(2026, 7, 10, 23, 30, tzinfo=UTC), "2026-07-11"),  # 00:30 on the 11th in London (summer time)
    (63, datetime(2026, 11, 10, 23, 30, tzinfo=UTC), "2026-11-10"),  # 23:30 in London (winter: UTC+0)
    (67, datetime(2026, 7, 10, 23, 30, tzinfo=UTC), "2026-07-10"),
    (97, datetime(2026, 7, 11, 9, 30, tzinfo=UTC), "2026-07-10"),  # 23:30 on the 10th in Honolulu (UTC-10)
])
def test_a_report_runs_in_the_everflow_zone_the_id_names(client, make, issue, timezone_id, at, day):
    partner = make.partner()
    make.conversion(partner, make.offer(), at=at)
    body = {"from": "2026-07-01", "to": "2026-11-30", "timezone_id": timezone_id, "currency_id": "USD",
            "columns": [{"column": "date"}]}
    answer = client.post(TABLE, json=body, headers={"X-Eflow-API-Key": issue(partner)})
    assert rows_by_date(answer) == {day: 1}


@pytest.mark.parametrize("timezone_id", [0, 100, 1001, 1020, 1092, 99999, 2**31, 2**63, 10**30, 10**400, -1, -67,
                                         "1001", "0100", "-1", "6\u00b2", "\ud800", "6\ud800", "", 67.5, True, [67],
                                         {"id": 67}])
def test_anything_but_an_everflow_id_is_a_400(client, make, issue, timezone_id):
    body = {"from": "2026-11-01", "to": "2026-11-30", "timezone_id": timezone_id, "columns": [{"column": "date"}]}
    answer = client.post(TABLE, json=body, headers={"X-Eflow-API-Key": issue(make.partner())})
    if timezone_id == "":  # blank is "not given": the account's timezone
        assert answer.status_code == 200
        return
    assert answer.status_code == 400 and answer.json["error"].startswith("timezone_id:"), answer.json


def test_the_ids_our_old_table_invented_say_where_the_ids_are(client, make, issue):
    body = {"from": "2026-11-01", "to": "2026-11-30", "timezone_id": 1020, "columns": [{"column": "date"}]}
    answer = client.post(TABLE, json=body, headers={"X-Eflow-API-Key": issue(make.partner())})
    assert answer.json == {"error": "timezone_id: unknown id; the ids are Everflow's, 1 to 99, and "
                                    "GET /v1/meta/timezones lists them"}


def test_any_iana_zone_is_accepted_by_name(client, make, issue):
    partner = make.partner()
    make.conversion(partner, make.offer(), at=datetime(2026, 7, 10, 22, 30, tzinfo=UTC))  # 00:30 on the 11th
    body = {"from": "2026-07-01", "to": "2026-07-31", "timezone": "Europe/Madrid", "columns": [{"column": "date"}]}
    answer = client.post(TABLE, json=body, headers={"X-Eflow-API-Key": issue(partner)})
    assert rows_by_date(answer) == {"2026-07-11": 1}


@pytest.mark.parametrize("name", ["localtime", "Factory", "Mars/Olympus", "utc", "../../etc/passwd", "/etc/localtime",
                                  "Europe/London\x00", "\ud800", 63, ["UTC"]])
def test_a_name_that_is_no_zone_is_a_400(client, make, issue, name):
    body = {"from": "2026-11-01", "to": "2026-11-30", "timezone": name, "columns": [{"column": "date"}]}
    answer = client.post(TABLE, json=body, headers={"X-Eflow-API-Key": issue(make.partner())})
    assert answer.status_code == 400 and answer.json["error"].startswith("timezone:"), answer.json


@pytest.mark.parametrize("zone, reported", [
    ("America/New_York", 80), ("Europe/London", 63), ("Africa/Johannesburg", 54),
    ("Asia/Yangon", 27),  # the tz database's current name for Everflow's Asia/Rangoon
    ("Europe/Madrid", 55),  # the same clock as Amsterdam since 2000: the first such zone of the table
    ("America/Toronto", 80), ("America/Regina", 86),  # Regina: UTC-6 all year, as El Salvador
    ("Australia/Eucla", None),  # UTC+08:45: no zone of Everflow's table keeps its clock
])
def test_the_account_reports_everflows_id_for_the_partners_zone(api, make, issue, zone, reported):
    body = api.get("/v1/affiliates/affiliate", key=issue(make.partner(timezone=zone))).json
    assert (body["timezone_id"], body["timezone"]) == (reported, zone)


def test_the_reported_id_is_one_whose_days_are_the_partners(client, make, issue):
    """A script that sends back the account's timezone_id gets the partner's own days."""
    partner = make.partner(timezone="Europe/Madrid")
    make.conversion(partner, make.offer(), at=datetime(2026, 3, 28, 23, 30, tzinfo=UTC))  # 00:30 on the 29th there
    make.conversion(partner, make.offer(), at=datetime(2026, 3, 29, 22, 30, tzinfo=UTC))  # 00:30 on the 30th (CEST)
    key = issue(partner)
    reported = client.get("/v1/affiliates/affiliate", headers={"X-Eflow-API-Key": key}).json["timezone_id"]
    body = {"from": "2026-03-01", "to": "2026-03-31", "columns": [{"column": "date"}]}
    own = rows_by_date(client.post(TABLE, json=body, headers={"X-Eflow-API-Key": key}))
    by_id = rows_by_date(client.post(TABLE, json=body | {"timezone_id": reported}, headers={"X-Eflow-API-Key": key}))
    assert own == by_id == {"2026-03-29": 1, "2026-03-30": 1}


@pytest.mark.parametrize("zone, reported", [("Europe/London", 63), ("Europe/Zurich", 55), ("Australia/Eucla", None)])
def test_the_network_reports_everflows_id_on_both_apis(api, client, db, make, issue, zone, reported):
    settings = db.session.get(NetworkSettings, SETTINGS_ROW_ID)
    settings.timezone = zone
    db.session.commit()
    assert api.get("/v1/affiliates/network", key=issue(make.partner())).json["timezone_id"] == reported
    secret = issue_key("BI warehouse").secret
    info = client.get("/v1/networks", headers={"X-Eflow-API-Key": secret}).json
    assert info["reporting_timezone_id"] == reported
