"""Passwords at the cost a deployment uses. The suite hashes at the lowest Argon2id cost so that its thousands of
sign-ins stay quick (tests/conftest.py); here a partner signs in through the form with the production cost."""

from __future__ import annotations

import pytest
from argon2 import extract_parameters

from portal.config import DEFAULTS
from portal.extensions import db


@pytest.fixture
def app(make_app):
    app = make_app(PASSWORD_TIME_COST=DEFAULTS["PASSWORD_TIME_COST"],
                   PASSWORD_MEMORY_COST=DEFAULTS["PASSWORD_MEMORY_COST"])
    with app.app_context():
        yield app
        db.session.remove()


def test_a_partner_signs_in_with_a_password_hashed_at_the_production_cost(client, make, login_as):
    user = make.partner_user(make.partner())
    cost = extract_parameters(user.password_hash)
    assert (cost.type.name, cost.time_cost, cost.memory_cost) == ("ID", 3, 65536)
    assert login_as.partner(user, password="not-the-password").status_code == 401
    assert client.get("/").status_code == 302
    assert login_as.partner(user).headers["Location"] == "/"
    assert client.get("/").status_code == 200
