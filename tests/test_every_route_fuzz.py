"""Every route of the app, every method, fed hostile values: never a 5xx, and no exception logged.

The routes come from the URL map, so a route added later is fuzzed without being listed here; a route
behind a door this test does not know how to open fails until its door is added to DOORS. Each request
comes from a caller signed in at that route's door (a partner session, a staff session with every
permission, an Affiliate API key, a Network API key pair, the intake token) over real objects (two
partners' conversions, clicks, postbacks, deliveries, keys; a partnership's customer and transaction),
so that ids and values are real as often as they are hostile.

Parameter names come from the OpenAPI documents, the forms and links of the pages as they render, and the
names the views read; random names are sent too. Values: huge integers (2**31, 2**63, 10**30, -2**63-1),
1e309, NaN, lone surrogates (percent-encoded as %ED%A0%80 in paths and query strings, "\\ud800" in JSON),
NUL, long and empty strings, wrong JSON types, nesting, repeated keys, and bodies that are not what they
claim to be. `FUZZ_EXAMPLES=200` searches deeper by hand; the default run is derandomised and keeps no
example database, so CI runs the same requests every time.
"""

from __future__ import annotations

import base64
import inspect
import io
import json
import logging
import os
import re
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from urllib.parse import parse_qsl, quote, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from werkzeug.exceptions import HTTPException
from werkzeug.routing import AnyConverter, IntegerConverter, PathConverter

from portal import create_app
from portal.api.affiliate import openapi as affiliate_openapi
from portal.api.network import openapi as network_openapi
from portal.extensions import db
from portal.models import (CouponCode, Creative, Invitation, KeyAlert, NetworkSettings, OfferAccess, OfferUrl,
                           PartnerNotice, PasswordReset, ProductFeed, SignInSession)
from portal.services import customers, transactions
from portal.services.everflow_keys import issue_key as issue_eflow_key
from portal.services.intake import set_intake_token
from portal.services.keys import issue_key
from portal.services.network_keys import issue_pair
from portal.services.tokens import new_token
from portal.storage import store_for
from tests import factories
from tests.conftest import TEST_PASSWORD, base_config, clean_to_fresh_installation
from tests.hostile import hostile_scalar, hostile_text
from tests.invoicing import generate_invoices_after
from tests.traffic_world import control as traffic_control
from tests.web.staff.offer_helpers import offer_objects

DEEP = int(os.environ.get("FUZZ_EXAMPLES", "0"))
MAX_EXAMPLES = DEEP or 12  # per route and method, after the fixed sweep (SWEEP over every known name)
BASE_URL = "http://localhost"
INTAKE_TOKEN = "fuzz-intake-token-0123456789"
UNBUDGETED = {"API_RATE_PER_SECOND": 100_000, "API_RATE_BURST": 100_000,
              "EFLOW_NETWORK_API_RATE_PER_SECOND": 100_000, "EFLOW_NETWORK_API_RATE_BURST": 100_000}
FILES_DIR = tempfile.mkdtemp(prefix="fuzz-files-")  # the offers' banners and feeds

# How each door is opened: the blueprint of a rule's endpoint → the caller the fuzzer sends.
DOORS = {
    "partner": "partner_session",
    "staff": "staff_session",
    "auth": "anonymous",
    "docs": "anonymous",
    "health": "anonymous",
    "": "anonymous",  # the app's own `static` rule
    "intake": "intake_token",
    "tracker": "anonymous",  # tracking links and the impression pixel: public, like a shopper's browser
    "affiliate_api": "affiliate_key",
    "network_api": "network_pair",
    "networks_api": "eflow_network_key",
}

# Rules that cannot be fuzzed from a signed-in caller, each with why; each still gets one hostile probe.
PROBE_ONLY = {
    "auth.logout": "ends the very session the fuzzer calls with",
}

# The fixed sweep: every known name of a route set at once to each of these.
SWEEP = ["2147483648", "9223372036854775808", "1" + "0" * 30, "-9223372036854775809", "1e309", "NaN", "\ud800",
         "\x00", "x" * 10_000, ""]
PATH_HOSTILE = ["2147483648", "9223372036854775808", "1" + "0" * 30, "-1", "0", "%ED%A0%80", "%00", "%FF",
                "x" * 3000, "1e309", "NaN", "..%2F..", "%E2%80%AE"]

