"""The tracker's door in front of Flask: it answers GET and HEAD on the tracking links itself, with the headers
every page carries; anything else goes on to Flask, and Flask alone (no door) answers the links the same."""

from __future__ import annotations

from sqlalchemy import func, select
from werkzeug.test import Client

from portal.models import Click
from portal.tracking.links import TrackerDoor


def test_the_door_answers_a_click_with_every_pages_headers_and_no_cookie(app, client, db, make):
    partner, offer = make.partner(), make.offer(destination_url="https://advertiser.example/l?t={transaction_id}")
    assert isinstance(app.wsgi_app, TrackerDoor)
    response = client.get(f"/c/{partner.id}/{offer.id}")
    assert response.status_code == 302 and response.headers["Location"].startswith("https://advertiser.example/l?t=")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Frame-Options"] == "DENY" and response.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["Referrer-Policy"] == "same-origin" and "Set-Cookie" not in response.headers
    assert db.session.scalar(select(func.count()).select_from(Click)) == 1


def test_what_the_door_does_not_answer_flask_does(app, client, db, make):
    partner, offer = make.partner(), make.offer()
    assert client.post(f"/c/{partner.id}/{offer.id}").status_code == 405
    assert client.get(f"/c/{partner.id}/x{offer.id}").status_code == 404
    assert client.get(f"/c/{partner.id}/{2**31}").status_code == 404  # past the id columns, as everywhere
    assert client.get(f"/i/{partner.id}").status_code == 404
    head = client.head(f"/c/{partner.id}/{offer.id}")
    assert head.status_code == 302 and head.data == b""
    assert db.session.scalar(select(func.count()).select_from(Click)) == 0  # HEAD records nothing


def test_without_the_door_flask_answers_the_links_the_same(app, db, make):
    partner, offer = make.partner(), make.offer(destination_url="https://advertiser.example/l?s={sub1}")
    flask_alone = Client(app.wsgi_app.next_app)  # Flask's own WSGI callable, as if mounted without the door
    response = flask_alone.get(f"/c/{partner.id}/{offer.id}?sub1=spring")
    assert response.status_code == 302 and response.headers["Location"] == "https://advertiser.example/l?s=spring"
    assert response.headers["Cache-Control"] == "no-store" and response.headers["X-Frame-Options"] == "DENY"
    pixel = flask_alone.get(f"/i/{partner.id}/{offer.id}")
    assert pixel.status_code == 200 and pixel.headers["Content-Type"] == "image/gif"
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Click)) == 1


def test_a_landing_page_with_non_ascii_characters_is_sent_as_a_uri(client, make):
    partner = make.partner()
    offer = make.offer(destination_url="https://shop.example/café/ünï?s={sub1}")
    response = client.get(f"/c/{partner.id}/{offer.id}?sub1=été")
    assert response.status_code == 302
    assert response.headers["Location"] == "https://shop.example/caf%C3%A9/%C3%BCn%C3%AF?s=%C3%A9t%C3%A9"


def test_the_unavailable_page_and_the_pixel_have_their_types_and_lengths(client, make):
    partner, offer = make.partner(), make.offer()
    page = client.get(f"/c/{partner.id}/{offer.id + 1000}")
    assert page.status_code == 404 and page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert b"This offer is not available" in page.data and page.headers["Content-Length"] == str(len(page.data))
    pixel = client.get(f"/i/{partner.id}/{offer.id}")
    assert pixel.status_code == 200 and pixel.headers["Content-Type"] == "image/gif"
    assert pixel.data.startswith(b"GIF89a") and pixel.headers["Cache-Control"] == "no-store"
    assert client.get(f"/i/{partner.id}/{offer.id}?pixel=0").status_code == 204


def test_a_deep_link_to_a_host_with_an_empty_label_lands_on_the_landing_page(client, make):
    partner = make.partner()
    offer = make.offer(destination_url="https://shop.example/in", deep_links_allowed=True)
    response = client.get(f"/c/{partner.id}/{offer.id}?url=https://shop.example../%C3%BC")
    assert response.status_code == 302 and response.headers["Location"] == "https://shop.example/in"


def test_the_empty_pixel_carries_no_content_length(client, make):
    partner, offer = make.partner(), make.offer()
    response = client.get(f"/i/{partner.id}/{offer.id}?pixel=0")
    assert response.status_code == 204 and "Content-Length" not in response.headers


def test_a_defect_behind_the_door_is_logged_and_answered_with_the_page_and_every_header(app, client, make,
                                                                                      monkeypatch, caplog):
    partner, offer = make.partner(), make.offer()

    def broken(*args, **kwargs):
        raise RuntimeError("a defect")

    monkeypatch.setattr("portal.tracking.links.take_click", broken)
    response = client.get(f"/c/{partner.id}/{offer.id}")
    assert response.status_code == 500 and b"This offer is not available" in response.data
    assert response.headers["X-Frame-Options"] == "DENY" and response.headers["Cache-Control"] == "no-store"
    assert any("RuntimeError: a defect" in (record.exc_text or "") or record.exc_info for record in caplog.records)
