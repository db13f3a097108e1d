"""The local part of a scope (LocalAccounts, SQL in every mode): the partner's users, notices and upstream
link, each bound to the scope's partner."""

from __future__ import annotations

from portal.affiliate import AffiliateScope
from portal.affiliate.scope import SHOWN_UNREAD_NOTICES
from portal.affiliate.sql_accounts import SqlAccounts
from portal.domain.actors import Actor
from portal.models import AuditEvent, PartnerNotice


def _notices(db, partner, count: int) -> list[PartnerNotice]:
    rows = [PartnerNotice(partner_id=partner.id, kind="offer_granted", title=f"Offer {n}") for n in range(count)]
    db.session.add_all(rows)
    db.session.commit()
    return rows


def test_the_upstream_link_is_the_partners_own(db, make):
    linked, unlinked = make.partner(upstream_affiliate_id=7001), make.partner()
    assert SqlAccounts().upstream_affiliate_id(linked.id) == 7001
    assert SqlAccounts().upstream_affiliate_id(unlinked.id) is None


def test_users_and_invitations_of_another_partner_are_not_found(make):
    partner, other = make.partner(), make.partner()
    mine, theirs = make.partner_user(partner), make.partner_user(other)
    scope = AffiliateScope(partner)
    assert [u.email for u in scope.team()] == [mine.email]
    assert scope.team_member(mine.id).email == mine.email
    assert scope.team_member(theirs.id) is None
    assert scope.team_member(2**63) is None  # past the column's range: not a 500
    assert scope.invitation(2**63) is None


def test_notices_are_counted_past_those_shown_and_read_for_the_company_only(db, make):
    partner, other = make.partner(), make.partner()
    _notices(db, partner, SHOWN_UNREAD_NOTICES + 2)
    [theirs] = _notices(db, other, 1)
    scope = AffiliateScope(partner, actor=Actor("partner", 1, "a@example.com"))
    shown, count = scope.unread_notices()
    assert (len(shown), count) == (SHOWN_UNREAD_NOTICES, SHOWN_UNREAD_NOTICES + 2)
    assert scope.mark_notice_read(theirs.id) is False
    assert scope.mark_notice_read(shown[0].id) is True
    assert scope.unread_notices()[1] == SHOWN_UNREAD_NOTICES + 1
    assert scope.mark_notices_read() == SHOWN_UNREAD_NOTICES + 1
    assert scope.unread_notices() == ([], 0)
    assert AffiliateScope(other).unread_notices()[1] == 1
    assert db.session.query(AuditEvent).filter_by(action="notices.read_all").count() == 1
