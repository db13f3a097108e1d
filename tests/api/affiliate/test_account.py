"""Account endpoints: the partner's own account, the network's public face, and the timezone ids."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from portal.domain import timezones
from portal.models import SETTINGS_ROW_ID, NetworkSettings


def test_the_account_is_the_keys_partner_in_everflow_names(api, db, make, issue):
    manager = make.staff(name="Ada Lovelace", email="ada@network.test")
    partner = make.partner(name="Acme Media", timezone="America/New_York", currency="EUR",
                           account_manager_id=manager.id, internal_notes="pays late", fraud_flag=True)
    body = api.get("/v1/affiliates/affiliate", key=issue(partner)).json
    assert body == {
        "network_affiliate_id": partner.id,
        "name": "Acme Media",
        "account_status": "active",
        "default_currency_id": "EUR",
        "timezone_id": 80,
        "timezone": "America/New_York",
        "relationship": {"account_manager": {"first_name": "Ada", "last_name": "Lovelace", "name": "Ada Lovelace",
                                             "email": "ada@network.test"}},
    }


def test_an_account_without_a_manager_or_a_zone_everflow_has_an_id_for(api, make, issue):
    partner = make.partner(timezone="Australia/Eucla")  # UTC+08:45: no zone of Everflow's table keeps its clock
    body = api.get("/v1/affiliates/affiliate", key=issue(partner)).json
    assert body["relationship"] == {"account_manager": None}
    assert body["timezone_id"] is None and body["timezone"] == "Australia/Eucla"


def test_the_network_comes_from_the_network_settings(api, db, make, issue):
    settings = db.session.get(NetworkSettings, SETTINGS_ROW_ID)
    settings.network_name, settings.logo_url, settings.timezone = "Orbit Partners", "https://cdn.test/logo.png", \
        "Europe/London"
    settings.support_email = "ops@orbit.test"
    db.session.commit()
    body = api.get("/v1/affiliates/network", key=issue(make.partner())).json
    assert body == {"network_id": SETTINGS_ROW_ID, "displayed_name": "Orbit Partners",
                    "logo_image_url": "https://cdn.test/logo.png", "timezone_id": 63, "timezone": "Europe/London",
                    "default_currency_id": "USD"}


def test_the_timezone_list_has_the_documented_ids_and_european_and_asian_zones(api, make, issue):
    body = api.get("/v1/meta/timezones", key=issue(make.partner())).json
    by_id = {tz["timezone_id"]: tz for tz in body["timezones"]}
    assert {67: "UTC", 80: "America/New_York", 85: "America/Chicago", 87: "America/Denver", 89: "America/Phoenix",
            90: "America/Los_Angeles"}.items() <= {i: tz["timezone"] for i, tz in by_id.items()}.items()
    names = {tz["timezone"] for tz in body["timezones"]}
    assert {"Europe/London", "Europe/Paris", "Europe/Berlin", "Asia/Tokyo", "Asia/Singapore", "Asia/Kolkata"} <= names
    assert set(body["timezones"][0]) == {"timezone_id", "timezone_name", "timezone", "utc_offset"}
    assert len(by_id) == len(body["timezones"]) and len(names) == len(body["timezones"])


def test_utc_offsets_follow_daylight_saving():
    new_york = timezones.by_id(80)
    assert new_york.utc_offset(datetime(2026, 1, 15, tzinfo=UTC)) == "-05:00"
    assert new_york.utc_offset(datetime(2026, 7, 15, tzinfo=UTC)) == "-04:00"
    assert timezones.by_iana("Asia/Kolkata").utc_offset(datetime(2026, 7, 15, tzinfo=UTC)) == "+05:30"
    assert timezones.by_id(67).utc_offset() == "+00:00"


def test_every_listed_zone_is_a_real_zone():
    for zone in timezones.TIMEZONES:
        ZoneInfo(zone.iana)
