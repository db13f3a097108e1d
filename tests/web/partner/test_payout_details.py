"""Billing → Payout details: stored encrypted (the raw column holds no clear IBAN or address), shown masked,
changed only by the company's admin with the password (and a two-factor code when it is on); each change is
audited with masked values only, the account manager is mailed and the company's users are told in the
portal. Bad input is a 400, another partner's details are never reachable, staff reveal them only with
the Security permission (audited)."""

from __future__ import annotations

import html
import json

import pytest
import sqlalchemy as sa

from portal.models import AuditEvent, PartnerNotice, PayoutDetails
from tests.conftest import TEST_PASSWORD
from tests.mailbox import parts, raw_form
from tests.two_factor import PARTNER, enable, fresh_code, wrong_code

IBAN = "DE89 3704 0044 0532 0130 00"
CLEAR_IBAN = "DE89370400440532013000"
PAGE = "/billing/payout-details"


@pytest.fixture
def app(mail_app):
    return mail_app


@pytest.fixture
def company(make):
    manager = make.staff(email="am@network.test", name="Alex Manager", permissions=["partners:view"])
    partner = make.partner(name="Bluebird Media", account_manager_id=manager.id)
    admin = make.partner_user(partner, email="boss@bluebird.example", role="admin")
    member = make.partner_user(partner, email="analyst@bluebird.example", role="reports")
    return partner, admin, member


def _sepa(**extra) -> dict:
    return {"method": "sepa", "account_holder": "Maria Garcia", "iban": IBAN, "bic": "COBADEFFXXX",
            "bank_name": "Commerzbank", "tax_form": "W-8BEN", "tax_status": "submitted", "password": TEST_PASSWORD,
            **extra}


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _raw_row(db, partner_id: int) -> dict:
    row = db.session.execute(sa.text("SELECT * FROM partner_payout_details WHERE partner_id = :p"),
                             {"p": partner_id}).mappings().one()
    return dict(row)


def test_saved_details_are_encrypted_at_rest_shown_masked_and_said_back(client, login_as, company, db, mailbox):
    partner, admin, _ = company
    login_as.partner(admin)
    saved = client.post(PAGE, data=_sepa())
    assert saved.status_code == 302 and saved.location == PAGE
    page = _text(client.get(PAGE))
    assert "DE89 **** **** 3000" in page and "M*** G***" in page
    assert CLEAR_IBAN not in page and IBAN not in page and "Maria Garcia" not in page
    assert "Changed: payment method, Account holder, IBAN" in page  # the confirmation of what changed
    assert "your account manager by email" in page

    raw = _raw_row(db, partner.id)
    stored = bytes(raw["encrypted_details"])
    assert CLEAR_IBAN.encode() not in stored and b"Maria" not in stored
    everything = json.dumps({k: v if not isinstance(v, (bytes, memoryview)) else bytes(v).hex()
                             for k, v in raw.items()}, default=str)
    assert CLEAR_IBAN not in everything and "Maria Garcia" not in everything
    mailbox.wait(1)


def test_a_change_is_audited_with_masked_values_only(client, login_as, company, db, mailbox):
    partner, admin, _ = company
    login_as.partner(admin)
    client.post(PAGE, data={"method": "paypal", "paypal_email": "jane.doe@example.com", "tax_status": "not_submitted",
                            "password": TEST_PASSWORD})
    client.post(PAGE, data=_sepa())
    events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "payout_details.changed")
                                .order_by(AuditEvent.id)).all()
    assert len(events) == 2
    last = events[-1]
    assert (last.actor_label, last.target_type, last.target_id) == (admin.email, "Partner", str(partner.id))
    assert last.detail["masked"]["iban"] == "DE89 **** **** 3000"
    assert last.detail["previous_masked"] == {"paypal_email": "j***@example.com"}
    assert "iban" in last.detail["changed"] and "method" in last.detail["changed"]
    every_detail = json.dumps([e.detail for e in db.session.scalars(sa.select(AuditEvent))])
    assert CLEAR_IBAN not in every_detail and "jane.doe" not in every_detail and "Maria Garcia" not in every_detail
    mailbox.wait(2)


