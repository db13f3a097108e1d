"""An offer's landing pages, creatives, coupon codes and product feeds in the staff console: uploads are what
they claim and within the limit, HTML is sanitised, codes are unique per offer, ids only under their offer."""

from __future__ import annotations

import ast
import gzip
import inspect
import io
import re
import warnings
from datetime import UTC, datetime

import pytest
from PIL import Image
from sqlalchemy import event, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from portal.extensions import db as _db
from portal.models import CouponCode, Creative, OfferUrl, ProductFeed
from portal.services import uploads
from portal.services.uploads import UploadError
from portal.storage import StoredFileMissing, store_for
from portal.web.staff.uploads import FORM_ALLOWANCE
from tests.web.staff.offer_helpers import audits, count, png

LIMIT = 64 * 1024


@pytest.fixture
def app(make_app, tmp_path):
    app = make_app(STORAGE_DIR=str(tmp_path / "files"), UPLOAD_MAX_BYTES=LIMIT)
    with app.app_context():
        yield app
        _db.session.remove()


@pytest.fixture
def offer(make):
    return make.offer(name="Banner Offer")


def upload(client, path: str, data: dict, filename: str, content: bytes):
    """A multipart POST, encoded in memory (the test client would spool a large body to an unclosed file)."""
    boundary, body = encode_multipart({**data, "file": FileStorage(io.BytesIO(content), filename)})
    return client.post(path, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def fetch(client, path: str):
    response = client.get(path)
    body = response.get_data()
    response.close()
    return response, body


# --- landing pages --------------------------------------------------------------------------------------

def test_a_landing_page_is_added_edited_and_audited(client, db, admin, offer):
    base = f"/staff/offers/{offer.id}/urls"
    response = client.post(f"{base}/new", data={"name": "Pricing", "destination_url":
                                               "https://advertiser.example/pricing?c={transaction_id}",
                                               "status": "active"})
    assert response.status_code == 302
    page = db.session.scalars(select(OfferUrl)).one()
    assert client.post(f"{base}/{page.id}", data={"name": "Pricing page", "destination_url": page.destination_url,
                                                  "status": "paused"}).status_code == 302
    db.session.expire_all()
    assert (page.name, page.status) == ("Pricing page", "paused")
    assert len(audits(db, "offer_url.created")) == 1 and len(audits(db, "offer_url.updated")) == 1
    assert f"url_id" in client.get(f"/staff/offers/{offer.id}").get_data(as_text=True)


def test_a_landing_page_url_takes_only_known_macros_after_the_host(client, db, admin, offer):
    response = client.post(f"/staff/offers/{offer.id}/urls/new",
                           data={"name": "x", "destination_url": "https://{sub1}.example/", "status": "active"})
    assert response.status_code == 400 and "only after the host" in response.get_data(as_text=True)
    assert count(db, OfferUrl) == 0


def test_a_landing_page_of_another_offer_is_not_found(client, make, admin, offer):
    other = make.offer()
    client.post(f"/staff/offers/{other.id}/urls/new",
                data={"name": "Theirs", "destination_url": "https://a.example/", "status": "active"})
    theirs = _db.session.scalars(select(OfferUrl)).one()
    assert client.get(f"/staff/offers/{offer.id}/urls/{theirs.id}").status_code == 404
    assert client.get(f"/staff/offers/{other.id}/urls/{theirs.id}").status_code == 200


# --- creatives ------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("fmt", "filename", "content_type"), [
    ("PNG", "banner.png", "image/png"), ("JPEG", "banner.jpg", "image/jpeg"), ("GIF", "banner.gif", "image/gif"),
    ("WEBP", "banner.webp", "image/webp")])
def test_a_banner_is_stored_with_its_size_read_from_the_image(app, client, db, admin, offer, fmt, filename,
                                                            content_type):
    content = png(300, 250, fmt=fmt)
    response = upload(client, f"/staff/offers/{offer.id}/creatives/new",
                      {"name": "Leaderboard", "creative_type": "image"}, filename, content)
    assert response.status_code == 302
    creative = db.session.scalars(select(Creative)).one()
    assert (creative.width, creative.height, creative.content_type) == (300, 250, content_type)
    assert creative.file_size == len(content) and creative.filename == filename
    served, body = fetch(client, f"/staff/offers/{offer.id}/creatives/{creative.id}/file")
    assert served.status_code == 200 and served.mimetype == content_type and body == content
    [event] = audits(db, "creative.created")
    assert event.detail["filename"] == filename and event.detail["offer_id"] == offer.id


