"""My Account → Users: a partner admin invites by email with a role, the invitee accepts from the mail and
is signed in with that role; role changes, deactivation, the last admin, resend and revoke; and partner A's
admin can neither see nor change anything of partner B's."""

from __future__ import annotations

import html
from datetime import timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.models import AuditEvent, Invitation, PartnerUser, SignInSession
from portal.models.base import utcnow
from portal.web.auth.reset import LINK_INVALID
from tests.mailbox import link_in, parts, raw_form

PASSWORD = "invited-user-password"


@pytest.fixture
def app(mail_app):
    return mail_app


@pytest.fixture
def company(make):
    partner = make.partner(name="Bluebird Media")
    return partner, make.partner_user(partner, email="boss@bluebird.example", role="admin")


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _accept(client, link: str, name: str = "New Person"):
    return client.post(link, data={"name": name, "new_password": PASSWORD, "confirm_password": PASSWORD})


def test_an_admin_invites_and_the_invitee_signs_in_with_the_role(app, client, login_as, company, mailbox, db):
    partner, boss = company
    login_as.partner(boss)
    sent = client.post("/account/users/invite", data={"email": "New@Bluebird.example", "role": "reports"})
    assert sent.status_code == 302
    page = _text(client.get("/account/users"))
    assert "new@bluebird.example" in page and "Resend" in page

    (message,) = mailbox.wait(1)
    assert mailbox.recipients() == [["new@bluebird.example"]]
    text, html_part = parts(message)
    assert "Bluebird Media" in text and "Reports only" in text and "7 days" in text
    link = link_in(message, "/invitation/")
    stored = db.session.scalar(sa.select(Invitation))
    assert link.rsplit("/", 1)[1] not in stored.token_hash

    invitee = app.test_client()
    form = invitee.get(link)
    assert form.status_code == 200 and "new@bluebird.example" in _text(form)
    accepted = _accept(invitee, link)
    assert accepted.status_code == 302 and accepted.headers["Location"] == "/"
    assert invitee.get("/reports").status_code == 200
    assert invitee.get("/postbacks").status_code == 403
    user = db.session.scalar(sa.select(PartnerUser).where(PartnerUser.email == "new@bluebird.example"))
    assert (user.partner_id, user.role, user.active, user.name) == (partner.id, "reports", True, "New Person")

    assert app.test_client().get(link).status_code == 410  # used up
    assert _accept(app.test_client(), link).status_code == 410
    actions = set(db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.action.like("invitation.%"))))
    assert actions == {"invitation.created", "invitation.accepted"}


def test_inviting_an_existing_or_invited_email_is_a_form_error(client, login_as, company, make, mailbox):
    partner, boss = company
    elsewhere = make.partner_user(make.partner(), email="taken@other.example")
    login_as.partner(boss)
    for email in (boss.email, elsewhere.email.upper()):
        refused = client.post("/account/users/invite", data={"email": email, "role": "reports"})
        assert refused.status_code == 400 and "exists already" in _text(refused)
    client.post("/account/users/invite", data={"email": "once@bluebird.example", "role": "reports"})
    twice = client.post("/account/users/invite", data={"email": "once@bluebird.example", "role": "admin"})
    assert twice.status_code == 400 and "pending invitation" in _text(twice)
    bad = client.post("/account/users/invite", data={"email": "not-an-email", "role": "reports"})
    assert bad.status_code == 400 and "valid email" in _text(bad)
    assert client.post("/account/users/invite", data={"email": "x@bluebird.example", "role": "owner"}).status_code == 400
    mailbox.wait(1)
    assert mailbox.recipients() == [["once@bluebird.example"]]


def test_resend_replaces_the_link_and_revoke_ends_it(app, client, login_as, company, mailbox, db):
    _, boss = company
    login_as.partner(boss)
    client.post("/account/users/invite", data={"email": "later@bluebird.example", "role": "postbacks_reports"})
    invitation = db.session.scalar(sa.select(Invitation))
    assert client.post(f"/account/invitations/{invitation.id}/resend").status_code == 302
    first, second = (link_in(m, "/invitation/") for m in mailbox.wait(2))
    assert first != second
    assert app.test_client().get(first).status_code == 410
    assert app.test_client().get(second).status_code == 200
    assert client.post(f"/account/invitations/{invitation.id}/revoke").status_code == 302
    gone = app.test_client().get(second)
    assert gone.status_code == 410 and LINK_INVALID in _text(gone)
    client.get("/account/users")  # shows the flashed messages
    assert 'data-invitation="later@bluebird.example"' not in _text(client.get("/account/users"))


