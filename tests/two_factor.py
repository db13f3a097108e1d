"""Helpers for two-factor tests: a real TOTP generator (pyotp) computing the codes an authenticator app shows,
and the two doors' addresses."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

import pyotp
from sqlalchemy import select

from portal.models import TwoFactorSecret

SECRET_ON_PAGE = re.compile(r'id="two-factor-secret">([A-Z2-7]+)<')
CODES_ON_PAGE = re.compile(r"<li><code>([0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4})</code></li>")


@dataclass(frozen=True)
class Door:
    kind: str
    login: str
    second_step: str
    security: str
    home: str

    def url(self, path: str) -> str:
        """A two-factor page under this door's Security page: url("/start") → …/security/two-factor/start."""
        return self.security + "/two-factor" + path


PARTNER = Door("partner", "/login", "/login/two-factor", "/account/security", "/")
STAFF = Door("staff", "/staff/login", "/staff/login/two-factor", "/staff/account/security", "/staff/")
DOORS = [PARTNER, STAFF]


def secret_from(page: str) -> str:
    found = SECRET_ON_PAGE.search(page)
    assert found, "no secret on the setup page"
    return found.group(1)


def codes_from(page: str) -> list[str]:
    return CODES_ON_PAGE.findall(page)


def fresh_code(db, user, secret: str) -> str:
    """The code an authenticator app shows for the earliest time step the portal still accepts for this user:
    one step back from now (clock drift) or just after the last step used, whichever is later. Three codes in
    a row are always good however the clock ticks in between."""
    row = db.session.scalar(select(TwoFactorSecret).where(TwoFactorSecret.user_kind == user.session_kind,
                                                          TwoFactorSecret.user_id == user.id)
                            .execution_options(populate_existing=True))
    now = int(time.time()) // 30
    step = now - 1 if row is None or row.last_used_step is None else max(row.last_used_step + 1, now - 1)
    assert step <= now + 1, "every code of the accepted window is spent"
    return pyotp.TOTP(secret).generate_otp(step)


def wrong_code(secret: str) -> str:
    """Six digits that are no code of the accepted window."""
    now = int(time.time()) // 30
    valid = {pyotp.TOTP(secret).generate_otp(step) for step in range(now - 2, now + 3)}
    return next(code for code in (f"{n:06d}" for n in range(0, 1_000_000, 7919)) if code not in valid)


def enable(client, db, user, door: Door) -> tuple[str, list[str]]:
    """Turn two-factor on through the pages (the user is signed in on `client`); the secret and recovery codes."""
    assert client.post(door.url("/start")).status_code == 302
    secret = secret_from(client.get(door.url("")).get_data(as_text=True))
    page = client.post(door.url("/confirm"), data={"code": fresh_code(db, user, secret)})
    assert page.status_code == 200, page.status_code
    codes = codes_from(page.get_data(as_text=True))
    assert len(codes) == 10
    return secret, codes
