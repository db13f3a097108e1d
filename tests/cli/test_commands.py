"""Operator commands: creating staff users and the worker's scheduled jobs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from portal.models import PERMISSIONS, AuditEvent, Conversion, StaffUser
from portal.services.passwords import verify_password


def test_create_staff_user(app, db):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-staff-user", "--email", "New.AM@Network.test", "--name", "New AM",
                                 "--permission", "partners:view", "--password", "a-long-password"])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(StaffUser).where(StaffUser.email == "new.am@network.test"))
    assert user.permissions == ["partners:view"] and verify_password(user.password_hash, "a-long-password")
    again = runner.invoke(args=["create-staff-user", "--email", "new.am@network.test", "--password", "x" * 12])
    assert again.exit_code != 0 and "already exists" in again.output
    short = runner.invoke(args=["create-staff-user", "--email", "other@network.test", "--password", "short"])
    assert short.exit_code != 0 and "at least 10 characters" in short.output
    assert db.session.scalar(select(StaffUser.id).where(StaffUser.email == "other@network.test")) is None
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.target_id == str(user.id))) == "staff_user.created"


def test_create_admin_with_every_permission(app, db):
    result = app.test_cli_runner().invoke(args=["create-staff-user", "--email", "root@network.test",
                                                "--all-permissions", "--password", "a-long-password"])
    assert result.exit_code == 0
    assert db.session.scalar(select(StaffUser.permissions)) == list(PERMISSIONS)


def test_worker_once_releases_holds_whose_period_ended(app, db, make):
    offer, partner = make.offer(), make.partner()
    now = datetime.now(UTC)
    due = make.conversion(partner, offer, status="on_hold", hold_until=now - timedelta(minutes=1)).id
    later = make.conversion(partner, offer, status="on_hold", hold_until=now + timedelta(days=3)).id
    result = app.test_cli_runner().invoke(args=["scheduler", "--once"])
    assert result.exit_code == 0 and "release on-hold conversions: 1" in result.output
    assert db.session.get(Conversion, due).status == "approved"
    assert db.session.get(Conversion, later).status == "on_hold"


def test_released_holds_move_in_the_report_rollups_too(app, db, make):
    from portal.models import ReportRollup
    from portal.services import rollups

    offer, partner = make.offer(), make.partner()
    partner_id = partner.id  # the worker ends its session, detaching what the test loaded
    make.conversion(partner, offer, status="on_hold", payout_cents=700,
                    hold_until=datetime.now(UTC) - timedelta(minutes=1))
    app.test_cli_runner().invoke(args=["scheduler", "--once"])
    row = db.session.scalars(select(ReportRollup).where(ReportRollup.partner_id == partner_id)).one()
    assert (row.conversions, row.earnings_cents, row.on_hold_conversions) == (1, 700, 0)
    written = (row.conversions, row.earnings_cents, row.on_hold_conversions, row.on_hold_earnings_cents)
    rollups.rebuild(db.session, [partner_id])
    db.session.commit()
    rebuilt = db.session.scalars(select(ReportRollup).where(ReportRollup.partner_id == partner_id)).one()
    assert written == (rebuilt.conversions, rebuilt.earnings_cents, rebuilt.on_hold_conversions,
                       rebuilt.on_hold_earnings_cents)


def test_released_holds_notify_the_postbacks_subscribed_to_status_updates(app, db, make):
    import json

    from portal.models import PostbackDelivery

    offer, partner = make.offer(), make.partner()
    subscribed = make.server_postback(partner, send_status_updates=True).id
    make.server_postback(partner)  # fires for new conversions only
    make.conversion(partner, offer, status="on_hold", hold_until=datetime.now(UTC) - timedelta(minutes=1))
    app.test_cli_runner().invoke(args=["scheduler", "--once"])
    updates = db.session.scalars(select(PostbackDelivery).where(PostbackDelivery.kind == "update")).all()
    assert [d.postback_id for d in updates] == [subscribed]
    assert json.loads(updates[0].macro_values)["status"] == "approved"
