"""Linking partners to upstream affiliates: staff with partners:manage (audited, unique), and the import."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.models import AuditEvent, Partner
from tests.affiliate.upstream.scripted import Answer, Scripted, serve


def link(client, partner_id, value):
    # Sent as a raw form body so that a lone surrogate travels percent-encoded, as a browser would send it.
    return client.post(f"/staff/partners/{partner_id}/upstream-link", data=f"upstream_affiliate_id={value}",
                       content_type="application/x-www-form-urlencoded")


def audits(db, action):
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_staff_link_a_partner_audited_and_unique(client, db, make, admin):
    first, second = make.partner(), make.partner()
    assert link(client, first.id, "4242").status_code == 302
    db.session.refresh(first)
    assert first.upstream_affiliate_id == 4242
    [event] = audits(db, "partner.upstream_linked")
    assert event.target_id == str(first.id) and event.detail == {"from": None, "to": 4242}
    assert event.actor_label == admin.email
    taken = link(client, second.id, "4242")
    assert taken.status_code == 302
    db.session.refresh(second)
    assert second.upstream_affiliate_id is None
    assert "already linked to partner" in client.get(f"/staff/partners/{second.id}").get_data(as_text=True)
    link(client, first.id, "")
    db.session.refresh(first)
    assert first.upstream_affiliate_id is None and len(audits(db, "partner.upstream_unlinked")) == 1


@pytest.mark.parametrize("value", ["0", "-1", "abc", str(2**63), "1e3", "%ED%A0%80", "4%00"])
def test_a_bad_upstream_id_changes_nothing(client, db, make, admin, value):
    partner = make.partner()
    assert link(client, partner.id, value).status_code == 302
    db.session.refresh(partner)
    assert partner.upstream_affiliate_id is None and audits(db, "partner.upstream_linked") == []


def test_linking_needs_partners_manage(client, db, make, login_as):
    partner = make.partner()
    login_as.staff(make.staff(permissions=["partners:view"]))
    assert link(client, partner.id, "5").status_code == 403
    assert link(client, 2**40, "5").status_code in (403, 404)
    db.session.refresh(partner)
    assert partner.upstream_affiliate_id is None


def test_an_unknown_partner_is_not_found(client, admin):
    assert link(client, 2**31 - 1, "5").status_code == 404


@pytest.fixture
def upstream():
    scripted = Scripted()
    with serve(scripted) as server:
        scripted.url = server.url
        yield scripted


def test_the_import_creates_linked_partners_once(make_app, upstream, make):
    from portal.extensions import db

    app = make_app(UPSTREAM_URL=upstream.url, UPSTREAM_API_KEY="network-key", UPSTREAM_TIMEOUT=2)
    affiliates = [{"network_affiliate_id": 70, "name": "Blog Co", "account_status": "active"},
                  {"network_affiliate_id": 71, "name": "Coupons Ltd", "account_status": "inactive"},
                  {"network_affiliate_id": True, "name": "Broken"}, {"network_affiliate_id": 72, "name": ""}]
    upstream.script(Answer(200, {"affiliates": affiliates, "paging": {"page": 1, "page_size": 500,
                                                                      "total_count": 4}}))
    with app.app_context():
        existing = make.partner()
        existing.upstream_affiliate_id = 71
        db.session.commit()
        runner = app.test_cli_runner()
        first = runner.invoke(args=["partners", "import-upstream"])
        assert first.exit_code == 0, first.output
        assert "partners created: 1; already linked: 1; skipped (no id or name): 2" in first.output
        again = runner.invoke(args=["partners", "import-upstream"])
        assert "partners created: 0; already linked: 2" in again.output
        made = db.session.scalar(select(Partner).where(Partner.upstream_affiliate_id == 70))
        assert made.name == "Blog Co" and made.status == "active"
        assert upstream.seen[0].path == "/v1/networks/affiliates/table"
        assert upstream.seen[0].headers["X-Eflow-Api-Key"] == "network-key"
        upstream.script(Answer(503))
        down = runner.invoke(args=["partners", "import-upstream"])
        assert down.exit_code != 0 and "not answering" in down.output
        db.session.remove()


def test_the_import_needs_upstream_mode(app):
    result = app.test_cli_runner().invoke(args=["partners", "import-upstream"])
    assert result.exit_code != 0 and "Upstream mode is off" in result.output
