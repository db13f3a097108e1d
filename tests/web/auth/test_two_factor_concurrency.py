"""One code, sent by several browsers at the same moment over real HTTP (each past the password step):
exactly one signs in, the others are refused. The same for a recovery code. Nobody gets a 5xx."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import func, select

from portal.models import SignInSession
from tests.conftest import TEST_PASSWORD
from tests.two_factor import PARTNER, enable, fresh_code


def _past_the_password(url: str, email: str, callers: int) -> list[requests.Session]:
    browsers = []
    for _ in range(callers):
        browser = requests.Session()
        browser.trust_env = False  # no proxy from the environment between us and 127.0.0.1
        step = browser.post(f"{url}/login", data={"email": email, "password": TEST_PASSWORD},
                            allow_redirects=False, timeout=30)
        assert step.headers["Location"] == PARTNER.second_step
        browsers.append(browser)
    return browsers


def _all_at_once(url: str, browsers: list[requests.Session], code: str) -> list[int]:
    barrier = threading.Barrier(len(browsers))

    def one(browser):
        barrier.wait(timeout=30)
        return browser.post(f"{url}{PARTNER.second_step}", data={"code": code}, allow_redirects=False,
                            timeout=60).status_code

    with ThreadPoolExecutor(max_workers=len(browsers)) as pool:
        return list(pool.map(one, browsers))


@pytest.mark.parametrize("kind", ["totp", "recovery"])
def test_a_code_sent_at_once_from_several_browsers_signs_in_one(app, db, make, live_server, kind):
    user = make.partner_user(make.partner())
    setup = app.test_client()
    setup.post("/login", data={"email": user.email, "password": TEST_PASSWORD})
    secret, codes = enable(setup, db, user, PARTNER)
    setup.post("/logout")
    callers = 12 if db.engine.dialect.name == "postgresql" else 6
    browsers = _past_the_password(live_server.url, user.email, callers)
    code = fresh_code(db, user, secret) if kind == "totp" else codes[0]

    statuses = _all_at_once(live_server.url, browsers, code)

    # The others are refused (a replay is a wrong code: enough of them pause the account, hence 429s).
    assert statuses.count(302) == 1 and set(statuses) - {302} <= {401, 429}, statuses
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(SignInSession)
                             .where(SignInSession.ended_at.is_(None))) == 1