def test_an_expired_invitation_is_refused(app, client, login_as, company, mailbox, db):
    _, boss = company
    login_as.partner(boss)
    client.post("/account/users/invite", data={"email": "slow@bluebird.example", "role": "reports"})
    link = link_in(mailbox.wait(1)[0], "/invitation/")
    db.session.execute(sa.update(Invitation).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert _accept(app.test_client(), link).status_code == 410
    assert db.session.scalar(sa.select(PartnerUser).where(PartnerUser.email == "slow@bluebird.example")) is None
    assert "expired" in _text(client.get("/account/users"))  # still listed, to resend


def test_roles_change_and_a_deactivated_teammate_is_signed_out(app, client, login_as, company, make, db):
    partner, boss = company
    mate = make.partner_user(partner, email="mate@bluebird.example", role="reports")
    mate_client = app.test_client()
    mate_client.post("/login", data={"email": mate.email, "password": "correct-horse-battery"})
    assert mate_client.get("/postbacks").status_code == 403

    login_as.partner(boss)
    assert client.post(f"/account/users/{mate.id}/role", data={"role": "postbacks_reports"}).status_code == 302
    assert mate_client.get("/postbacks").status_code == 200  # the next request sees the new role

    assert client.post(f"/account/users/{mate.id}/deactivate").status_code == 302
    assert mate_client.get("/reports").status_code == 302
    live = db.session.scalars(sa.select(SignInSession).where(SignInSession.user_kind == "partner",
                                                             SignInSession.user_id == mate.id,
                                                             SignInSession.ended_at.is_(None))).all()
    assert live == []
    assert client.post(f"/account/users/{mate.id}/reactivate").status_code == 302
    db.session.refresh(mate)
    assert mate.active and mate.role == "postbacks_reports"
    audited = db.session.execute(sa.select(AuditEvent.action, AuditEvent.actor_id).where(
        AuditEvent.action.like("partner_user.%")).order_by(AuditEvent.id)).all()
    assert audited == [("partner_user.role_changed", boss.id), ("partner_user.deactivated", boss.id),
                       ("partner_user.activated", boss.id)]


def test_the_last_active_admin_cannot_step_down_or_leave(client, login_as, company, make, db):
    partner, boss = company
    login_as.partner(boss)
    for action, data in (("role", {"role": "reports"}), ("deactivate", {})):
        refused = client.post(f"/account/users/{boss.id}/{action}", data=data)
        assert refused.status_code == 409 and "at least one active admin" in _text(refused)
    db.session.refresh(boss)
    assert boss.role == "admin" and boss.active
    second = make.partner_user(partner, role="admin")
    assert client.post(f"/account/users/{second.id}/deactivate").status_code == 302
    assert client.post(f"/account/users/{boss.id}/role", data={"role": "reports"}).status_code == 409
    client.post(f"/account/users/{second.id}/reactivate")
    assert client.post(f"/account/users/{boss.id}/role", data={"role": "reports"}).status_code == 302
    assert client.get("/account/users").status_code == 403  # no longer an admin


def test_an_admin_of_one_partner_cannot_touch_anothers_team(app, client, login_as, company, make, db, mailbox):
    _, boss = company
    other = make.partner(name="Rival Co")
    rival = make.partner_user(other, email="rival@rival.test", role="admin")
    rival_invite = Invitation(kind="partner", partner_id=other.id, email="ri@rival.test", role="reports",
                              token_hash="2" * 64, invited_by_kind="partner", invited_by_id=rival.id,
                              expires_at=utcnow() + timedelta(days=1))
    db.session.add(rival_invite)
    db.session.commit()
    login_as.partner(boss)

    page = _text(client.get("/account/users"))
    assert "rival@rival.test" not in page and "ri@rival.test" not in page
    for path, data in ((f"/account/users/{rival.id}/role", {"role": "reports"}),
                       (f"/account/users/{rival.id}/deactivate", {}),
                       (f"/account/users/{rival.id}/reactivate", {}),
                       (f"/account/invitations/{rival_invite.id}/resend", {}),
                       (f"/account/invitations/{rival_invite.id}/revoke", {})):
        assert client.post(path, data=data).status_code == 404, path
    # A partner id in the body is ignored: the invitation is always to the inviter's own partner.
    client.post("/account/users/invite", data={"email": "sneak@x.example", "role": "admin", "partner_id": other.id})
    sneak = db.session.scalar(sa.select(Invitation).where(Invitation.email == "sneak@x.example"))
    assert sneak.partner_id == boss.partner_id
    db.session.refresh(rival)
    db.session.refresh(rival_invite)
    assert (rival.role, rival.active, rival_invite.revoked_at) == ("admin", True, None)
    assert rival_invite.token_hash == "2" * 64


@pytest.mark.parametrize("number", [2**31, 2**63, 2**64 + 5])
def test_huge_ids_are_a_404(client, login_as, company, number):
    login_as.partner(company[1])
    for path in (f"/account/users/{number}/role", f"/account/users/{number}/deactivate",
                 f"/account/invitations/{number}/resend", f"/account/invitations/{number}/revoke"):
        assert client.post(path, data={"role": "reports"}).status_code == 404


WEIRD = st.one_of(st.text(max_size=30), st.sampled_from(["\ud800", "a\x00b", "x@y.test\udfff", str(2**63), ""]),
                  st.integers(min_value=2**63, max_value=2**80).map(str))


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(email=WEIRD, role=WEIRD)
def test_the_invite_form_answers_any_input_with_a_4xx(client, login_as, company, email, role):
    login_as.partner(company[1])
    response = client.post("/account/users/invite", **raw_form({"email": email, "role": role}))
    assert response.status_code in (302, 400)


@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(role=WEIRD)
def test_the_role_form_answers_any_input_with_a_4xx(client, login_as, company, make, role):
    login_as.partner(company[1])
    mate = make.partner_user(company[0], role="reports")
    response = client.post(f"/account/users/{mate.id}/role", **raw_form({"role": role}))
    assert response.status_code in (302, 400)


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=WEIRD, password=WEIRD)
def test_the_acceptance_form_answers_any_input_without_a_server_error(app, db, name, password):
    from portal.services.tokens import new_token
    from tests.factories import Factories

    partner = Factories(db).partner()
    token, hashed = new_token()
    db.session.add(Invitation(kind="partner", partner_id=partner.id, email=f"f{hashed[:8]}@fuzz.test", role="reports",
                              token_hash=hashed, invited_by_kind="system", expires_at=utcnow() + timedelta(days=1)))
    db.session.commit()
    response = app.test_client().post(f"/invitation/{token}", **raw_form({"name": name, "new_password": password,
                                                                          "confirm_password": password}))
    assert response.status_code in (302, 400)
