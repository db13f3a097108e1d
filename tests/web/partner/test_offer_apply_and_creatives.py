"""Applying to an offer from its page (and what refuses it), the creatives gallery (banners through the
partner-guarded file route, HTML shown as code only), and who may do which."""

from __future__ import annotations

import io
import re
from html import unescape

import pytest
from sqlalchemy import select

from portal.models import AuditEvent, OfferAccess
from portal.storage import store_for
from tests.web.partner import offer_world


@pytest.fixture
def app(make_app, tmp_path):
    app = make_app(STORAGE_DIR=str(tmp_path / "files"))
    with app.app_context():
        yield app


@pytest.fixture
def world(app, db, make):
    return offer_world.build(app, db, make)


@pytest.fixture
def signed_in(world, make, login_as):
    login_as.partner(make.partner_user(world.partner))
    return world


def standing(db, partner, offer) -> OfferAccess | None:
    db.session.expire_all()
    return db.session.scalar(select(OfferAccess).where(OfferAccess.partner_id == partner.id,
                                                       OfferAccess.offer_id == offer.id))


# --- Apply ------------------------------------------------------------------------------------------


def test_applying_records_the_note_and_shows_pending(client, db, signed_in):
    w = signed_in
    page = client.get(f"/offers/{w.approval.id}").get_data(as_text=True)
    assert 'id="apply-form"' in page and 'id="link-builder"' not in page
    response = client.post(f"/offers/{w.approval.id}/apply", data={"note": "Search and email, US only"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/offers/{w.approval.id}#application")
    row = standing(db, w.partner, w.approval)
    assert row.status == "pending" and row.application_note == "Search and email, US only"
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "offer.applied")) is not None
    page = client.get(f"/offers/{w.approval.id}").get_data(as_text=True)
    assert "Pending approval" in page and 'id="apply-form"' not in page and "Search and email, US only" in page


def test_applying_again_while_pending_is_refused(client, db, signed_in):
    w = signed_in
    response = client.post(f"/offers/{w.pending.id}/apply", data={"note": "again"})
    assert response.status_code == 409 and 'id="apply-error"' in response.get_data(as_text=True)
    assert standing(db, w.partner, w.pending).application_note == "We run search"


def test_a_public_offer_takes_no_application(client, db, signed_in):
    w = signed_in
    assert client.post(f"/offers/{w.public.id}/apply", data={"note": ""}).status_code == 409
    assert standing(db, w.partner, w.public) is None


def test_a_rejected_application_shows_the_reason_and_may_be_sent_again(client, db, signed_in):
    w = signed_in
    page = client.get(f"/offers/{w.rejected.id}").get_data(as_text=True)
    assert "Gambling traffic is not allowed in your region" in page and "Apply again" in page
    assert client.post(f"/offers/{w.rejected.id}/apply", data={"note": "We moved to the US"}).status_code == 302
    assert standing(db, w.partner, w.rejected).status == "pending"


@pytest.mark.parametrize("note", ["x" * 2001, "bad\x00note", "bell\x07"])
def test_a_bad_note_is_a_400_on_the_note(client, db, signed_in, note):
    w = signed_in
    response = client.post(f"/offers/{w.approval.id}/apply", data={"note": note})
    assert response.status_code == 400
    assert re.search(r'id="apply-note".*?class="form-error"', response.get_data(as_text=True), re.S)
    assert standing(db, w.partner, w.approval) is None


def test_a_json_body_is_refused(client, signed_in):
    response = client.post(f"/offers/{signed_in.approval.id}/apply", json={"note": 5})
    assert response.status_code == 415


@pytest.mark.parametrize("role", ["reports", "postbacks_reports"])
def test_only_the_admin_applies_but_every_role_sees_offers_and_links(client, db, make, login_as, world, role):
    login_as.partner(make.partner_user(world.partner, role=role))
    assert client.get("/offers").status_code == 200
    page = client.get(f"/offers/{world.public.id}").get_data(as_text=True)
    assert f"/c/{world.partner.id}/{world.public.id}" in page
    approval = client.get(f"/offers/{world.approval.id}").get_data(as_text=True)
    assert 'id="apply-form"' not in approval and "Your company's admin applies to offers." in approval
    assert client.post(f"/offers/{world.approval.id}/apply", data={"note": ""}).status_code == 403
    assert standing(db, world.partner, world.approval) is None


# --- Creatives ---------------------------------------------------------------------------------------


