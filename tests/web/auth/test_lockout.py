"""Too many failures pause sign-in, and the answer says so plainly, with how long: a 429 with Retry-After,
the same for an address no user has, so the lockout cannot tell known addresses from unknown ones. Wrong
two-factor codes count towards the same pause."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from portal.models import AuditEvent, SignInThrottle
from portal.models.base import utcnow
from portal.services.signin import SIGN_IN_FAILED
from tests.conftest import TEST_PASSWORD
from tests.two_factor import PARTNER, enable, fresh_code, wrong_code

PAUSED = "Too many failed attempts. Sign-in for this account is paused for {}."


def _attempts(client, email: str, count: int, password: str = "wrong-password", door: str = "/login"):
    return [client.post(door, data={"email": email, "password": password}) for _ in range(count)]


def _scrubbed(response, email: str) -> tuple:
    return response.status_code, response.headers.get("Retry-After"), response.data.replace(email.encode(), b"")


@pytest.mark.parametrize("door", ["/login", "/staff/login"])
def test_a_known_and_an_unknown_address_lock_alike(app, client, make, door):
    user = make.partner_user(make.partner()) if door == "/login" else make.staff()
    unknown = "nobody-here@example.test"
    free = app.config["LOGIN_FREE_ATTEMPTS"]
    known_answers = _attempts(client, user.email, free + 1, door=door)
    unknown_answers = _attempts(client, unknown, free + 1, door=door)

    for answer in known_answers[:free - 1]:
        assert answer.status_code == 401 and SIGN_IN_FAILED.encode() in answer.data
    for answer in known_answers[free - 1:]:  # the failure that locks already says so
        assert answer.status_code == 429 and answer.headers["Retry-After"] == "30"
        assert PAUSED.format("30 seconds").encode() in answer.data
    assert [_scrubbed(r, user.email) for r in known_answers] == [_scrubbed(r, unknown) for r in unknown_answers]

    # While paused, even the right password gets the pause, known address or not.
    right = client.post(door, data={"email": user.email, "password": TEST_PASSWORD})
    assert right.status_code == 429 and client.get(door.removesuffix("login") or "/").status_code == 302


def test_the_pause_says_the_real_time_left_rounded_up(make_app, make, db):
    app = make_app(LOGIN_LOCKOUT_BASE_SECONDS=900, LOGIN_LOCKOUT_MAX_SECONDS=7200)
    client = app.test_client()
    with app.app_context():
        user = make.partner_user(make.partner())
        answers = _attempts(client, user.email, app.config["LOGIN_FREE_ATTEMPTS"])
        assert answers[-1].status_code == 429 and answers[-1].headers["Retry-After"] == "900"
        assert PAUSED.format("15 minutes").encode() in answers[-1].data
        db.session.refresh(user)
        user.locked_until = utcnow() + timedelta(seconds=61)
        db.session.commit()
        later = client.post("/login", data={"email": user.email, "password": TEST_PASSWORD})
        assert later.status_code == 429 and PAUSED.format("2 minutes").encode() in later.data
        assert 61 >= int(later.headers["Retry-After"]) > 55
        # After the pause, one more failure pauses twice as long, said in the largest unit that fits.
        user.locked_until = utcnow() - timedelta(seconds=1)
        db.session.commit()
        doubled = _attempts(client, user.email, 1)[0]
        assert doubled.status_code == 429 and PAUSED.format("30 minutes").encode() in doubled.data


def test_unknown_addresses_count_normalised_and_keep_no_address(app, client, db):
    free = app.config["LOGIN_FREE_ATTEMPTS"]
    spellings = ["Someone@Example.test", " someone@example.test", "SOMEONE@EXAMPLE.TEST "]
    answers = [client.post("/login", data={"email": spellings[i % 3], "password": "x" * 12}) for i in range(free)]
    assert [a.status_code for a in answers] == [401] * (free - 1) + [429]
    row = db.session.scalars(select(SignInThrottle)).one()
    assert row.failed_logins == free and row.user_kind == "partner"
    dumped = " ".join(str(v) for v in db.session.execute(sa.text("SELECT * FROM sign_in_throttles")).one())
    assert "someone" not in dumped.lower()
    # The staff door counts on its own: the partner door's pause does not reach it.
    assert client.post("/staff/login", data={"email": spellings[0], "password": "x" * 12}).status_code == 401
    failed = db.session.scalars(select(AuditEvent.action).where(AuditEvent.action == "signin.failed")).all()
    assert len(failed) == free + 1


def test_counters_of_unknown_addresses_are_forgotten_after_a_quiet_day(app, client, db):
    client.post("/login", data={"email": "old@example.test", "password": "x" * 12})
    db.session.execute(sa.update(SignInThrottle).values(last_failed_login_at=utcnow() - timedelta(days=2)))
    db.session.commit()
    client.post("/login", data={"email": "new@example.test", "password": "x" * 12})
    assert db.session.scalar(select(sa.func.count()).select_from(SignInThrottle)) == 1


def test_wrong_codes_count_towards_the_same_pause(app, client, db, make):
    user = make.partner_user(make.partner())
    client.post("/login", data={"email": user.email, "password": TEST_PASSWORD})
    secret, codes = enable(client, db, user, PARTNER)
    client.post("/logout")
    free = app.config["LOGIN_FREE_ATTEMPTS"]
    # Wrong codes, and a right password in between: knowing the password buys no fresh guesses.
    client.post("/login", data={"email": user.email, "password": TEST_PASSWORD})
    for _ in range(free - 2):
        assert client.post(PARTNER.second_step, data={"code": wrong_code(secret)}).status_code == 401
    client.post("/login", data={"email": user.email, "password": "wrong-password"})
    assert client.post("/login", data={"email": user.email, "password": TEST_PASSWORD}).status_code == 302
    paused = client.post(PARTNER.second_step, data={"code": wrong_code(secret)})
    assert paused.status_code == 429 and PAUSED.format("30 seconds").encode() in paused.data
    assert paused.headers["Retry-After"] == "30"
    # Paused: a right code and a recovery code are refused too, and so is the password step.
    assert client.post(PARTNER.second_step, data={"code": fresh_code(db, user, secret)}).status_code == 429
    assert client.post(PARTNER.second_step, data={"code": codes[0]}).status_code == 429
    assert client.post("/login", data={"email": user.email, "password": TEST_PASSWORD}).status_code == 429
    assert client.get("/").status_code == 302
    # Once the pause is over, the pending step finishes with a good code.
    db.session.refresh(user)
    user.locked_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert client.post(PARTNER.second_step, data={"code": codes[0]}).status_code == 302
    assert client.get("/").status_code == 200


def test_old_failures_are_forgotten_alike_for_known_and_unknown_addresses(app, client, make, db):
    """A day after the last failure the count starts again, for an unknown address exactly as for a user:
    cleaning up stale counters must not drop the one being counted."""
    user = make.partner_user(make.partner())
    unknown = "nobody-here@example.test"
    _attempts(client, user.email, 1)
    _attempts(client, unknown, 1)
    two_days_ago = utcnow() - timedelta(days=2)
    db.session.execute(sa.update(type(user)).where(type(user).id == user.id)
                       .values(last_failed_login_at=two_days_ago))
    db.session.execute(sa.update(SignInThrottle).values(last_failed_login_at=two_days_ago))
    db.session.commit()
    free = app.config["LOGIN_FREE_ATTEMPTS"]
    known = [r.status_code for r in _attempts(client, user.email, free + 1)]
    unknowns = [r.status_code for r in _attempts(client, unknown, free + 1)]
    assert known == unknowns == [401] * (free - 1) + [429, 429]


def test_a_lock_longer_than_the_failures_memory_is_refused_at_start_up(make_app):
    from portal.config import ConfigError

    with pytest.raises(ConfigError, match="PORTAL_LOGIN_LOCKOUT_MAX_SECONDS"):
        make_app(LOGIN_LOCKOUT_MAX_SECONDS=2 * 86400)