def test_the_image_kind_comes_from_the_bytes_not_the_name(client, db, admin, offer):
    upload(client, f"/staff/offers/{offer.id}/creatives/new", {"name": "Named wrong", "creative_type": "image"},
           "banner.gif", png(10, 10))
    assert db.session.scalars(select(Creative)).one().content_type == "image/png"


@pytest.mark.parametrize(("filename", "content"), [
    ("banner.png", b"just some text, not an image\n" * 10),
    ("banner.png", b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>"),
    ("banner.png", png(50, 50)[:60]),  # a truncated PNG
    ("banner.png", b""),
])
def test_a_file_that_is_not_a_whole_image_is_refused(app, client, db, admin, offer, filename, content):
    response = upload(client, f"/staff/offers/{offer.id}/creatives/new",
                      {"name": "Fake", "creative_type": "image"}, filename, content)
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and ("not a PNG, JPEG, GIF or WebP image" in page or "empty" in page)
    assert count(db, Creative) == 0 and not list((store_for(app).root).rglob("*.*"))


def huge_png(width: int, height: int) -> bytes:
    """A real PNG with many pixels and few bytes (one bit per pixel, all alike: it compresses to almost nothing)."""
    out = io.BytesIO()
    Image.new("1", (width, height)).save(out, "PNG")
    return out.getvalue()


@pytest.mark.parametrize(("width", "height"), [
    (8000, 6000),  # over our limit, under Pillow's: our own check
    (10000, 10000),  # over Pillow's limit: Pillow warns
    (15000, 15000),  # over twice Pillow's limit: Pillow refuses to open it
])
def test_an_image_with_too_many_pixels_is_refused_as_too_large(width, height):
    content = huge_png(width, height)
    with pytest.raises(UploadError, match="file: the image is too large"):
        uploads.image(io.BytesIO(content), "bomb.png", len(content))


def test_checking_an_image_changes_no_process_wide_warning_filters():
    """Warning filters are one list for the whole process: a request thread that sets them (even inside
    catch_warnings, which swaps the global list) changes them under every other thread."""
    tree = ast.parse(inspect.getsource(uploads))
    calls = {node.func.attr for node in ast.walk(tree) if isinstance(node, ast.Call)
             and isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name)
             and node.func.value.id == "warnings"}
    assert not calls & {"simplefilter", "filterwarnings", "catch_warnings", "resetwarnings"}
    before = list(warnings.filters)
    content = png(40, 30)
    assert uploads.image(io.BytesIO(content), "ok.png", len(content)).width == 40
    assert warnings.filters == before


def test_an_image_over_the_upload_limit_is_refused_with_the_reason(app, client, db, admin, offer):
    content = png(200, 200, noise=True)
    assert LIMIT < len(content) < LIMIT + FORM_ALLOWANCE
    response = upload(client, f"/staff/offers/{offer.id}/creatives/new",
                      {"name": "Huge", "creative_type": "image"}, "huge.png", content)
    assert response.status_code == 400 and f"larger than {LIMIT:,} bytes" in response.get_data(as_text=True)
    assert count(db, Creative) == 0


def test_a_body_far_over_the_upload_limit_is_a_413(client, db, admin, offer):
    response = upload(client, f"/staff/offers/{offer.id}/creatives/new",
                      {"name": "Huge", "creative_type": "image"}, "huge.png", b"\0" * (LIMIT + FORM_ALLOWANCE + 1))
    assert response.status_code == 413 and count(db, Creative) == 0


def test_uploads_may_exceed_the_app_wide_body_limit(make_app, tmp_path, make, login_as):
    """MAX_CONTENT_LENGTH (1 MB) holds everywhere else; an upload route allows UPLOAD_MAX_BYTES."""
    app = make_app(STORAGE_DIR=str(tmp_path / "big"))
    with app.app_context():
        client = app.test_client()
        login_as.__class__(client).staff(make.staff())
        offer = make.offer()
        content = png(700, 600, noise=True)
        assert len(content) > app.config["MAX_CONTENT_LENGTH"]
        response = upload(client, f"/staff/offers/{offer.id}/creatives/new",
                          {"name": "Big", "creative_type": "image"}, "big.png", content)
        assert response.status_code == 302
        assert _db.session.scalars(select(Creative)).one().file_size == len(content)
        elsewhere = client.post(f"/staff/offers/{offer.id}/urls/new", data={"name": "x" * len(content)})
        assert elsewhere.status_code == 413
        _db.session.remove()


