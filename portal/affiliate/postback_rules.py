"""What a postback may be: the checks on a draft and on list filters, as pure functions raising BadRequest.

Errors are `BadRequest(field, rule)` (portal.domain.errors) with the field names of `PostbackDraft`; each door maps them
to its own vocabulary (form fields, or the API's pixel names). Whatever needs the database or the app
comes in as an argument: `offer_runnable(offer_id)`, and whether URLs may use any port.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from portal.affiliate.parsing import whole_number
from portal.delivery.macros import TemplateError, render, validate_template
from portal.domain.criteria import MAX_ID
from portal.domain.errors import BadRequest
from portal.domain.postbacks import DELIVERY_METHODS, POSTBACK_STATUSES, POSTBACK_TYPES, PostbackDraft, PostbackFilters
from portal.domain.text import text_fault

MAX_HTML_BYTES = 10 * 1024
MAX_DELAY_MS = 3_600_000
MAX_DESCRIPTION = 500
MAX_EVENT_NAME = 100
MAX_SEARCH = 200


def check_filters(offer_id: int | None = None, status: str | None = None, postback_type: str | None = None,
                  delivery_method: str | None = None, search: str = "") -> PostbackFilters:
    """The list filters, checked in this order; an empty one filters nothing."""
    if offer_id is not None and not 0 <= offer_id <= MAX_ID:
        raise BadRequest("offer_id", "must be an offer id (a whole number; 0: the all-offers ones)")
    for value, allowed, name in ((status, POSTBACK_STATUSES, "status"),
                                 (postback_type, POSTBACK_TYPES, "postback_type"),
                                 (delivery_method, DELIVERY_METHODS, "delivery_method")):
        if value and value not in allowed:
            raise BadRequest(name, f"must be one of {', '.join(allowed)}")
    term = _text(search, "search", MAX_SEARCH, single_line=True) or ""
    return PostbackFilters(offer_id=offer_id, status=status or None, postback_type=postback_type or None,
                           delivery_method=delivery_method or None, search=term)


def clean_draft(draft: PostbackDraft, *, current_offer_id: int | None, offer_runnable: Callable[[int], bool],
                allow_any_port: bool) -> dict:
    """The checked column values of a draft, or BadRequest naming the first field that is wrong.

    `offer_runnable` is asked only about an offer the postback does not already have, so a paused offer
    does not lock its postback's URL.
    """
    method = _choice(draft.delivery_method, "delivery_method", DELIVERY_METHODS)
    status = _choice(draft.status, "status", POSTBACK_STATUSES)
    postback_type = _choice(draft.postback_type, "postback_type", POSTBACK_TYPES)
    if not isinstance(draft.all_offers, bool):
        raise BadRequest("all_offers", "must be true or false")
    offer_id = draft.offer_id
    if offer_id is not None and (isinstance(offer_id, bool) or not isinstance(offer_id, int)
                                 or not 0 <= offer_id <= MAX_ID):
        raise BadRequest("offer_id", "must be an offer id (a whole number)")
    offer_id = offer_id or None
    if draft.all_offers and offer_id is not None:
        raise BadRequest("offer_id", "must be empty for a postback that fires on all offers")
    if not draft.all_offers:
        if offer_id is None:
            raise BadRequest("offer_id", "a postback for one offer needs that offer: choose one you can run")
        if offer_id != current_offer_id and not offer_runnable(offer_id):
            raise BadRequest("offer_id", "not an offer you can run (it must be active, and public or "
                                         "approved for you)")
    event_name = _text(draft.event_name, "event_name", MAX_EVENT_NAME, single_line=True)
    if postback_type == "conversion" and event_name:
        raise BadRequest("event_name", "only for a postback of type event")
    url, html_code = None, None
    if method == "postback":
        if _filled(draft.html_code, "html_code"):
            raise BadRequest("html_code", "only for delivery method html; a server postback uses its URL")
        _storable(draft.url, "url")
        try:
            url = validate_template(draft.url if draft.url is not None else "", allow_any_port=allow_any_port)
        except TemplateError as err:
            raise BadRequest("url", template_rule(err)) from None
    else:
        if _filled(draft.url, "url"):
            raise BadRequest("url", "only for delivery method postback; HTML postbacks use html_code")
        html_code = draft.html_code
        if not isinstance(html_code, str) or not html_code.strip():
            raise BadRequest("html_code", "required for delivery method html")
        _storable(html_code, "html_code")
        if len(html_code.encode("utf-8")) > MAX_HTML_BYTES:
            raise BadRequest("html_code", f"at most {MAX_HTML_BYTES // 1024} KB")
    delay = whole_number(draft.delay_ms) if draft.delay_ms is not None else 0
    if isinstance(delay, bool) or not isinstance(delay, int) or not 0 <= delay <= MAX_DELAY_MS:
        raise BadRequest("delay_ms", f"must be a whole number of milliseconds from 0 to {MAX_DELAY_MS:,}")
    description = _text(draft.description, "description", MAX_DESCRIPTION) or ""
    if not isinstance(draft.send_status_updates, bool):
        raise BadRequest("send_status_updates", "must be true or false")
    return {"delivery_method": method, "offer_id": None if draft.all_offers else offer_id,
            "postback_type": postback_type, "event_name": event_name or None, "status": status,
            "url": url, "html_code": html_code, "delay_ms": delay, "description": description,
            "send_status_updates": draft.send_status_updates}


def preview_url(template: str, values: Mapping[str, str], *, allow_any_port: bool) -> tuple[str | None, str | None]:
    """(the URL the template would request with these values, None), or (None, what is wrong with it)."""
    try:
        return render(validate_template(template, allow_any_port=allow_any_port), values), None
    except TemplateError as err:
        return None, template_rule(err)


def template_rule(err: TemplateError) -> str:
    """A TemplateError's message without its field prefix (each door names the field its own way)."""
    message = str(err)
    return message.split(": ", 1)[1] if message.startswith("postback_url: ") else message


def _choice(value, name: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise BadRequest(name, f"must be one of {', '.join(allowed)}")
    return value


def _filled(value, name: str) -> bool:
    """Whether an optional string field carries anything (a full object read back sends "" for it)."""
    if value is not None and not isinstance(value, str):
        raise BadRequest(name, "must be a string")
    return bool(value and value.strip())


def _text(value, name: str, limit: int, *, single_line: bool = False) -> str | None:
    """A stripped optional string within `limit` characters (None and "" are both empty)."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadRequest(name, "must be a string")
    value = value.strip()
    if len(value) > limit:
        raise BadRequest(name, f"at most {limit} characters")
    if single_line and any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise BadRequest(name, "must be one line of printable text")
    _storable(value, name)
    return value


def _storable(value, name: str) -> None:
    fault = text_fault(value) if isinstance(value, str) else None
    if fault:
        raise BadRequest(name, fault)
