"""The postback policy is a value the scope is handed: the doors' factory builds it from the app's config and
the network's settings, and the façade follows whatever policy it is given."""

from __future__ import annotations

import pytest

from portal.affiliate import AffiliateScope, scope_for
from portal.domain.criteria import Page
from portal.domain.errors import SelfServiceOff, TooManySends
from portal.domain.policy import MANUAL_SENDS_PER_MINUTE, PostbackPolicy
from portal.domain.postbacks import PostbackDraft
from portal.models import NetworkSettings, PostbackDelivery

LOCAL_URL = "http://127.0.0.1:8089/pb?click={transaction_id}"


def _draft(url: str = "https://tracker.example/pb?click={transaction_id}") -> PostbackDraft:
    return PostbackDraft(url=url)


def test_the_factory_builds_the_policy_from_the_config_and_the_network_switch(app, db, make):
    partner = make.partner()
    app.config["POSTBACK_ALLOW_PRIVATE_DESTINATIONS"] = False
    policy = scope_for(partner, None).postback_policy()
    assert (policy.partners_may_edit, policy.any_port, policy.manual_sends_per_minute) == (
        True, False, MANUAL_SENDS_PER_MINUTE)

    app.config["POSTBACK_ALLOW_PRIVATE_DESTINATIONS"] = True
    db.session.get(NetworkSettings, 1).partner_postbacks_enabled = False
    db.session.commit()
    policy = scope_for(partner, None).postback_policy()
    assert (policy.partners_may_edit, policy.any_port) == (False, True)


def test_the_factorys_manual_send_budget_is_per_partner_and_runs_out(app, make):
    partner, other = make.partner(), make.partner()
    spend = scope_for(partner, None).postback_policy().spend_manual_send
    assert [spend(partner.id) for _ in range(MANUAL_SENDS_PER_MINUTE)] == [None] * MANUAL_SENDS_PER_MINUTE
    wait = spend(partner.id)
    assert isinstance(wait, int) and 1 <= wait <= 60
    assert scope_for(other, None).postback_policy().spend_manual_send(other.id) is None  # its own budget


def test_a_scope_follows_the_policy_it_is_given(db, make):
    partner = make.partner()
    made = AffiliateScope(partner, policy=PostbackPolicy()).create_postback(_draft())

    closed = AffiliateScope(partner, policy=PostbackPolicy(partners_may_edit=False))
    assert [p.id for p in closed.postbacks(Page(1, 10)).items] == [made.id]  # reads still work
    with pytest.raises(SelfServiceOff):
        closed.create_postback(_draft())
    with pytest.raises(SelfServiceOff):
        closed.delete_postback(made.id)

    spent = []
    metered = AffiliateScope(partner, policy=PostbackPolicy(spend_manual_send=lambda pid: spent.append(pid) or 17,
                                                             manual_sends_per_minute=3))
    with pytest.raises(TooManySends) as refused:
        metered.send_test(made.id)
    assert (refused.value.retry_after, spent) == (17, [partner.id])
    assert "at most 3 a minute" in refused.value.message
    assert db.session.query(PostbackDelivery).count() == 0  # refused before anything was queued

    assert AffiliateScope(partner, policy=PostbackPolicy()).postback_preview(LOCAL_URL).error
    assert AffiliateScope(partner, policy=PostbackPolicy(any_port=True)).postback_preview(LOCAL_URL).error is None


def test_a_policy_to_build_is_built_once_and_only_when_asked(make):
    partner, built = make.partner(), []

    def build() -> PostbackPolicy:
        built.append(1)
        return PostbackPolicy(partners_may_edit=False)

    scope = AffiliateScope(partner, policy=build)
    scope.dashboard()
    assert built == []
    assert scope.postbacks_editable() is False and scope.postbacks_editable() is False
    assert built == [1]