def test_upload_routes_still_check_the_csrf_token(make_app, tmp_path, make):
    """Upload views are exempt from the app-wide check (it would read the body under the 1 MB limit), so
    their forms check the token. Requests run outside an app context, each with a fresh `g`, as on a server."""
    app = make_app(STORAGE_DIR=str(tmp_path / "csrf"), WTF_CSRF_ENABLED=True)
    with app.app_context():
        email, offer_id = make.staff().email, make.offer().id
        _db.session.remove()
    client = app.test_client()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                      client.get("/staff/login").get_data(as_text=True)).group(1)
    assert client.post("/staff/login", data={"email": email, "password": "correct-horse-battery",
                                             "csrf_token": token}).status_code == 302
    form = client.get(f"/staff/offers/{offer_id}/creatives/new").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
    fields = {"name": "Banner", "creative_type": "text", "text": "Click here"}
    refused = client.post(f"/staff/offers/{offer_id}/creatives/new", data=fields)
    assert refused.status_code == 400 and "CSRF" in refused.get_data(as_text=True)
    assert client.post(f"/staff/offers/{offer_id}/creatives/new", data={**fields, "csrf_token": token}).status_code == 302
    with app.app_context():
        assert [c.name for c in _db.session.scalars(select(Creative))] == ["Banner"]
        _db.session.remove()


def test_html_and_email_creatives_are_sanitised(client, db, admin, offer):
    dirty = ('<a href="{tracking_link}" onclick="steal()"><img src="https://cdn.example/b.png" onerror="x()"></a>'
             '<script>alert(1)</script><a href="javascript:alert(2)">x</a>')
    assert client.post(f"/staff/offers/{offer.id}/creatives/new",
                       data={"name": "HTML", "creative_type": "html", "html_code": dirty}).status_code == 302
    assert client.post(f"/staff/offers/{offer.id}/creatives/new",
                       data={"name": "Mail", "creative_type": "email", "html_code": dirty, "email_subject": "Hi",
                             "email_from": "Deals <deals@advertiser.example>"}).status_code == 302
    for creative in db.session.scalars(select(Creative)):
        assert '<a href="{tracking_link}" rel="noopener nofollow"><img src="https://cdn.example/b.png"></a>' in creative.html_code
        for banned in ("onclick", "onerror", "<script", "alert", "javascript:"):
            assert banned not in creative.html_code


@pytest.mark.parametrize(("data", "message"), [
    ({"creative_type": "text"}, "text: required"),
    ({"creative_type": "email", "html_code": "<p>x</p>"}, "email_subject: required"),
    ({"creative_type": "html"}, "html_code: required"),
    ({"creative_type": "image"}, "choose a PNG"),
    ({"creative_type": "video"}, "Not a valid choice"),
])
def test_each_kind_of_creative_needs_its_fields(client, db, admin, offer, data, message):
    response = client.post(f"/staff/offers/{offer.id}/creatives/new", data={"name": "C", **data})
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert count(db, Creative) == 0


def test_a_creative_is_paused_resumed_and_deleted_with_its_file(app, client, db, admin, offer):
    upload(client, f"/staff/offers/{offer.id}/creatives/new", {"name": "B", "creative_type": "image"},
           "b.png", png(20, 20))
    creative = db.session.scalars(select(Creative)).one()
    key, base = creative.file_key, f"/staff/offers/{offer.id}/creatives/{creative.id}"
    client.post(f"{base}/status", data={"status": "paused"})
    db.session.expire_all()
    assert creative.status == "paused"
    client.post(f"{base}/status", data={"status": "active"})
    assert client.post(f"{base}/delete").status_code == 302
    assert count(db, Creative) == 0
    with pytest.raises(StoredFileMissing):
        store_for(app).open(key)
    assert [len(audits(db, f"creative.{a}")) for a in ("paused", "resumed", "deleted")] == [1, 1, 1]