def test_the_account_manager_is_mailed_and_the_partners_users_are_told(app, client, login_as, company, db, mailbox):
    partner, admin, member = company
    client.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    login_as.partner(admin)
    saved = client.post(PAGE, data=_sepa())
    assert saved.status_code == 302 and saved.location == PAGE, saved.location

    (message,) = mailbox.wait(1)
    assert mailbox.recipients() == [["am@network.test"]]
    assert "Bluebird Media" in message["Subject"]
    text, html_part = parts(message)
    assert "boss@bluebird.example" in text and "203.0.113.9" in text and "DE89 **** **** 3000" in text
    assert CLEAR_IBAN not in text + html_part and "Maria Garcia" not in text + html_part
    assert f"/staff/partners/{partner.id}/payout" in text

    notice = db.session.scalar(sa.select(PartnerNotice).where(PartnerNotice.partner_id == partner.id))
    assert notice.kind == "payout_details_changed" and "boss@bluebird.example" in notice.body
    other = app.test_client()
    other.post("/login", data={"email": member.email, "password": TEST_PASSWORD})
    assert "Your payout details were changed" in _text(other.get("/offers"))


def test_a_member_sees_them_masked_and_cannot_change_them(app, client, login_as, company, db, mailbox):
    partner, admin, member = company
    login_as.partner(admin)
    client.post(PAGE, data=_sepa())
    mailbox.wait(1)
    before = _raw_row(db, partner.id)

    other = app.test_client()
    other.post("/login", data={"email": member.email, "password": TEST_PASSWORD})
    page = _text(other.get(PAGE))
    assert "DE89 **** **** 3000" in page and "Only your company's admin" in page and 'name="iban"' not in page
    refused = other.post(PAGE, data=_sepa(iban="GB82 WEST 1234 5698 7654 32"))
    assert refused.status_code == 403
    db.session.expire_all()
    assert _raw_row(db, partner.id) == before


def test_a_wrong_password_refuses_and_changes_nothing(client, login_as, company, db, mailbox):
    partner, admin, _ = company
    login_as.partner(admin)
    refused = client.post(PAGE, data=_sepa(password="not-the-password"))
    assert refused.status_code == 400 and "The password is not correct." in _text(refused)
    refused = client.post(PAGE, data=_sepa(password=""))
    assert refused.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PayoutDetails)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PartnerNotice)) == 0
    actions = db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.action.like("payout%"))).all()
    assert actions == ["payout_details.confirmation_failed"]
    assert mailbox.received == []


def test_with_two_factor_on_a_current_code_is_needed_too(client, login_as, company, db, mailbox):
    partner, admin, _ = company
    login_as.partner(admin)
    secret, _ = enable(client, db, admin, PARTNER)
    assert 'name="code"' in _text(client.get(PAGE))
    refused = client.post(PAGE, data=_sepa(code=wrong_code(secret)))
    assert refused.status_code == 400 and "code is not right" in _text(refused)
    refused = client.post(PAGE, data=_sepa())
    assert refused.status_code == 400
    assert db.session.get(PayoutDetails, partner.id) is None
    assert client.post(PAGE, data=_sepa(code=fresh_code(db, admin, secret))).status_code == 302
    mailbox.wait(1)


@pytest.mark.parametrize("fields,error", [
    ({"iban": "DE89 3704 0044 0532 0130 01"}, "not a valid IBAN"),
    ({"method": "paypal", "paypal_email": "jane.doe@"}, "email address of your PayPal account"),
    ({"method": "ach", "account_number": "12345678", "routing_number": "011000016"}, "routing number"),
    ({"bic": "DEUTDEF"}, "BIC"),
    ({"iban": "DE89" + "0" * 5000}, ""),
    ({"account_holder": "9" * 400}, "at most"),
    ({"method": "bitcoin"}, ""),
    ({"tax_form": "W-2"}, ""),
    ({"tax_status": "approved"}, ""),
])
def test_bad_input_is_a_400_that_says_why_and_changes_nothing(client, login_as, company, db, fields, error):
    _, admin, _ = company
    login_as.partner(admin)
    refused = client.post(PAGE, data=_sepa(**fields))
    assert refused.status_code == 400 and error in _text(refused)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PayoutDetails)) == 0


