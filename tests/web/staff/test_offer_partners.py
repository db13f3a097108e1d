"""Who runs which offer: staff decide applications (audited, the partner notified), grant private offers,
block partners from public ones and set payout overrides, from the offer's page and the partner's page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from portal.affiliate import AffiliateScope
from portal.models import OfferAccess, PartnerNotice
from portal.queries.offer_access import is_runnable, is_visible
from tests.web.staff.offer_helpers import audits, count, offer_form

NOW = datetime.now(UTC)


@pytest.fixture
def applied(db, make):
    """A partner's pending application to an offer that needs approval."""
    partner, offer = make.partner(name="Applicant Co"), make.offer(name="Lumen Card", visibility="require_approval")
    access = OfferAccess(partner_id=partner.id, offer_id=offer.id, status="pending",
                         application_note="We run a finance blog.", applied_at=NOW - timedelta(hours=3))
    db.session.add(access)
    db.session.commit()
    return partner, offer, access


def notices(db, partner_id: int) -> list[PartnerNotice]:
    db.session.expire_all()
    return list(db.session.scalars(select(PartnerNotice).where(PartnerNotice.partner_id == partner_id)))


def test_the_queue_lists_pending_applications_with_the_note(client, admin, applied):
    page = client.get("/staff/offers/applications").get_data(as_text=True)
    assert "Applicant Co" in page and "Lumen Card" in page and "We run a finance blog." in page
    assert '<span class="badge">1</span>' in client.get("/staff/offers").get_data(as_text=True)


def test_approving_makes_the_offer_runnable_notifies_and_audits(client, db, admin, applied):
    partner, offer, access = applied
    assert not is_runnable(partner.id, offer.id, NOW)
    response = client.post(f"/staff/offers/applications/{access.id}", data={"decision": "approve", "reason": ""})
    assert response.status_code == 302
    db.session.expire_all()
    assert access.status == "approved" and access.decided_by_id == admin.id and access.decided_at is not None
    assert is_runnable(partner.id, offer.id, NOW)
    [notice] = notices(db, partner.id)
    assert (notice.kind, notice.title, notice.offer_id) == ("offer_approved",
                                                           "Your application to Lumen Card was approved", offer.id)
    [event] = audits(db, "offer_application.approved")
    assert event.actor_id == admin.id and event.detail["partner_id"] == partner.id
    assert "Applicant Co" not in client.get("/staff/offers/applications").get_data(as_text=True)


def test_rejecting_carries_the_reason_to_the_partner(client, db, admin, applied):
    partner, offer, access = applied
    client.post(f"/staff/offers/applications/{access.id}", data={"decision": "reject",
                                                                 "reason": "Finance offers need a licence."})
    db.session.expire_all()
    assert access.status == "rejected" and access.decision_reason == "Finance offers need a licence."
    assert not is_runnable(partner.id, offer.id, NOW)
    [notice] = notices(db, partner.id)
    assert notice.kind == "offer_rejected" and notice.body == "Finance offers need a licence."
    assert notice.title == "Your application to Lumen Card was rejected"
    assert len(audits(db, "offer_application.rejected")) == 1


def test_a_decided_or_unknown_application_is_not_found(client, db, admin, applied):
    _, _, access = applied
    client.post(f"/staff/offers/applications/{access.id}", data={"decision": "approve"})
    again = client.post(f"/staff/offers/applications/{access.id}", data={"decision": "reject"})
    assert again.status_code == 404
    assert client.post("/staff/offers/applications/999999", data={"decision": "approve"}).status_code == 404
    assert len(audits(db, "offer_application.approved")) == 1 and not audits(db, "offer_application.rejected")


@pytest.mark.parametrize("data", [{"decision": "maybe"}, {"decision": "approve", "reason": "x" * 2001}, {}])
def test_a_bad_decision_is_a_400_and_changes_nothing(client, db, admin, applied, data):
    partner, _, access = applied
    response = client.post(f"/staff/offers/applications/{access.id}", data=data)
    assert response.status_code == 400 and "Not saved" in response.get_data(as_text=True)
    db.session.expire_all()
    assert access.status == "pending" and not notices(db, partner.id)


def test_granting_a_private_offer_from_its_page(client, db, make, admin):
    partner, offer = make.partner(), make.offer(name="Redline", visibility="private")
    response = client.post(f"/staff/offers/{offer.id}/access",
                           data={"partner_id": str(partner.id), "status": "approved", "reason": "Top partner"})
    assert response.status_code == 302 and is_runnable(partner.id, offer.id, NOW)
    [notice] = notices(db, partner.id)
    assert notice.kind == "offer_granted" and notice.title == "You can now run Redline"
    [event] = audits(db, "offer_access.granted")
    assert event.detail == {"partner_id": partner.id, "from": None, "reason": "Top partner"}
    assert partner.name in client.get(f"/staff/offers/{offer.id}").get_data(as_text=True)