def test_a_creative_is_found_only_under_its_own_offer(client, db, make, admin, offer):
    other = make.offer()
    client.post(f"/staff/offers/{other.id}/creatives/new", data={"name": "T", "creative_type": "text", "text": "Go"})
    creative = db.session.scalars(select(Creative)).one()
    for method, suffix in (("POST", "delete"), ("POST", "status"), ("GET", "file")):
        assert client.open(f"/staff/offers/{offer.id}/creatives/{creative.id}/{suffix}", method=method,
                           data={"status": "paused"}).status_code == 404
    assert count(db, Creative) == 1
    assert client.get(f"/staff/offers/{other.id}/creatives/{creative.id}/file").status_code == 404  # no file


# --- coupon codes ---------------------------------------------------------------------------------------

def test_a_coupon_code_is_assigned_to_one_partner_and_unique_per_offer(client, db, make, admin, offer):
    partner, other_partner = make.partner(), make.partner()
    base = f"/staff/offers/{offer.id}/coupons"
    form = {"code": "SAVE10", "partner_id": str(partner.id), "status": "active", "start_date": "2026-12-01",
            "end_date": "2026-12-31"}
    assert client.post(f"{base}/new", data=form).status_code == 302
    again = client.post(f"{base}/new", data={**form, "partner_id": str(other_partner.id)})
    assert again.status_code == 400 and "SAVE10 is already a coupon code of this offer" in again.get_data(as_text=True)
    other_offer = make.offer()
    assert client.post(f"/staff/offers/{other_offer.id}/coupons/new", data=form).status_code == 302
    coupon = db.session.scalars(select(CouponCode).where(CouponCode.offer_id == offer.id)).one()
    assert (coupon.partner_id, str(coupon.start_date), str(coupon.end_date)) == (partner.id, "2026-12-01", "2026-12-31")
    assert client.post(f"{base}/{coupon.id}", data={**form, "status": "paused"}).status_code == 302
    db.session.expire_all()
    assert coupon.status == "paused"
    assert len(audits(db, "coupon_code.created")) == 2 and len(audits(db, "coupon_code.updated")) == 1
    assert client.get(f"/staff/offers/{other_offer.id}/coupons/{coupon.id}").status_code == 404
    assert "SAVE10" in client.get(f"/staff/offers/{offer.id}").get_data(as_text=True)


@pytest.mark.parametrize("variant", ["save10", "Save10"])
def test_a_coupon_code_is_unique_per_offer_ignoring_case(client, db, make, admin, offer, variant):
    partner, other_partner = make.partner(), make.partner()
    base = f"/staff/offers/{offer.id}/coupons"
    form = {"code": "SAVE10", "partner_id": str(partner.id), "status": "active"}
    assert client.post(f"{base}/new", data=form).status_code == 302
    again = client.post(f"{base}/new", data={**form, "code": variant, "partner_id": str(other_partner.id)})
    assert again.status_code == 400 and f"{variant} is already a coupon code" in again.get_data(as_text=True)
    saved = db.session.scalars(select(CouponCode).where(CouponCode.offer_id == offer.id)).one()
    # Editing a code into its own other case is no clash with itself.
    assert client.post(f"{base}/{saved.id}", data={**form, "code": variant}).status_code == 302
    db.session.expire_all()
    assert saved.code == variant and count(db, CouponCode) == 1


def test_a_concurrent_duplicate_coupon_code_is_a_400_on_the_code_field(client, db, make, admin, offer):
    """Another request saves the same code after this one checked and before it writes: the unique constraint
    refuses the write, and the answer is the check's 400, not a 500."""
    owner, partner = make.partner(), make.partner()
    offer_id, raced = offer.id, []

    def competitor_saves_first(session, flush_context, instances):
        if raced or not any(isinstance(row, CouponCode) for row in session.new):
            return
        raced.append(True)
        with db.engine.begin() as conn:
            conn.execute(CouponCode.__table__.insert().values(
                offer_id=offer_id, partner_id=owner.id, code="RACE", status="active", description="",
                created_at=datetime.now(UTC), updated_at=datetime.now(UTC)))

    event.listen(db.session(), "before_flush", competitor_saves_first)
    try:
        response = client.post(f"/staff/offers/{offer_id}/coupons/new",
                               data={"code": "RACE", "partner_id": str(partner.id), "status": "active"})
    finally:
        event.remove(db.session(), "before_flush", competitor_saves_first)
    assert raced and response.status_code == 400, response.status_code
    assert "code: RACE is already a coupon code of this offer" in response.get_data(as_text=True)
    db.session.expire_all()
    rows = db.session.scalars(select(CouponCode).where(CouponCode.offer_id == offer_id)).all()
    assert [(row.code, row.partner_id) for row in rows] == [("RACE", owner.id)]
    assert audits(db, "coupon_code.created") == []  # the refused write left no audit behind


