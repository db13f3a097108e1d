"""An operator turns two-factor off for a user who lost both the app and the recovery codes."""

from __future__ import annotations

import pyotp
from sqlalchemy import func, select

from portal.models import AuditEvent, RecoveryCode, TwoFactorSecret
from portal.services import two_factor
from tests.conftest import TEST_PASSWORD


def _turn_on(user) -> None:
    two_factor.start_setup(user)
    two_factor.confirm_setup(user, pyotp.TOTP(two_factor.setup_in_progress(user).secret).now())


def test_reset_turns_two_factor_off_and_the_password_signs_in_again(app, client, db, make):
    user = make.partner_user(make.partner(), email="lost.phone@partner.test")
    _turn_on(user)
    assert client.post("/login", data={"email": user.email, "password": TEST_PASSWORD}).headers["Location"] == \
        "/login/two-factor"
    result = app.test_cli_runner().invoke(args=["two-factor", "reset", "Lost.Phone@partner.test"])
    assert result.exit_code == 0 and "Two-factor sign-in is off for lost.phone@partner.test" in result.output
    assert db.session.scalar(select(func.count()).select_from(TwoFactorSecret)) == 0
    assert db.session.scalar(select(func.count()).select_from(RecoveryCode)) == 0
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "two_factor.reset")).one()
    assert (event.actor_type, event.target_type, event.target_id) == ("system", "PartnerUser", str(user.id))
    assert client.post("/login", data={"email": user.email, "password": TEST_PASSWORD}).headers["Location"] == "/"


def test_reset_names_the_kind_of_user_and_says_when_nothing_changes(app, make):
    staff = make.staff(email="ops@network.test")
    runner = app.test_cli_runner()
    assert runner.invoke(args=["two-factor", "reset", staff.email]).exit_code != 0  # no partner user of that name
    unchanged = runner.invoke(args=["two-factor", "reset", "--staff", staff.email])
    assert unchanged.exit_code == 0 and "nothing changed" in unchanged.output
    _turn_on(staff)
    assert "is off" in runner.invoke(args=["two-factor", "reset", "--staff", staff.email]).output
    assert not two_factor.enabled_for(staff)