def test_blocking_a_partner_from_a_public_offer_from_the_partners_page(client, db, make, admin):
    partner, offer = make.partner(), make.offer(name="Orbit VPN")
    assert is_runnable(partner.id, offer.id, NOW)
    page = client.get(f"/staff/partners/{partner.id}/offers").get_data(as_text=True)
    assert f'<option value="{offer.id}">#{offer.id} Orbit VPN</option>' in page
    response = client.post(f"/staff/partners/{partner.id}/offers/access",
                           data={"offer_id": str(offer.id), "status": "blocked", "reason": "Brand bidding"})
    assert response.status_code == 302 and not is_runnable(partner.id, offer.id, NOW)
    assert notices(db, partner.id)[0].kind == "offer_blocked"
    assert len(audits(db, "offer_access.blocked")) == 1
    client.post(f"/staff/partners/{partner.id}/offers/access", data={"offer_id": str(offer.id), "status": "approved"})
    assert is_runnable(partner.id, offer.id, NOW) and count(db, OfferAccess) == 1


def test_blocking_a_partner_on_a_private_offer_it_never_had_sends_no_notice(client, db, make, admin):
    partner, offer = make.partner(), make.offer(name="Hidden Deal", visibility="private")
    response = client.post(f"/staff/offers/{offer.id}/access",
                           data={"partner_id": str(partner.id), "status": "blocked", "reason": "Pre-emptive"})
    assert response.status_code == 302 and not notices(db, partner.id)
    assert len(audits(db, "offer_access.blocked")) == 1  # still audited
    # A partner that could see it (granted) is told when it loses it.
    client.post(f"/staff/offers/{offer.id}/access", data={"partner_id": str(partner.id), "status": "approved"})
    client.post(f"/staff/offers/{offer.id}/access", data={"partner_id": str(partner.id), "status": "blocked"})
    assert [n.kind for n in notices(db, partner.id)] == ["offer_granted", "offer_blocked"]


@pytest.mark.parametrize(("data", "message"), [
    ({"partner_id": "999999", "status": "approved"}, "partner_id: no such partner"),
    ({"partner_id": str(2**63), "status": "approved"}, "partner_id: Number must be between"),
    ({"partner_id": "x", "status": "approved"}, "partner_id: Not a valid integer"),
    ({"status": "approved"}, "partner_id: This field is required"),
    ({"partner_id": "{partner}", "status": "pending"}, "status: Not a valid choice"),
])
def test_bad_access_input_is_a_400_naming_the_field(client, db, make, admin, data, message):
    partner, offer = make.partner(), make.offer(visibility="private")
    data = {k: v.replace("{partner}", str(partner.id)) for k, v in data.items()}
    response = client.post(f"/staff/offers/{offer.id}/access", data=data)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert count(db, OfferAccess) == 0 and count(db, PartnerNotice) == 0


def test_an_offer_that_does_not_exist_cannot_be_granted_from_the_partners_page(client, db, make, admin):
    partner = make.partner()
    response = client.post(f"/staff/partners/{partner.id}/offers/access", data={"offer_id": "999999",
                                                                                 "status": "approved"})
    assert response.status_code == 400 and "offer_id: Not a valid choice" in response.get_data(as_text=True)
    assert client.get("/staff/partners/999999/offers").status_code == 404


def test_a_payout_override_is_set_and_cleared(client, db, make, admin):
    partner, offer = make.partner(), make.offer(name="Orbit VPN", payout_amount=500)
    response = client.post(f"/staff/offers/{offer.id}/payout-override",
                           data={"partner_id": str(partner.id), "payout_type": "flat", "payout": "7.50"})
    assert response.status_code == 302
    access = db.session.scalars(select(OfferAccess)).one()
    # Neutral: the row holds the override and grants nothing (the offer is public, so runnable anyway).
    assert (access.payout_type, access.payout_amount, access.status) == ("flat", 750, "default")
    assert is_runnable(partner.id, offer.id, NOW)
    assert "7.50 USD" in client.get(f"/staff/partners/{partner.id}/offers").get_data(as_text=True)
    response = client.post(f"/staff/partners/{partner.id}/offers/payout-override",
                           data={"offer_id": str(offer.id), "payout_type": ""})
    assert response.status_code == 302
    db.session.expire_all()
    assert (access.payout_type, access.payout_amount) == (None, None)
    [made] = audits(db, "offer_payout_override.set")
    assert made.detail["to"] == {"type": "flat", "amount": 750}
    assert len(audits(db, "offer_payout_override.cleared")) == 1