# Credentials no door issued: malformed Basic, undecodable or huge or NUL-laden pairs, keys of the wrong shape.
HOSTILE_CREDENTIALS = [
    "Basic !!!", "Basic", "Basic ====", "Digest x", *(f"Basic {base64.b64encode(raw).decode()}" for raw in (
        b"\xed\xa0\x80:x", b"\xff:\x00", b":", b"a" * 10_000 + b":b", b"npk_live_" + b"x" * 60 + b":nsk_live_\x00")),
    "Bearer " + "x" * 10_000, "Bearer afk_live_" + "é" * 3, "afk_live_" + "x" * 49, "afk_live_", "x" * 10_000,
]


class Raw:
    """JSON text written as is: 1e309 (a float JSON cannot hold), NaN, deep nesting."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return f"Raw({self.text[:40]!r})"


class Obj:
    """A JSON object as written, so that a key can appear twice."""

    def __init__(self, pairs: list[tuple[str, object]]) -> None:
        self.pairs = pairs

    def __repr__(self) -> str:
        return f"Obj({self.pairs!r})"


def dump(value) -> str:
    """JSON text; lone surrogates go out as their \\uXXXX escapes, as a client's JSON encoder writes them."""
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, Obj):
        return "{" + ",".join(f"{json.dumps(k)}:{dump(v)}" for k, v in value.pairs) + "}"
    if isinstance(value, dict):
        return dump(Obj(list(value.items())))
    if isinstance(value, list):
        return "[" + ",".join(dump(v) for v in value) + "]"
    return json.dumps(value)


def encode(text: str) -> str:
    """Percent-encoded UTF-8, lone surrogates included (as a client that does not check would send them)."""
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


JSON_RAW = [Raw("1e309"), Raw("-1e309"), Raw("NaN"), Raw("Infinity"), Raw("1" + "0" * 400),
            Raw("[" * 2000 + "]" * 2000), Raw('"\\ud800"'), Raw('"\\udc00\\ud800"')]
hostile_json = st.recursive(
    st.one_of(hostile_scalar, st.sampled_from(JSON_RAW)),
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.lists(st.tuples(hostile_text, inner), max_size=3).map(Obj)),
    max_leaves=6)
random_names = st.text(st.characters(codec="ascii", categories=["Ll", "Nd", "Pc"]), min_size=1, max_size=12)


# --- the world: two partners with things to find, every kind of caller --------------------------------


@dataclass
class World:
    app: object
    clients: dict = field(default_factory=dict)  # door → (client, headers)
    path_values: dict = field(default_factory=dict)  # variable name → real values
    own: dict = field(default_factory=dict)  # the signed-in partner's object ids (for the cross-partner probe)
    other: dict = field(default_factory=dict)  # another partner's


def granted_offer(app, make, partner) -> dict:
    """A private offer granted to this partner only, with a thumbnail, a landing page, a banner, a product feed
    (files in a store of the test's own), a coupon code and a notice: what the other partner must not find."""
    app.config["STORAGE_DIR"] = FILES_DIR
    store = store_for(app)
    offer = make.offer(name=f"{partner.name} private offer", visibility="private", deep_links_allowed=True,
                       thumbnail_key=store.save(io.BytesIO(b"thumbnail"), ".png"))
    page = OfferUrl(offer_id=offer.id, name="Pricing", destination_url="https://advertiser.example/pricing")
    banner = Creative(offer_id=offer.id, name="Banner", creative_type="image", filename="banner.png",
                      content_type="image/png", file_key=store.save(io.BytesIO(b"banner"), ".png"), file_size=6)
    feed = ProductFeed(offer_id=offer.id, name="Feed", filename="feed.csv", content_type="text/csv",
                       file_key=store.save(io.BytesIO(b"sku\n1\n"), ".csv"), file_size=6)
    coupon = CouponCode(offer_id=offer.id, partner_id=partner.id, code=f"CODE{partner.id}")
    notice = PartnerNotice(partner_id=partner.id, kind="offer_granted", title=f"Granted: {offer.name}",
                           offer_id=offer.id)
    # The grant carries a custom payout: a Network API custom payout setting (setting_id) to reach.
    db.session.add_all([OfferAccess(partner_id=partner.id, offer_id=offer.id, status="approved", payout_type="flat",
                                    payout_amount=250), page, banner,
                        feed, coupon, notice])
    db.session.commit()
    return {"private_offer": offer, "offer_url": page, "creative": banner, "feed": feed, "notice": notice}


