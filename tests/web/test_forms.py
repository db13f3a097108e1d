"""Page forms take form fields, never JSON: Flask-WTF would read a JSON object as the form and hand its
numbers, booleans and lone surrogates to fields that only ever see a browser's text (a 500). A JSON body
is a 415 and changes nothing."""

from __future__ import annotations

import pytest
from flask_wtf import FlaskForm
from sqlalchemy import func, select

from portal.models import Postback
from portal.web.forms import PageForm


def _all_subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _all_subclasses(sub)


def test_every_page_form_of_the_portal_is_a_page_form(app):
    ours = [form for form in _all_subclasses(FlaskForm) if form.__module__.startswith("portal.")]
    assert len(ours) >= 10
    assert all(issubclass(form, PageForm) for form in ours), [f.__name__ for f in ours if not issubclass(f, PageForm)]


@pytest.mark.parametrize("raw", ['{"email": 9223372036854775808, "password": "x"}',
                                 '{"email": "\\ud800", "password": "x", "next": "\\ud800"}',
                                 '{"email": true, "password": [1]}', '[1, 2]'])
def test_a_json_body_to_the_sign_in_form_is_a_415(client, raw):
    for path in ("/login", "/staff/login"):
        response = client.post(path, data=raw, content_type="application/json")
        assert response.status_code == 415, (path, response.status_code)
        assert b"form fields" in response.data


def test_a_json_body_to_a_signed_in_form_is_a_415_and_changes_nothing(client, make, login_as, db):
    login_as.partner(make.partner_user(make.partner()))
    response = client.post("/postbacks/new", data='{"url": "https://t.example/\\ud800", "delay_ms": 1e309}',
                           content_type="application/json")
    assert response.status_code == 415
    assert db.session.scalar(select(func.count()).select_from(Postback)) == 0
    # The same page still takes its form fields.
    made = client.post("/postbacks/new", data={"delivery_method": "postback", "offers": "all",
                                               "postback_type": "conversion", "status": "active", "delay_ms": "0",
                                               "url": "https://t.example/pb?tid={transaction_id}"})
    assert made.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Postback)) == 1


def test_a_json_body_to_a_staff_form_is_a_415(client, admin):
    response = client.post("/staff/settings", data='{"network_name": 2147483648, "logo_url": true}',
                           content_type="application/json")
    assert response.status_code == 415
    assert client.get("/staff/settings").status_code == 200