def test_an_override_on_a_public_offer_grants_nothing_once_staff_make_it_private(client, db, make, admin):
    partner, offer = make.partner(), make.offer(name="Orbit VPN")
    client.post(f"/staff/offers/{offer.id}/payout-override",
                data={"partner_id": str(partner.id), "payout_type": "flat", "payout": "9"})
    assert "none (payout override only)" in client.get(f"/staff/offers/{offer.id}").get_data(as_text=True)
    assert "none (payout override only)" in client.get(f"/staff/partners/{partner.id}/offers").get_data(as_text=True)
    response = client.post(f"/staff/offers/{offer.id}/edit", data=offer_form(name="Orbit VPN", visibility="private"))
    assert response.status_code == 302
    db.session.expire_all()
    assert not is_visible(partner.id, offer.id, NOW) and not is_runnable(partner.id, offer.id, NOW)
    assert AffiliateScope(partner).offer(offer.id) is None  # a 404 to the partner, like an unknown offer
    # Granting on purpose still works, and keeps the override.
    client.post(f"/staff/offers/{offer.id}/access", data={"partner_id": str(partner.id), "status": "approved"})
    db.session.expire_all()
    access = db.session.scalars(select(OfferAccess)).one()
    assert (access.status, access.payout_amount) == ("approved", 900) and is_runnable(partner.id, offer.id, NOW)


def test_an_override_row_on_an_offer_later_needing_approval_applies_like_no_row(client, db, make, admin):
    partner, offer = make.partner(), make.offer(name="Lumen Card")
    client.post(f"/staff/offers/{offer.id}/payout-override",
                data={"partner_id": str(partner.id), "payout_type": "flat", "payout": "9"})
    client.post(f"/staff/offers/{offer.id}/edit", data=offer_form(name="Lumen Card", visibility="require_approval"))
    db.session.expire_all()
    assert is_visible(partner.id, offer.id, NOW) and not is_runnable(partner.id, offer.id, NOW)
    scope = AffiliateScope(partner)
    detail = scope.offer(offer.id)
    assert detail.relationship == "require_approval" and detail.can_apply and detail.payout_amount == 900
    assert scope.apply(offer.id, "Please").status == "pending"
    [event] = audits(db, "offer.applied")
    assert event.detail["resubmitted"] is False


def test_a_percent_override_is_kept_in_basis_points(client, db, make, admin):
    partner, offer = make.partner(), make.offer()
    client.post(f"/staff/offers/{offer.id}/payout-override",
                data={"partner_id": str(partner.id), "payout_type": "percent", "payout": "12.5"})
    assert db.session.scalars(select(OfferAccess.payout_amount)).one() == 1250


def test_an_override_alone_grants_no_offer_that_needs_approval(client, db, make, admin):
    partner, offer = make.partner(), make.offer(visibility="private")
    response = client.post(f"/staff/offers/{offer.id}/payout-override",
                           data={"partner_id": str(partner.id), "payout_type": "flat", "payout": "9"})
    assert response.status_code == 400 and "grant it first" in response.get_data(as_text=True)
    assert count(db, OfferAccess) == 0 and not is_runnable(partner.id, offer.id, NOW)


@pytest.mark.parametrize(("data", "message"), [
    ({"payout_type": "flat"}, "payout: give the amount"),
    ({"payout_type": "flat", "payout": "NaN"}, "A number from 0"),
    ({"payout_type": "flat", "payout": "1e309"}, "A number from 0"),
    ({"payout_type": "percent", "payout": "101"}, "a percentage from 0 to 100"),
    ({"payout_type": "bonus", "payout": "1"}, "Not a valid choice"),
])
def test_bad_override_input_is_a_400(client, db, make, admin, data, message):
    partner, offer = make.partner(), make.offer()
    response = client.post(f"/staff/offers/{offer.id}/payout-override", data={"partner_id": str(partner.id), **data})
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert count(db, OfferAccess) == 0


def test_the_partner_tab_shows_only_to_staff_who_manage_offers(client, make, login_as, admin):
    partner = make.partner()
    assert f'href="/staff/partners/{partner.id}/offers"' in client.get(f"/staff/partners/{partner.id}").get_data(as_text=True)
    login_as.staff(make.staff(permissions=["partners:view"]))
    assert f"/staff/partners/{partner.id}/offers" not in client.get(f"/staff/partners/{partner.id}").get_data(as_text=True)
