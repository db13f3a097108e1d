"""The network can require two-factor for staff (PORTAL_STAFF_REQUIRE_2FA, or the setting on the staff
settings page): a staff member without it who signed in with a password is sent to set it up from every
staff route, every method, and nothing changes; the setup pages stay open, and once it is on the console opens."""

from __future__ import annotations

import pytest

from portal.config import ConfigError, from_environment
from portal.extensions import db as _db
from portal.models import AuditEvent
from portal.queries.settings import network_settings
from tests.conftest import TEST_PASSWORD
from tests.two_factor import STAFF, enable, fresh_code
from tests.web.test_guards import STAFF_RULES, _fingerprint, _form, _url, world  # noqa: F401  (world: a fixture)

SETUP = "/staff/account/security/two-factor"
OPEN_BEFORE_TWO_FACTOR = {"staff.two_factor_setup", "staff.two_factor_start", "staff.two_factor_confirm"}


@pytest.fixture
def app(make_app):
    app = make_app(STAFF_REQUIRE_2FA=True)
    with app.app_context():
        yield app
        _db.session.remove()


@pytest.mark.parametrize(("endpoint", "rule", "method"),
                         [r for r in STAFF_RULES if r[0] not in OPEN_BEFORE_TWO_FACTOR])
def test_every_staff_route_sends_a_staff_member_without_two_factor_to_set_it_up(client, db, login_as, world,  # noqa: F811
                                                                                endpoint, rule, method):
    login_as.staff(world["bare_staff"])
    before = _fingerprint(db)
    response = client.open(_url(rule, world), method=method, data=_form(method))
    assert response.status_code == 302, (endpoint, method)
    assert response.headers["Location"] == SETUP
    assert _fingerprint(db) == before


def test_the_setup_pages_stay_open_and_once_on_the_console_opens(client, db, make, login_as):
    admin = make.staff()
    assert login_as.staff(admin).headers["Location"] == "/staff/"
    assert client.get("/staff/partners").headers["Location"] == SETUP
    assert b"Set up two-factor" in client.get(SETUP).data
    secret, _ = enable(client, db, admin, STAFF)
    assert client.get("/staff/partners").status_code == 200
    client.post("/logout")
    login_as.staff(admin)
    client.post(STAFF.second_step, data={"code": fresh_code(db, admin, secret)})
    assert client.get("/staff/partners").status_code == 200


def test_partner_users_are_not_asked(client, make, login_as):
    login_as.partner(make.partner_user(make.partner()))
    assert client.get("/").status_code == 200
    assert client.get("/account/security").status_code == 200


def test_without_the_setting_nothing_is_required(make_app, make):
    plain = make_app()
    with plain.app_context():
        client = plain.test_client()
        client.post("/staff/login", data={"email": make.staff().email, "password": TEST_PASSWORD})
        assert client.get("/staff/partners").status_code == 200


def test_the_network_setting_requires_it_too(make_app, make, db):
    plain = make_app()
    with plain.app_context():
        client = plain.test_client()
        admin = make.staff()
        client.post("/staff/login", data={"email": admin.email, "password": TEST_PASSWORD})
        settings = network_settings()
        form = {"network_name": settings.network_name, "timezone": "UTC", "currency": "USD",
                "network_api_offer_id": "0", "partner_postbacks_enabled": "y", "staff_require_two_factor": "y"}
        assert client.post("/staff/settings", data=form).status_code == 302
        db.session.refresh(settings)
        assert settings.staff_require_two_factor is True
        changed = db.session.query(AuditEvent).filter_by(action="settings.changed").one().detail
        assert changed["staff_require_two_factor"] == {"from": False, "to": True}
        # The admin who turned it on is the first to be sent to set it up.
        assert client.get("/staff/settings").headers["Location"] == SETUP


@pytest.mark.parametrize(("raw", "value"), [("true", True), ("0", False), ("on", True)])
def test_the_environment_setting_is_read_strictly(raw, value):
    assert from_environment({"PORTAL_STAFF_REQUIRE_2FA": raw})["STAFF_REQUIRE_2FA"] is value


def test_a_malformed_environment_setting_stops_start_up():
    with pytest.raises(ConfigError, match="PORTAL_STAFF_REQUIRE_2FA"):
        from_environment({"PORTAL_STAFF_REQUIRE_2FA": "maybe"})


def test_only_the_security_permission_changes_the_requirement(make_app, make, db):
    """settings:manage alone edits the network's name and the like, but not how staff must sign in."""
    plain = make_app()
    with plain.app_context():
        client = plain.test_client()
        manager = make.staff(permissions=["settings:manage"])
        client.post("/staff/login", data={"email": manager.email, "password": TEST_PASSWORD})
        settings = network_settings()
        form = {"network_name": "Renamed", "timezone": "UTC", "currency": "USD", "network_api_offer_id": "0",
                "partner_postbacks_enabled": "y", "staff_require_two_factor": "y"}
        refused = client.post("/staff/settings", data=form)
        assert refused.status_code == 403 and b"Only staff with the Security permission" in refused.data
        db.session.refresh(settings)
        assert settings.staff_require_two_factor is False and settings.network_name != "Renamed"
        del form["staff_require_two_factor"]  # the rest stays theirs to change
        assert client.post("/staff/settings", data=form).status_code == 302
        db.session.refresh(settings)
        assert settings.network_name == "Renamed"
