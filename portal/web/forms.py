"""The base of every page form: a page's form takes what a browser sends (form fields), never JSON."""

from __future__ import annotations

from flask import request
from flask_wtf import FlaskForm
from werkzeug.exceptions import UnsupportedMediaType

from portal.domain.text import text_fault

SUBMIT_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class PageForm(FlaskForm):
    """A Flask-WTF form that answers a JSON body with 415.

    Flask-WTF would otherwise read a JSON object as the form's fields and hand its numbers, booleans,
    lists and undecodable strings (lone surrogates) to fields and validators that only ever see text from
    a browser, which fail deep inside with a 500. The APIs are the doors for JSON."""

    class Meta(FlaskForm.Meta):
        def wrap_formdata(self, form, formdata):
            reads_the_request = formdata is not None and not hasattr(formdata, "getlist")  # Flask-WTF's default
            if reads_the_request and request.method in SUBMIT_METHODS and request.is_json:
                raise UnsupportedMediaType("This form takes form fields as a browser sends them, not JSON.")
            return super().wrap_formdata(form, formdata)


class StorableTextForm(PageForm):
    """A page form whose text must be storable: no NUL, no lone surrogates (each such field gets an error)."""

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for field in self:
            fault = text_fault(field.data) if isinstance(field.data, str) else None
            if fault:
                field.errors = [*field.errors, f"This field {fault}."]
                valid = False
        return valid