@pytest.mark.parametrize("field", ["account_holder", "iban", "password", "code", "method"])
def test_lone_surrogates_and_nul_are_a_400_not_a_500(client, login_as, company, db, field):
    _, admin, _ = company
    login_as.partner(admin)
    for bad in ("x\ud800", "x\x00", "x\ufffd"):
        refused = client.post(PAGE, **raw_form({**_sepa(), field: bad}))
        # An undecodable byte may reach the form as its %-escapes (text a name may hold): never a 500.
        assert refused.status_code == 400 or (field == "account_holder" and bad == "x\ud800"), (field, bad)
    assert client.post(PAGE, json=_sepa()).status_code == 415
    stored = db.session.get(PayoutDetails, company[0].id)
    assert stored is None or "\ufffd" not in json.dumps(stored.masked)


def test_no_route_shows_another_partners_details(app, client, login_as, company, make, db, mailbox):
    partner, admin, _ = company
    login_as.partner(admin)
    client.post(PAGE, data=_sepa())
    mailbox.wait(1)
    other = make.partner(name="Other Co")
    outsider = make.partner_user(other, email="boss@other.example", role="admin")
    theirs = app.test_client()
    theirs.post("/login", data={"email": outsider.email, "password": TEST_PASSWORD})
    page = _text(theirs.get(PAGE))
    assert "DE89" not in page and "None yet" in page
    # Saving their own details never touches the first partner's row.
    assert theirs.post(PAGE, data=_sepa(iban="GB82 WEST 1234 5698 7654 32")).status_code == 302
    assert "DE89 **** **** 3000" in _text(client.get(PAGE))
    assert "GB82 **** **** 5432" in _text(theirs.get(PAGE))
    for path in (f"/billing/payout-details/{partner.id}", f"/staff/partners/{partner.id}/payout"):
        assert theirs.get(path).status_code in (302, 404)
    assert len(mailbox.received) == 1  # the other partner has no account manager to tell


def test_staff_see_them_masked_and_reveal_them_only_with_security_audited(app, client, login_as, company, make, db,
                                                                           mailbox):
    partner, admin, _ = company
    login_as.partner(admin)
    client.post(PAGE, data=_sepa())
    mailbox.wait(1)
    viewer = make.staff(email="viewer@network.test", permissions=["partners:view"])
    security = make.staff(email="sec@network.test", permissions=["partners:view", "security:full_control"])

    staff = app.test_client()
    staff.post("/staff/login", data={"email": viewer.email, "password": TEST_PASSWORD})
    page = _text(staff.get(f"/staff/partners/{partner.id}/payout"))
    assert "DE89 **** **** 3000" in page and CLEAR_IBAN not in page and "Show in full" not in page
    assert staff.post(f"/staff/partners/{partner.id}/payout/reveal").status_code == 403
    assert staff.get(f"/staff/partners/{2**63}/payout").status_code == 404
    assert staff.get("/staff/partners/999999/payout").status_code == 404

    sec = app.test_client()
    sec.post("/staff/login", data={"email": security.email, "password": TEST_PASSWORD})
    assert "Show in full" in _text(sec.get(f"/staff/partners/{partner.id}/payout"))
    asked = sec.post(f"/staff/partners/{partner.id}/payout/reveal")  # not confirmed yet: nothing shown
    assert asked.status_code == 303 and "/staff/confirm-identity" in asked.headers["Location"]
    assert CLEAR_IBAN not in _text(asked)
    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "payout_details.revealed")) is None
    assert sec.post("/staff/confirm-identity", data={"password": TEST_PASSWORD}).status_code == 303
    shown = sec.post(f"/staff/partners/{partner.id}/payout/reveal")
    assert shown.status_code == 200 and CLEAR_IBAN in _text(shown) and "Maria Garcia" in _text(shown)
    assert shown.headers["Cache-Control"].startswith("no-store")
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "payout_details.revealed"))
    assert event.actor_label == security.email and event.target_id == str(partner.id)
    assert CLEAR_IBAN not in json.dumps(event.detail)
    assert sec.post(f"/staff/partners/{2**40}/payout/reveal").status_code == 404