def build_world(app) -> World:
    world = World(app)
    with app.app_context():
        make = factories.Factories(db)
        partners = []
        for name in ("Own", "Other"):
            partner = make.partner(name=f"{name} partner", email=f"{name.lower()}@example.com")
            offer = make.offer(name=f"{name} offer")
            now = datetime.now(UTC).replace(microsecond=0)
            click = make.click(partner, offer, at=now - timedelta(hours=2), sub1="s1")
            conversion = make.conversion(partner, offer, at=now - timedelta(hours=1), sub1="s1")
            make.conversion(partner, offer, status="on_hold", hold_until=now + timedelta(days=3))
            postback = make.server_postback(partner)
            delivery = make.delivery(postback, status="dead", attempts=1)
            issued = issue_key(partner, f"{name} key")
            alert = KeyAlert(api_key_id=issued.key.id, partner_id=partner.id, kind="new_endpoint", detail={})
            invitation = Invitation(kind="partner", partner_id=partner.id, email=f"invited-{name.lower()}@example.com",
                                    role="reports", token_hash=new_token()[1], invited_by_kind="system",
                                    expires_at=now + timedelta(days=1))
            db.session.add_all([alert, invitation])
            db.session.commit()
            rule = traffic_control(db, f"{name} partner's rule", partners=(partner,), values=[f"{name.lower()}-sub"])
            partners.append({"partner": partner, "offer": offer, "click": click, "conversion": conversion,
                             "rule": rule, "postback": postback, "delivery": delivery, "key": issued, "alert": alert,
                             "invitation": invitation, **granted_offer(app, make, partner)})
        own, other = partners
        # An invoice each (billing): the approved conversions of the last hours.
        today = datetime.now(UTC).date()
        for invoice in generate_invoices_after(today - timedelta(days=2), today + timedelta(days=1),
                                         [p["partner"].id for p in partners], None).invoices:
            next(p for p in partners if p["partner"].id == invoice.partner_id)["invoice_id"] = invoice.id
        # The offers console's objects (a landing page, a banner, a coupon, a feed, an application), files in
        # a directory of the run's own.
        app.config["STORAGE_DIR"] = tempfile.mkdtemp(prefix="fuzz-files-")
        applicant = make.partner(name="Applicant partner", email="applicant@example.com")
        for name, value in offer_objects(db, store_for(app), applicant, own["offer"]).items():
            world.path_values.setdefault(name, set()).add(str(value))
        user = make.partner_user(own["partner"])
        staff = make.staff(email="fuzz-admin@network.test")
        eflow_secret = issue_eflow_key("Fuzz BI").secret
        pair = issue_pair("production", "Fuzzing")
        db.session.get(NetworkSettings, 1).network_api_offer_id = own["offer"].id
        db.session.commit()
        customer = customers.create(False, own["partner"], {"customer_key": "fuzz-1", "email": "c@example.com"})
        transactions.create(False, customer, {"amount": 100, "currency": "USD", "key": "fuzz-txn"})
        set_intake_token(INTAKE_TOKEN)
        # The links sent by mail: a live invitation (to staff) and a live password reset, by their real tokens.
        invitation_token, invitation_hash = new_token()
        reset_token, reset_hash = new_token()
        staff_invitation = Invitation(kind="staff", email="invited-staff@network.test", permissions=[],
                                      token_hash=invitation_hash, invited_by_kind="system",
                                      expires_at=now + timedelta(days=1))
        db.session.add_all([staff_invitation, PasswordReset(token_hash=reset_hash, user_kind="partner",
                                                            user_id=user.id, expires_at=now + timedelta(hours=1))])
        db.session.commit()
        world.path_values["token"] = {invitation_token, reset_token}
        world.path_values["invitation_id"] = {str(staff_invitation.id)}

        def ids(p):
            return {"postback_id": p["postback"].id, "pixel_id": p["postback"].id, "delivery_id": p["delivery"].id,
                    "conversion_id": p["conversion"].conversion_id, "transaction_id": p["click"].transaction_id,
                    "partner_id": p["partner"].id, "key_id": p["key"].key.id, "alert_id": p["alert"].id,
                    "invitation_id": p["invitation"].id, "offer_id": p["private_offer"].id,
                    "url_id": p["offer_url"].id, "creative_id": p["creative"].id, "feed_id": p["feed"].id,
                    "notice_id": p["notice"].id, "control_id": p["rule"].id, "invoice_id": p["invoice_id"]}

        world.own, world.other = ids(own), ids(other)
        # Tracking links: both partners' ids and keys, both offers (the door is public; nothing is owned).
        world.path_values["affiliate_id"] = {str(p["partner"].id) for p in partners}
        world.path_values["offer_id"] = {str(p["offer"].id) for p in partners}
        world.path_values["partner_key"] = {p["partner"].partner_key for p in partners}
        for name, value in [*world.own.items(), *world.other.items()]:
            world.path_values.setdefault(name, set()).add(str(value))
        world.path_values.setdefault("key", set()).update(
            {own["partner"].partnership_key, customer.key, "fuzz-txn", "gstest"})
        world.path_values.setdefault("pair_id", set()).add(str(pair.key.id))
        world.path_values["setting_id"] = {str(i) for i in db.session.scalars(
            select(OfferAccess.id).where(OfferAccess.payout_type.is_not(None)))}
        secret, pair_secret, public_key = own["key"].secret, pair.secret, pair.key.public_key
        user_email, staff_email = user.email, staff.email
        db.session.remove()

    # Each user is also signed in on another device: the sessions it can end are real ones.
    for path, email in (("/login", user_email), ("/staff/login", staff_email)):
        assert app.test_client().post(path, data={"email": email, "password": TEST_PASSWORD}).status_code == 302
    with app.app_context():
        world.path_values["session_id"] = {str(i) for i in db.session.scalars(select(SignInSession.id))}
        db.session.remove()
    anonymous = app.test_client()
    partner_client = app.test_client()
    assert partner_client.post("/login", data={"email": user_email, "password": TEST_PASSWORD}).status_code == 302
    staff_client = app.test_client()
    assert staff_client.post("/staff/login", data={"email": staff_email,
                                                   "password": TEST_PASSWORD}).status_code == 302
    # Confirmed as well, so that the reveals (which need a recent confirmation) are fuzzed past it.
    assert staff_client.post("/staff/confirm-identity", data={"password": TEST_PASSWORD}).status_code == 303
    basic = base64.b64encode(f"{public_key}:{pair_secret}".encode()).decode()
    world.clients = {
        "anonymous": (anonymous, {}),
        "partner_session": (partner_client, {}),
        "staff_session": (staff_client, {}),
        "affiliate_key": (anonymous, {"X-Eflow-API-Key": secret}),
        "network_pair": (anonymous, {"Authorization": f"Basic {basic}"}),
        "eflow_network_key": (anonymous, {"X-Eflow-API-Key": eflow_secret}),
        "intake_token": (anonymous, {}),
    }
    return world


