"""Every issue, reveal, revoke and allowlist change writes exactly one AuditEvent, in the same transaction."""

from __future__ import annotations

import contextlib

import pytest
from sqlalchemy import event, func, select

from portal.models import ApiKey, AuditEvent
from portal.services.keys import issue_key, reveal_key, revoke_key, set_allowlist


class CommitRefused(Exception):
    pass


@contextlib.contextmanager
def failing_commit(db):
    """The next commit fails after every staged row has reached the database inside the transaction."""

    def refuse(session):
        session.flush()  # the change and its audit row are both in the database's open transaction now
        raise CommitRefused()

    event.listen(db.session(), "before_commit", refuse)
    try:
        yield
    finally:
        event.remove(db.session(), "before_commit", refuse)
        db.session.rollback()


def audit_rows(db, action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def key_count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(ApiKey))


@pytest.fixture
def staff(make):
    return make.staff()


@pytest.fixture
def key(db, make, staff):
    return issue_key(make.partner(), "Looker", actor=staff).key


def test_issuing_writes_one_audit_event(db, make, staff):
    partner = make.partner()
    issued = issue_key(partner, "Looker", actor=staff, ip="198.51.100.7")
    [event_row] = audit_rows(db, "api_key.issued")
    assert (event_row.actor_type, event_row.actor_id, event_row.target_id, event_row.ip) == (
        "staff", staff.id, str(issued.key.id), "198.51.100.7")
    assert issued.secret not in repr(event_row.detail)


def test_a_failed_issue_leaves_neither_the_key_nor_its_audit_event(db, make, staff):
    partner = make.partner()
    with failing_commit(db), pytest.raises(CommitRefused):
        issue_key(partner, "Looker", actor=staff)
    assert key_count(db) == 0 and audit_rows(db, "api_key.issued") == []


def test_revealing_writes_one_audit_event(db, key, staff):
    reveal_key(key, staff)
    assert len(audit_rows(db, "api_key.revealed")) == 1


def test_a_reveal_whose_audit_cannot_be_written_reveals_nothing(db, key, staff):
    with failing_commit(db), pytest.raises(CommitRefused):
        reveal_key(key, staff)
    assert audit_rows(db, "api_key.revealed") == []


def test_revoking_writes_one_audit_event(db, key, staff):
    assert revoke_key(key, staff)
    assert not revoke_key(key, staff)  # already revoked: nothing changes, nothing is recorded
    assert len(audit_rows(db, "api_key.revoked")) == 1


def test_a_failed_revoke_leaves_the_key_live_and_no_audit_event(db, key, staff):
    with failing_commit(db), pytest.raises(CommitRefused):
        revoke_key(key, staff)
    db.session.refresh(key)
    assert key.revoked_at is None and audit_rows(db, "api_key.revoked") == []


def test_an_allowlist_change_writes_one_audit_event_with_before_and_after(db, key, staff):
    set_allowlist(key, "203.0.113.0/24", staff)
    [event_row] = audit_rows(db, "api_key.allowlist_changed")
    assert event_row.detail["from"] == [] and event_row.detail["to"] == ["203.0.113.0/24"]


def test_a_failed_allowlist_change_leaves_the_list_and_no_audit_event(db, key, staff):
    with failing_commit(db), pytest.raises(CommitRefused):
        set_allowlist(key, "203.0.113.0/24", staff)
    db.session.refresh(key)
    assert key.ip_allowlist == [] and audit_rows(db, "api_key.allowlist_changed") == []


def test_the_operator_cli_is_audited_as_the_system(app, db, make):
    partner = make.partner()
    result = app.test_cli_runner().invoke(args=["keys", "issue", "--partner", partner.partner_key,
                                                "--label", "Nightly export"])
    assert result.exit_code == 0, result.output
    [event_row] = audit_rows(db, "api_key.issued")
    assert event_row.actor_type == "system" and event_row.actor_id is None
