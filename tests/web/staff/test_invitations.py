"""Staff invite partner users to a chosen partner with a role (partners:manage) and staff users with
permissions (security:full_control); the invitee accepts from the mail and is signed in."""

from __future__ import annotations

import html

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.models import AuditEvent, Invitation, PartnerUser, StaffUser
from tests.mailbox import link_in, raw_form

PASSWORD = "invited-staff-password"


@pytest.fixture
def app(mail_app):
    return mail_app


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _accept(client, link: str):
    return client.post(link, data={"name": "Invited", "new_password": PASSWORD, "confirm_password": PASSWORD})


def test_an_account_manager_invites_a_partner_user(app, client, make, login_as, mailbox, db):
    partner = make.partner(name="Gamma Traffic")
    am = make.staff(permissions=["partners:view", "partners:manage"])
    login_as.staff(am)
    tab = _text(client.get(f"/staff/partners/{partner.id}/users"))
    assert 'id="invite-form"' in tab
    sent = client.post(f"/staff/partners/{partner.id}/users/invite",
                       data={"email": "lead@gamma.example", "role": "postbacks_reports"})
    assert sent.status_code == 302
    assert "lead@gamma.example" in _text(client.get(f"/staff/partners/{partner.id}/users"))
    (message,) = mailbox.wait(1)
    assert "Gamma Traffic" in message.get_body(("plain",)).get_content()
    invitee = app.test_client()
    assert _accept(invitee, link_in(message, "/invitation/")).headers["Location"] == "/"
    assert invitee.get("/postbacks").status_code == 200 and invitee.get("/account/api").status_code == 403
    user = db.session.scalar(sa.select(PartnerUser).where(PartnerUser.email == "lead@gamma.example"))
    assert (user.partner_id, user.role) == (partner.id, "postbacks_reports")
    created = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "invitation.created"))
    assert (created.actor_type, created.actor_id) == ("staff", am.id)


def test_a_viewer_sees_no_invite_form_and_cannot_post_one(client, make, login_as):
    partner = make.partner()
    login_as.staff(make.staff(permissions=["partners:view"]))
    assert 'id="invite-form"' not in _text(client.get(f"/staff/partners/{partner.id}/users"))
    assert client.post(f"/staff/partners/{partner.id}/users/invite",
                       data={"email": "x@gamma.example", "role": "admin"}).status_code == 403


def test_a_security_admin_invites_a_staff_user_with_permissions(app, client, make, login_as, mailbox, db):
    login_as.staff(make.staff(permissions=["security:full_control", "partners:view", "partners:manage"]))
    sent = client.post("/staff/staff-users/invite",
                       data={"email": "new.am@network.example", "permissions": ["partners:view", "partners:manage"]})
    assert sent.status_code == 302
    link = link_in(mailbox.wait(1)[0], "/invitation/")
    invitee = app.test_client()
    assert _accept(invitee, link).headers["Location"] == "/staff/"
    staff = db.session.scalar(sa.select(StaffUser).where(StaffUser.email == "new.am@network.example"))
    assert sorted(staff.permissions) == ["partners:manage", "partners:view"]
    assert invitee.get("/staff/partners").status_code == 200
    assert invitee.get("/staff/settings").status_code == 403


def test_staff_invitations_refuse_known_emails_and_unknown_permissions(client, make, login_as):
    existing = make.staff(email="old@network.example")
    login_as.staff(make.staff(permissions=["security:full_control"]))
    taken = client.post("/staff/staff-users/invite", data={"email": existing.email, "permissions": ["partners:view"]})
    assert taken.status_code == 400 and "exists already" in _text(taken)
    odd = client.post("/staff/staff-users/invite", data={"email": "n@network.example", "permissions": ["root"]})
    assert odd.status_code == 400


def test_an_account_manager_without_a_key_permission_cannot_invite_a_partner_admin(client, make, login_as, mailbox):
    """An admin reads the company's API keys: inviting one would reveal a key the inviter may not see."""
    partner = make.partner()
    login_as.staff(make.staff(permissions=["partners:view", "partners:manage"]))
    refused = client.post(f"/staff/partners/{partner.id}/users/invite", data={"email": "a@p.example", "role": "admin"})
    assert refused.status_code == 400 and "needs the Security or Accounts-history permission" in _text(refused)
    assert client.post(f"/staff/partners/{partner.id}/users/invite",
                       data={"email": "r@p.example", "role": "reports"}).status_code == 302
    login_as.staff(make.staff(permissions=["partners:view", "partners:manage", "accounts_history:full_access"]))
    assert client.post(f"/staff/partners/{partner.id}/users/invite",
                       data={"email": "a@p.example", "role": "admin"}).status_code == 302
    mailbox.wait(2)
    assert sorted(r[0] for r in mailbox.recipients()) == ["a@p.example", "r@p.example"]


def test_staff_grant_only_permissions_they_hold(client, make, login_as, db):
    login_as.staff(make.staff(permissions=["security:full_control", "partners:view"]))
    refused = client.post("/staff/staff-users/invite",
                          data={"email": "n@network.example", "permissions": ["partners:view", "settings:manage"]})
    assert refused.status_code == 400 and "only permissions you hold" in _text(refused)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Invitation)) == 0
    assert client.post("/staff/staff-users/invite", data={"email": "n@network.example",
                                                          "permissions": ["partners:view"]}).status_code == 302