# --- the routes and what each reads ------------------------------------------------------------------

_APP = create_app(base_config())


def door_of(endpoint: str) -> str | None:
    return DOORS.get(endpoint.rpartition(".")[0])


@dataclass
class Route:
    endpoint: str
    rule: str
    method: str
    variables: dict  # name → converter
    query_names: set = field(default_factory=set)
    body_names: set = field(default_factory=set)
    body_schema: dict | None = None
    document: dict | None = None

    def __str__(self) -> str:
        return f"{self.method} {self.rule}"


def _routes() -> list[Route]:
    routes = []
    for rule in sorted(_APP.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            routes.append(Route(rule.endpoint, rule.rule, method, dict(rule._converters)))
    return routes


ROUTES = _routes()
_READ_NAME = re.compile(r"""(?:args|form|values|body|params|raw)\.get(?:list)?\(\s*["']([A-Za-z_][\w.]*)["']""")
_ITEM_NAME = re.compile(r"""(?:args|form|values|body|params)\[\s*["']([A-Za-z_]\w*)["']\s*\]""")


def _names_read_by(endpoint: str) -> set[str]:
    """The parameter names the view's module (and the parsing modules it leans on) read."""
    view = _APP.view_functions[endpoint]
    modules = {inspect.getmodule(inspect.unwrap(view))}
    source = "".join(inspect.getsource(m) for m in modules if m is not None)
    for name in re.findall(r"from (portal\.[\w.]+) import", source):
        if any(part in name for part in ("parsing", "params", "paging", "report_form", "criteria", "forms")):
            module = sys.modules.get(name)
            if module is not None:
                source += inspect.getsource(module)
    return set(_READ_NAME.findall(source)) | set(_ITEM_NAME.findall(source))


def _document_operations() -> dict[tuple[str, str], tuple[dict, dict]]:
    """(rule, method) → (operation, document) for both APIs' OpenAPI documents."""
    found = {}
    for document in (affiliate_openapi.build(BASE_URL), network_openapi.build(BASE_URL)):
        for path, item in document["paths"].items():
            rule = re.sub(r"\{(\w+)\}", r"<\1>", path)
            for method, operation in item.items():
                found[(rule, method.upper())] = (operation, document)
    return found


def _resolve(node, document: dict):
    while isinstance(node, dict) and "$ref" in node:
        target = document
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node


def _plain_rule(rule: str) -> str:
    return re.sub(r"<(?:[^:<>]+:)?(\w+)>", r"<\1>", re.sub(r"<any\([^)]*\):(\w+)>", r"<\1>", rule))


def _attach_names(routes: list[Route]) -> None:
    operations = _document_operations()
    for route in routes:
        route.query_names |= _names_read_by(route.endpoint)
        found = operations.get((_plain_rule(route.rule), route.method))
        if found is None:
            continue
        operation, document = found
        route.document = document
        for parameter in operation.get("parameters", []):
            parameter = _resolve(parameter, document)
            if parameter["in"] == "query":
                route.query_names.add(parameter["name"])
        content = operation.get("requestBody", {}).get("content", {}).get("application/json")
        if content:
            route.body_schema = _resolve(content["schema"], document)
            route.body_names |= set(route.body_schema.get("properties", {}))


_attach_names(ROUTES)


class FormsAndLinks(HTMLParser):
    """The forms (action, method, fields with their values) and links of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.targets: list[tuple[str, str, list[tuple[str, str]]]] = []  # (method, url, pairs)
        self._form = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._form = [attrs.get("method", "get").upper(), attrs.get("action") or "", []]
        elif tag in ("input", "select", "textarea", "button") and self._form is not None and attrs.get("name"):
            self._form[2].append((attrs["name"], attrs.get("value") or ""))
        elif tag == "option" and self._form is not None and self._form[2] and attrs.get("value") is not None:
            self._form[2].append((self._form[2][-1][0], attrs["value"]))
        elif tag in ("a", "link", "script", "img"):
            url = attrs.get("href") or attrs.get("src")
            if url and url.startswith("/"):
                self.targets.append(("GET", url, []))

    def handle_endtag(self, tag):
        if tag == "form" and self._form is not None:
            self.targets.append(tuple(self._form))
            self._form = None


@dataclass
class Harvest:
    """What the pages showed: per endpoint, parameter names with real values, and real path values."""

    pairs: dict = field(default_factory=dict)  # endpoint → {name: {values}}
    path_values: dict = field(default_factory=dict)  # variable → {values}


def harvest(world: World) -> Harvest:
    found = Harvest()
    adapter = world.app.url_map.bind("localhost")
    for route in ROUTES:
        door = door_of(route.endpoint)
        if route.method != "GET" or door not in ("partner_session", "staff_session", "anonymous"):
            continue
        path = fill(route, {name: sorted(values)[0] for name, values in world.path_values.items()}, {})
        if path is None:
            continue
        client, headers = world.clients[door]
        response = client.get(path, headers=headers)
        body = response.get_data()  # read to the end, so that a streamed export closes its cursor
        response.close()
        if response.mimetype != "text/html":
            continue
        page = body.decode()
        parser = FormsAndLinks()
        parser.feed(page)
        for method, url, pairs in parser.targets:
            split = urlsplit(url or path)
            try:
                endpoint, values = adapter.match(split.path, method="GET" if method == "GET" else "POST")
            except HTTPException:
                continue
            for name, value in values.items():
                found.path_values.setdefault(name, set()).add(str(value))
            names = found.pairs.setdefault(endpoint, {})
            for name, value in [*pairs, *parse_qsl(split.query, keep_blank_values=True)]:
                names.setdefault(name, set()).add(value)
    return found


def fill(route: Route, real: dict, hostile: dict) -> str | None:
    """The rule with each variable replaced: a hostile value where given, else a real one."""
    path = route.rule
    for name, converter in route.variables.items():
        value = hostile.get(name)
        if value is None:
            if isinstance(converter, AnyConverter):
                value = sorted(converter.items)[0]
            elif name in real:
                value = encode(str(real[name])) if not isinstance(converter, PathConverter) else str(real[name])
            elif isinstance(converter, IntegerConverter):
                value = "1"
            else:
                value = "x"
        path = re.sub(rf"<(?:[^<>]*:)?{name}>", lambda _: value, path)
    return path


# --- what a request is made of -----------------------------------------------------------------------


def _value_for(name: str, known: dict) -> st.SearchStrategy:
    real = sorted(known.get(name, ()))
    return st.one_of(st.sampled_from(real), hostile_text) if real else hostile_text


def _from_schema(schema: dict, document: dict, depth: int = 0) -> st.SearchStrategy:
    """A body shaped like the document says, each leaf real-looking or hostile."""
    schema = _resolve(schema, document)
    if depth > 4:
        return hostile_json
    options = schema.get("anyOf") or schema.get("oneOf")
    if options:
        return st.one_of(*(_from_schema(option, document, depth + 1) for option in options))
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    if kind == "object" or "properties" in schema:
        properties = schema.get("properties", {})
        required = set(schema.get("required", ()))
        return st.fixed_dictionaries(
            {name: _from_schema(sub, document, depth + 1) for name, sub in properties.items() if name in required},
            optional={name: _from_schema(sub, document, depth + 1) for name, sub in properties.items()
                      if name not in required},
        ).flatmap(lambda body: st.tuples(st.just(body), st.lists(st.tuples(random_names, hostile_json), max_size=2)))\
            .map(lambda found: Obj([*found[0].items(), *found[1]]))
    if kind == "array":
        return st.lists(_from_schema(schema.get("items", {}), document, depth + 1), max_size=3)
    if "enum" in schema:
        plausible = st.sampled_from(schema["enum"])
    elif "const" in schema:
        plausible = st.just(schema["const"])
    elif kind == "string":
        plausible = st.sampled_from(["2026-11-01", "2026-11-07", "x", "USD", "https://tracker.example/pb"]) \
            if "format" not in schema else st.just({"email": "a@example.com", "uri": "https://example.com/"}
                                                   .get(schema["format"], "2026-11-01"))
    elif kind in ("integer", "number"):
        plausible = st.integers(0, 100)
    elif kind == "boolean":
        plausible = st.booleans()
    else:
        return hostile_json
    return st.one_of(plausible, plausible, hostile_json)


@dataclass
class Request:
    path: str
    query: str
    body: bytes | None = None
    content_type: str | None = None
    headers: dict = field(default_factory=dict)  # over the door's own: Accept, or hostile credentials


    def __repr__(self) -> str:
        body = (self.body or b"")[:300]
        return (f"Request({self.path[:200]!r}, query={self.query[:300]!r}, body={body!r}, {self.content_type}, "
                f"headers={ {k: v[:100] for k, v in self.headers.items()} })")


def _pairs(names: st.SearchStrategy, known: dict) -> st.SearchStrategy:
    """Name/value pairs, a name possibly twice."""
    return st.lists(names.flatmap(lambda name: st.tuples(st.just(name), _value_for(name, known))), max_size=6)


def _urlencoded(pairs) -> str:
    return "&".join(f"{encode(name)}={encode(value)}" for name, value in pairs)


def requests_for(route: Route, world: World, harvested: Harvest) -> st.SearchStrategy:
    known = harvested.pairs.get(route.endpoint, {})
    names = sorted(route.query_names | route.body_names | set(known))
    name = st.one_of(st.sampled_from(names), random_names) if names else random_names
    real_paths = {**{k: sorted(v) for k, v in harvested.path_values.items()},
                  **{k: sorted(v) for k, v in world.path_values.items()}}

    @st.composite
    def build(draw):
        chosen = {var: draw(st.sampled_from(real_paths[var])) for var in route.variables if var in real_paths}
        hostile = {var: draw(st.sampled_from(PATH_HOSTILE)) for var in route.variables
                   if draw(st.booleans()) and not isinstance(route.variables[var], AnyConverter)}
        path = fill(route, chosen, hostile)
        query = draw(_pairs(name, known))
        if door_of(route.endpoint) == "intake_token" and draw(st.integers(0, 4)):
            query.append(("token", INTAKE_TOKEN))
        body = content_type = None
        if route.method != "GET":
            kind = draw(st.sampled_from(["form", "json", "json", "raw"]))
            if kind == "form":
                body = _urlencoded(draw(_pairs(name, known))).encode()
                content_type = "application/x-www-form-urlencoded"
            elif kind == "json":
                if route.body_schema is not None and route.document is not None and draw(st.booleans()):
                    value = draw(_from_schema(route.body_schema, route.document))
                else:
                    value = draw(st.one_of(
                        st.lists(st.tuples(name, hostile_json), max_size=6).map(Obj), hostile_json))
                body, content_type = dump(value).encode("utf-8", "surrogatepass"), "application/json"
            else:
                body = draw(st.sampled_from([b"\xff\xfe{", b'{"a":', b"x" * 2000, b"", b"\x00", b"%ED%A0%80=1"]))
                content_type = draw(st.sampled_from(["application/json", "application/x-www-form-urlencoded",
                                                     "text/plain", "multipart/form-data; boundary=x", None]))
        # Views that answer scripts (Reveal, the postback preview) read Accept.
        accept = draw(st.sampled_from([None, "application/json", "text/html", "text/csv", "*/*"]))
        return Request(path, _urlencoded(query), body, content_type, {"Accept": accept} if accept else {})

    return build()


def sweep_for(route: Route, world: World, harvested: Harvest) -> list[Request]:
    """Every known name of the route set to each value of SWEEP, as query, form and JSON; every path
    variable set to each of PATH_HOSTILE."""
    known = harvested.pairs.get(route.endpoint, {})
    real = {k: sorted(v)[0] for k, v in {**harvested.path_values, **world.path_values}.items()}
    path = fill(route, real, {})
    token = [("token", INTAKE_TOKEN)] if door_of(route.endpoint) == "intake_token" else []
    names = sorted(route.query_names | route.body_names | set(known)) or ["q"]
    found = [Request(fill(route, real, {var: value}), _urlencoded(token))
             for var, converter in route.variables.items() if not isinstance(converter, AnyConverter)
             for value in PATH_HOSTILE]
    for value in SWEEP:
        pairs = [(name, value) for name in names]
        found.append(Request(path, _urlencoded(pairs + token)))
        if route.method != "GET":
            found.append(Request(path, _urlencoded(token), _urlencoded(pairs).encode(),
                                 "application/x-www-form-urlencoded"))
    found += [Request(path, _urlencoded(token), headers={name: value})
              for name in ("Authorization", "X-Eflow-API-Key") for value in HOSTILE_CREDENTIALS]
    if route.method != "GET":
        for value in [2**63, 10**30, -(2**63) - 1, Raw("1e309"), Raw("NaN"), "\ud800", "\x00", [], {}, None, True]:
            found.append(Request(path, _urlencoded(token), dump(Obj([(n, value) for n in names])).encode(
                "utf-8", "surrogatepass"), "application/json"))
    return found


# --- sending, and what must hold ---------------------------------------------------------------------


class ErrorLog(logging.Handler):
    """Every record at ERROR or above, or carrying an exception, while a request runs."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.ERROR or record.exc_info:
            self.records.append(record)


@pytest.fixture
def error_log():
    handler = ErrorLog()
    root = logging.getLogger()
    root.addHandler(handler)
    yield handler
    root.removeHandler(handler)


def send(world: World, route: Route, request: Request, error_log: ErrorLog, door: str | None = None):
    client, headers = world.clients[door or door_of(route.endpoint)]
    headers = {**headers, **request.headers}
    error_log.records.clear()
    response = client.open(request.path, method=route.method, query_string=request.query, data=request.body,
                           content_type=request.content_type, headers=headers, base_url=BASE_URL)
    body = response.get_data()  # a streamed answer (exports) fails while it is read, not before
    response.close()
    assert response.status_code < 500, f"{route} {request!r} → {response.status_code}: {body[:300]!r}"
    assert not error_log.records, f"{route} {request!r} logged: " + "; ".join(
        f"{r.name}: {r.getMessage()[:200]}" for r in error_log.records)
    return response


@pytest.fixture
def world(make_app):
    return build_world(make_app(**UNBUDGETED))


@pytest.fixture(scope="module")
def harvested(migrated_database):
    """The pages' forms and links, read once from a world of their own (then cleaned away)."""
    app = create_app(base_config(**UNBUDGETED))
    try:
        return harvest(build_world(app))
    finally:
        with app.app_context():
            db.session.remove()
            clean_to_fresh_installation()
            db.engine.dispose()


FUZZED = [r for r in ROUTES if r.endpoint not in PROBE_ONLY]


def test_every_route_is_behind_a_door_this_test_opens():
    unknown = sorted({r.endpoint for r in ROUTES if door_of(r.endpoint) is None})
    assert not unknown, f"add the door of these endpoints to DOORS (how to sign in to call them): {unknown}"
    assert set(PROBE_ONLY) <= {r.endpoint for r in ROUTES}, "PROBE_ONLY names a route that is gone"
    assert len(FUZZED) >= 80


def test_the_harvest_found_names_and_values(harvested):
    """The pages were read: their forms name the fields the fuzzer fills."""
    assert {"email", "password"} <= set(harvested.pairs["auth.partner_login"])
    assert "url" in harvested.pairs["partner.postback_new"]
    assert "tab" in harvested.path_values and "fmt" in harvested.path_values


@pytest.mark.parametrize("route", FUZZED, ids=str)
def test_hostile_values_never_make_a_server_error(route, world, harvested, error_log):
    for request in sweep_for(route, world, harvested):
        send(world, route, request, error_log)

    @settings(max_examples=MAX_EXAMPLES, derandomize=not DEEP, database=None,
              suppress_health_check=list(HealthCheck))
    @given(request=requests_for(route, world, harvested))
    def fuzz(request):
        send(world, route, request, error_log)

    fuzz()


@pytest.mark.parametrize("endpoint", sorted(PROBE_ONLY))
def test_routes_that_end_the_session_take_hostile_probes(endpoint, world, error_log):
    """Signed in as a partner: a hostile JSON body is refused (415) and ends nothing; hostile form fields
    and query parameters still sign out."""
    partner_client, _ = world.clients["partner_session"]
    for route in (r for r in ROUTES if r.endpoint == endpoint):
        query = _urlencoded([("next", "\ud800"), ("x", "9223372036854775808")])
        refused = send(world, route, Request(fill(route, {}, {}), query, dump(Obj([("a", Raw("1e309")), (
            "a", "\ud800")])).encode("utf-8", "surrogatepass"), "application/json"), error_log, "partner_session")
        assert refused.status_code == 415
        assert partner_client.get("/").status_code == 200
        form = _urlencoded([("next", "\ud800"), ("csrf_token", "\x00" * 3)]).encode()
        ended = send(world, route, Request(fill(route, {}, {}), query, form, "application/x-www-form-urlencoded"),
                     error_log, "partner_session")
        assert ended.status_code == 302
        assert partner_client.get("/").status_code == 302


# --- another partner's objects are not found ---------------------------------------------------------

OWNED_VARIABLES = {"postback_id", "pixel_id", "delivery_id", "conversion_id", "transaction_id", "invitation_id",
                   "offer_id", "url_id", "creative_id", "feed_id", "notice_id", "control_id", "invoice_id"}
CROSS_PARTNER = [r for r in FUZZED if door_of(r.endpoint) in ("partner_session", "affiliate_key")
                 and set(r.variables) & OWNED_VARIABLES]


def test_the_cross_partner_probe_covers_every_route_with_a_partners_object():
    assert {r.endpoint for r in CROSS_PARTNER} >= {"partner.postback_edit", "affiliate_api.pixel_retry",
                                                   "affiliate_api.conversion", "partner.conversion_detail",
                                                   "affiliate_api.offer_detail", "affiliate_api.offer_url",
                                                   "affiliate_api.offer_tracking_url", "affiliate_api.creative_file",
                                                   "affiliate_api.product_feed_file", "partner.offer_detail",
                                                   "partner.offer_link", "partner.offer_apply", "partner.creative_file",
                                                   "partner.product_feed_file", "partner.notice_read",
                                                   "affiliate_api.traffic_control", "partner.invoice_detail",
                                                   "partner.invoice_csv", "partner.invoice_pdf",
                                                   "affiliate_api.invoice_by_id"}


@pytest.mark.parametrize("route", CROSS_PARTNER, ids=str)
def test_another_partners_objects_are_not_found(route, world, error_log):
    """The same request with the caller's own objects and with the other partner's: the other's are 404."""
    if route.method == "GET":  # the control: the same page or call with the caller's own objects is found
        own = send(world, route, Request(fill(route, world.own, {}), ""), error_log)
        assert own.status_code == 200, f"{route}: the caller's own object answered {own.status_code}"
    api = door_of(route.endpoint) == "affiliate_key"
    for extra in ({}, {"url": "https://tracker.example/pb?tid={transaction_id}", "delivery_method": "postback"}):
        body = (json.dumps(extra) if api else _urlencoded(extra.items())).encode() if route.method != "GET" else None
        kind = ("application/json" if api else "application/x-www-form-urlencoded") if body is not None else None
        others = send(world, route, Request(fill(route, world.other, {}), "", body, kind), error_log)
        assert others.status_code == 404, f"{route}: another partner's object answered {others.status_code}"
        for value in world.other.values():
            if isinstance(value, str):
                assert value.encode() not in others.get_data()


def test_every_path_variable_has_real_values(world, harvested):
    """So that every route is reached with real objects too: a new variable needs a value in build_world
    (or a page that links to it)."""
    known = set(world.path_values) | set(harvested.path_values)
    missing = sorted({f"{name} ({r.rule})" for r in ROUTES for name, converter in r.variables.items()
                      if name not in known and not isinstance(converter, AnyConverter)})
    assert not missing, f"no real value for: {missing}"