@pytest.mark.parametrize(("change", "message"), [
    ({"partner_id": "999999"}, "no such partner"),
    ({"partner_id": str(2**63)}, "Number must be between"),
    ({"code": "has space"}, "letters, digits"),
    ({"code": ""}, "This field is required"),
    ({"start_date": "2026-12-31", "end_date": "2026-12-01"}, "on or after the start date"),
    ({"start_date": "31/12/2026"}, "Not a valid date"),
    ({"status": "deleted"}, "Not a valid choice"),
])
def test_bad_coupon_input_is_a_400_naming_the_field(client, db, make, admin, offer, change, message):
    form = {"code": "SAVE10", "partner_id": str(make.partner().id), "status": "active", **change}
    response = client.post(f"/staff/offers/{offer.id}/coupons/new", data=form)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert count(db, CouponCode) == 0


# --- product feeds --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("filename", "content", "content_type"), [
    ("feed.csv", b"sku,name,price\n1,Tent,199.00\n", "text/csv"),
    ("feed.xml", b"<products><p sku='1'/></products>", "application/xml"),
    ("feed.json", b'[{"sku": 1}]', "application/json"),
    ("feed.tsv", b"sku\tname\n1\tTent\n", "text/tab-separated-values"),
    ("feed.csv.gz", gzip.compress(b"sku,name\n1,Tent\n"), "application/gzip"),
])
def test_a_product_feed_is_uploaded_and_downloaded(client, db, admin, offer, filename, content, content_type):
    response = upload(client, f"/staff/offers/{offer.id}/feeds/new",
                      {"name": "Catalogue", "status": "active", "valid_from": "2026-12-01", "valid_to": "2027-01-31"},
                      filename, content)
    assert response.status_code == 302
    feed = db.session.scalars(select(ProductFeed)).one()
    assert (feed.filename, feed.content_type, feed.file_size) == (filename, content_type, len(content))
    assert feed.valid_from.date().isoformat() == "2026-12-01" and feed.valid_to.date().isoformat() == "2027-01-31"
    served, body = fetch(client, f"/staff/offers/{offer.id}/feeds/{feed.id}/file")
    assert served.status_code == 200 and body == content
    assert served.headers["Content-Disposition"].startswith("attachment")
    assert len(audits(db, "product_feed.created")) == 1


@pytest.mark.parametrize(("filename", "content", "message"), [
    ("feed.exe", b"MZ...", "a product feed is a .csv"),
    ("feed", b"sku\n", "a product feed is a .csv"),
    ("feed.gz", b"sku,name\n", "not gzip-compressed"),
    ("feed.csv", b"x" * (LIMIT + 1), f"larger than {LIMIT:,} bytes"),
    ("feed.csv", b"", "the file is empty"),
])
def test_a_bad_feed_file_is_refused(app, client, db, admin, offer, filename, content, message):
    response = upload(client, f"/staff/offers/{offer.id}/feeds/new", {"name": "F", "status": "active"},
                      filename, content)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert count(db, ProductFeed) == 0 and not list(store_for(app).root.rglob("*.*"))


def test_feed_validity_must_be_in_order(client, db, admin, offer):
    response = upload(client, f"/staff/offers/{offer.id}/feeds/new",
                      {"name": "F", "status": "active", "valid_from": "2027-01-02", "valid_to": "2027-01-01"},
                      "f.csv", b"a\n")
    assert response.status_code == 400 and "on or after valid_from" in response.get_data(as_text=True)


def test_a_feed_is_paused_and_deleted_with_its_file(app, client, db, admin, offer):
    upload(client, f"/staff/offers/{offer.id}/feeds/new", {"name": "F", "status": "active"}, "f.csv", b"a\n")
    feed = db.session.scalars(select(ProductFeed)).one()
    key, base = feed.file_key, f"/staff/offers/{offer.id}/feeds/{feed.id}"
    assert client.post(f"{base}/status", data={"status": "paused"}).status_code == 302
    db.session.expire_all()
    assert feed.status == "paused"
    assert client.post(f"{base}/delete").status_code == 302 and count(db, ProductFeed) == 0
    with pytest.raises(StoredFileMissing):
        store_for(app).open(key)
    assert len(audits(db, "product_feed.paused")) == 1 and len(audits(db, "product_feed.deleted")) == 1