def test_an_approved_tax_form_stays_approved_until_another_form_is_named(client, login_as, company, db, mailbox):
    partner, admin, _ = company
    login_as.partner(admin)
    client.post(PAGE, data=_sepa())
    row = db.session.get(PayoutDetails, partner.id)
    row.tax_status = "approved"
    db.session.commit()
    client.post(PAGE, data=_sepa(bank_name="Commerzbank AG"))
    db.session.expire_all()
    assert db.session.get(PayoutDetails, partner.id).tax_status == "approved"
    client.post(PAGE, data=_sepa(tax_form="W-8BEN-E"))
    db.session.expire_all()
    assert db.session.get(PayoutDetails, partner.id).tax_status == "submitted"
    mailbox.wait(3)


def test_saving_the_same_details_again_changes_and_sends_nothing(client, login_as, company, db, mailbox):
    _, admin, _ = company
    login_as.partner(admin)
    client.post(PAGE, data=_sepa())
    mailbox.wait(1)
    again = client.post(PAGE, data=_sepa(), follow_redirects=True)
    assert "Nothing changed" in _text(again)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "payout_details.changed")) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PartnerNotice)) == 1


def test_staff_with_partners_manage_review_the_tax_form_and_the_partner_is_told(app, client, login_as, company, make,
                                                                                db, mailbox):
    partner, admin, _ = company
    login_as.partner(admin)
    client.post(PAGE, data=_sepa())
    mailbox.wait(1)
    viewer = make.staff(email="viewer@network.test", permissions=["partners:view"])
    manager = make.staff(email="manage@network.test", permissions=["partners:view", "partners:manage"])
    url = f"/staff/partners/{partner.id}/payout/tax-status"

    staff = app.test_client()
    staff.post("/staff/login", data={"email": viewer.email, "password": TEST_PASSWORD})
    assert staff.post(url, data={"tax_status": "approved"}).status_code == 403
    staff = app.test_client()
    staff.post("/staff/login", data={"email": manager.email, "password": TEST_PASSWORD})
    assert staff.post(url, data={"tax_status": "granted"}).status_code == 400
    assert staff.post(f"/staff/partners/{2**40}/payout/tax-status", data={"tax_status": "approved"}).status_code == 404
    assert staff.post(url, data={"tax_status": "approved"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(PayoutDetails, partner.id).tax_status == "approved"
    assert "Approved" in _text(client.get(PAGE))
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "payout_details.tax_status_set"))
    assert event.detail == {"partner_id": partner.id, "tax_form": "W-8BEN", "from": "submitted", "to": "approved"}
    assert db.session.scalar(sa.select(PartnerNotice).where(PartnerNotice.kind == "tax_form_reviewed")) is not None


def test_the_facade_refuses_a_user_of_another_partner(company, make, db):
    from portal.affiliate import AffiliateScope
    from portal.domain.payouts import PayoutChange, PayoutChangeRefused

    partner, _, _ = company
    outsider = make.partner_user(make.partner(), role="admin")
    change = PayoutChange("paypal", {"paypal_email": "thief@example.com"}, None, "not_submitted", TEST_PASSWORD)
    with pytest.raises(PayoutChangeRefused):
        AffiliateScope(partner).change_payout_details(outsider, change)
    assert db.session.get(PayoutDetails, partner.id) is None
    assert AffiliateScope(partner).payout_details().method is None


def test_guessing_the_password_here_pauses_like_failed_sign_ins(app, client, login_as, company, db):
    partner, admin, _ = company
    login_as.partner(admin)
    for _ in range(app.config["LOGIN_FREE_ATTEMPTS"]):
        assert client.post(PAGE, data=_sepa(password="guess")).status_code == 400
    paused = client.post(PAGE, data=_sepa())  # the right password, too late
    assert paused.status_code == 400 and "paused" in _text(paused)
    assert db.session.get(PayoutDetails, partner.id) is None
    db.session.expire_all()
    assert db.session.get(type(admin), admin.id).locked_until is not None