def test_a_banner_previews_inline_from_the_file_store(client, signed_in):
    w = signed_in
    page = client.get(f"/offers/{w.public.id}").get_data(as_text=True)
    src = f"/offers/{w.public.id}/creatives/{w.image.id}/file"
    assert f'src="{src}"' in page
    response = client.get(src)
    assert response.status_code == 200 and response.data == offer_world.PNG
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Disposition"] == 'inline; filename="spring.png"'
    assert "sandbox" in response.headers["Content-Security-Policy"]
    response.close()
    download = client.get(src + "?download=1")
    assert download.headers["Content-Disposition"] == 'attachment; filename="spring.png"'
    download.close()


def test_an_svg_banner_is_only_ever_a_download(app, client, db, signed_in):
    w = signed_in
    svg = offer_world.banner(app, db, w.public, name="Vector", content_type="image/svg+xml",
                             body=b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
                             suffix=".svg")
    response = client.get(f"/offers/{w.public.id}/creatives/{svg.id}/file")
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["Content-Type"] == "image/svg+xml" and "sandbox" in response.headers[
        "Content-Security-Policy"]
    response.close()


@pytest.mark.parametrize("case", ["others", "wrong_offer", "not_runnable", "huge", "missing_file"])
def test_a_creative_the_partner_may_not_have_is_a_404(app, client, db, signed_in, case):
    w = signed_in
    offer_id, creative_id = {
        "others": (w.others_private.id, w.others_image.id),
        "wrong_offer": (w.public.id, w.others_image.id),
        "not_runnable": (w.approval.id, offer_world.banner(app, db, w.approval).id),
        "huge": (w.public.id, 9223372036854775807),
        "missing_file": (w.public.id, w.image.id),
    }[case]
    if case == "missing_file":
        w.image.file_key = "00/" + "0" * 32 + ".png"
        db.session.commit()
    assert client.get(f"/offers/{offer_id}/creatives/{creative_id}/file").status_code == 404


def test_html_creatives_are_code_with_the_link_never_live_html(client, signed_in):
    w = signed_in
    page = client.get(f"/offers/{w.public.id}?sub1=news").get_data(as_text=True)
    assert "<b>Shop now</b>" not in page  # never rendered as markup
    code = unescape(re.search(rf'id="creative-code-{w.html.id}"[^>]*>(.*?)</textarea>', page, re.S)[1])
    assert code == (f'<a href="http://localhost/c/{w.partner.id}/{w.public.id}?sub1=news&amp;creative_id={w.html.id}">'
                    "<b>Shop now</b></a>")
    banner = unescape(re.search(rf'id="creative-code-{w.image.id}"[^>]*>(.*?)</textarea>', page, re.S)[1])
    assert f"creative_id={w.image.id}" in banner and 'src="spring.png"' in banner


def test_product_feeds_are_listed_and_download(client, signed_in):
    w = signed_in
    page = client.get(f"/offers/{w.public.id}").get_data(as_text=True)
    assert "Spring catalogue" in page and "Other's catalogue" not in page
    response = client.get(f"/offers/product-feeds/{w.feed.id}/file")
    assert response.data == offer_world.FEED and response.headers["Content-Type"].startswith("text/csv")
    assert response.headers["Content-Disposition"] == 'attachment; filename="catalogue.csv"'
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    response.close()
    assert client.get(f"/offers/product-feeds/{w.others_feed.id}/file").status_code == 404
    assert client.get("/offers/product-feeds/9223372036854775807/file").status_code == 404


# --- Thumbnails ---------------------------------------------------------------------------------------


def _thumbnail(app, db, offer, body=offer_world.PNG):
    offer.thumbnail_key = store_for(app).save(io.BytesIO(body), ".png")
    db.session.commit()


def test_a_thumbnail_shows_in_the_list_and_on_the_offer_page(app, client, db, signed_in):
    w = signed_in
    src = f"/offers/{w.public.id}/thumbnail"
    assert src not in client.get("/offers").get_data(as_text=True)  # none uploaded yet: no broken image
    assert client.get(src).status_code == 404
    _thumbnail(app, db, w.public)
    assert f'src="{src}"' in client.get("/offers").get_data(as_text=True)
    assert f'src="{src}"' in client.get(f"/offers/{w.public.id}").get_data(as_text=True)
    response = client.get(src)
    assert response.status_code == 200 and response.data == offer_world.PNG
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["Content-Disposition"].startswith("inline;")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    response.close()


def test_the_thumbnail_of_an_offer_the_partner_cannot_see_is_a_404(app, client, db, signed_in):
    w = signed_in
    for offer in (w.secret, w.others_private):
        _thumbnail(app, db, offer)
        assert client.get(f"/offers/{offer.id}/thumbnail").status_code == 404
    _thumbnail(app, db, w.approval)  # visible, not yet runnable: its picture is part of what it offers
    response = client.get(f"/offers/{w.approval.id}/thumbnail")
    assert response.status_code == 200
    response.close()
    assert client.get(f"/offers/{2**63}/thumbnail").status_code == 404