def test_staff_resend_and_revoke_only_the_partners_own_invitations(client, make, login_as, db, mailbox):
    one, two = make.partner(), make.partner()
    login_as.staff(make.staff(permissions=["partners:view", "partners:manage"]))
    client.post(f"/staff/partners/{one.id}/users/invite", data={"email": "p@one.example", "role": "reports"})
    invitation = db.session.scalar(sa.select(Invitation))
    assert client.post(f"/staff/partners/{two.id}/invitations/{invitation.id}/revoke").status_code == 404
    assert client.post(f"/staff/partners/{one.id}/invitations/{invitation.id}/resend").status_code == 302
    assert client.post(f"/staff/partners/{one.id}/invitations/{invitation.id}/revoke").status_code == 302
    db.session.refresh(invitation)
    assert invitation.revoked_at is not None
    assert client.post(f"/staff/partners/{one.id}/invitations/{2**63}/revoke").status_code == 404


WEIRD = st.one_of(st.text(max_size=30), st.sampled_from(["\ud800", "a\x00b", "x@y.example\udfff", str(2**63)]),
                  st.integers(min_value=2**63, max_value=2**80).map(str))


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(email=WEIRD, permission=WEIRD)
def test_the_staff_invite_form_answers_any_input_with_a_4xx(client, make, login_as, email, permission):
    login_as.staff(make.staff(permissions=["security:full_control"]))
    response = client.post("/staff/staff-users/invite", **raw_form({"email": email, "permissions": permission}))
    assert response.status_code in (302, 400)


def test_staff_invitations_are_resent_and_revoked(app, client, make, login_as, mailbox, db):
    login_as.staff(make.staff(permissions=["security:full_control", "partners:view"]))
    client.post("/staff/staff-users/invite", data={"email": "ops@network.example", "permissions": ["partners:view"]})
    invitation = db.session.scalar(sa.select(Invitation))
    assert "ops@network.example" in _text(client.get("/staff/staff-users"))
    assert client.post(f"/staff/staff-users/invitations/{invitation.id}/resend").status_code == 302
    first, second = (link_in(m, "/invitation/") for m in mailbox.wait(2))
    assert app.test_client().get(first).status_code == 410
    assert client.post(f"/staff/staff-users/invitations/{invitation.id}/revoke").status_code == 302
    assert app.test_client().get(second).status_code == 410
    assert client.post(f"/staff/staff-users/invitations/{invitation.id}/revoke").status_code == 404  # not pending
    actions = sorted(db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.action.like("invitation.%"))))
    assert actions == ["invitation.created", "invitation.resent", "invitation.revoked"]


def test_an_email_that_became_a_user_meanwhile_cannot_accept(app, client, make, login_as, mailbox, db):
    partner = make.partner()
    login_as.staff(make.staff(permissions=["partners:view", "partners:manage"]))
    client.post(f"/staff/partners/{partner.id}/users/invite", data={"email": "race@gamma.example", "role": "reports"})
    link = link_in(mailbox.wait(1)[0], "/invitation/")
    make.partner_user(make.partner(), email="race@gamma.example")  # added some other way in between
    refused = _accept(app.test_client(), link)
    assert refused.status_code == 400 and "exists already" in _text(refused)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PartnerUser)
                             .where(PartnerUser.email == "race@gamma.example")) == 1


def test_an_invitation_is_worth_no_more_than_its_inviter_now(app, client, make, login_as, mailbox, db):
    """An inviter who lost the permission (or left) before the invitee accepted: the link opens nothing."""
    inviter = make.staff(permissions=["security:full_control", "partners:view"])
    login_as.staff(inviter)
    assert client.post("/staff/staff-users/invite", data={"email": "late@network.example",
                                                          "permissions": ["partners:view"]}).status_code == 302
    link = link_in(mailbox.wait(1)[0], "/invitation/")
    inviter.permissions = ["security:full_control"]
    db.session.commit()
    invitee = app.test_client()
    assert invitee.get(link).status_code == 410
    assert _accept(invitee, link).status_code == 410
    inviter.permissions = ["security:full_control", "partners:view"]  # given back: the link works again
    db.session.commit()
    assert _accept(invitee, link).status_code == 302
    assert db.session.scalar(sa.select(StaffUser).where(StaffUser.email == "late@network.example")) is not None


def test_a_partner_admins_invitation_ends_with_their_admin_role(app, client, make, login_as, mailbox, db):
    partner = make.partner()
    admin = make.partner_user(partner, role="admin")
    make.partner_user(partner, role="admin")  # the company keeps an admin
    login_as.partner(admin)
    assert client.post("/account/users/invite", data={"email": "mate@p.example", "role": "reports"}).status_code == 302
    link = link_in(mailbox.wait(1)[0], "/invitation/")
    admin.role = "reports"
    db.session.commit()
    assert _accept(app.test_client(), link).status_code == 410
