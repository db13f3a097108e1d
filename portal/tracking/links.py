"""The public tracking door: `/c/{affiliate_id}/{offer_id}` and `/r/{partner_key}/{offer_id}` (clicks, a 302
to the landing page) and `/i/{affiliate_id}/{offer_id}` (impressions, a 1×1 GIF). Formats:
portal.domain.tracking_links. No session, no CSRF, no cookie: shoppers' browsers call these.

A click is the hottest request the portal serves, and Flask's per-request machinery (request context,
session, hooks, the error handlers' lookups) cost about as much as everything a click does. So the door is a
WSGI layer in front of Flask (`TrackerDoor`, installed by `init_app`): a GET or HEAD on one of RULES is
answered here, in an application context only (the database session and the config); anything else, a
link that does not match included, goes on to Flask, which answers it as any other URL (404, 405, 308).
The rules are also in the app's URL map, so Flask knows them (methods, listings); Flask dispatches them only
when the app is served without its door, to the same `answer`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import Blueprint, Flask, current_app, render_template, request
from sqlalchemy.exc import DataError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.routing import Map, Rule
from werkzeug.urls import iri_to_uri
from werkzeug.wrappers import Request, Response

from portal.extensions import db
from portal.http.errors import DATABASE_RETRY_AFTER
from portal.http.security_headers import security_headers
from portal.services.click_targets import TargetCache
from portal.services.clicks import Tracker, take_click, take_impression
from portal.services.traffic_writer import TrafficBacklog
from portal.tracking.visitor import visit_of

RULES = (("/c/<int:affiliate_id>/<int:offer_id>", "click"),
         ("/r/<partner_key>/<int:offer_id>", "partner_key_click"),
         ("/i/<int:affiliate_id>/<int:offer_id>", "impression"))
PREFIXES = ("/c/", "/r/", "/i/")
NO_STORE = ("Cache-Control", "no-store")
STATUS_LINES = {code: f"{code} {HTTP_STATUS_CODES[code]}" for code in (200, 204, 302, 404, 500, 503)}
# The smallest transparent GIF: 1×1, one colour, that colour transparent.
PIXEL = (b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00"
         b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")
# Nothing was promised when these happen (a row the stuck writer commits later is one click too many, never
# one lost): a 503, and the visitor may click again in a moment. IntegrityError and DataError: the row itself
# was refused (say its offer was deleted within the cache's few seconds); TimeoutError: the writer did not
# commit the row in time; TrafficBacklog: the writer has too many rows waiting already.
DATABASE_TROUBLE = (OperationalError, InterfaceError, PoolTimeoutError, TimeoutError, TrafficBacklog,
                    IntegrityError, DataError)
_STATE = "portal.tracker"

bp = Blueprint("tracker", __name__)


def _through_flask(**values) -> Response:
    """The same answer when Flask itself dispatches a tracking link: only where the app is served without its
    door (its own `wsgi_app` mounted elsewhere, say); the door answers these first otherwise."""
    found = answer(current_app, request.endpoint.rpartition(".")[2], values, request)
    return Response(found.body, status=found.status, headers=found.headers)


for _rule, _endpoint in RULES:
    bp.add_url_rule(_rule, endpoint=_endpoint, view_func=_through_flask, methods=("GET",))


def init_app(app: Flask) -> None:
    """Register the rules, the process's tracker state, and the door in front of Flask."""
    app.register_blueprint(bp)
    app.extensions[_STATE] = Tracker(TargetCache(app.config["TRACKING_CACHE_SECONDS"]))
    app.wsgi_app = TrackerDoor(app, app.wsgi_app)


class TrackerDoor:
    """WSGI: answers GET and HEAD on the tracking links; hands everything else to `next_app` (Flask)."""

    def __init__(self, app: Flask, next_app: Callable) -> None:
        self.app = app
        self.next_app = next_app
        self.urls = Map([Rule(rule, endpoint=endpoint, methods=("GET",)) for rule, endpoint in RULES],
                        converters=app.url_map.converters)

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if not environ.get("PATH_INFO", "").startswith(PREFIXES):
            return self.next_app(environ, start_response)
        try:
            endpoint, values = self.urls.bind_to_environ(environ).match()
        except HTTPException:
            return self.next_app(environ, start_response)  # Flask answers it as any other URL
        with self.app.app_context():
            try:
                found = answer(self.app, endpoint, values, Request(environ))
            except Exception:  # a defect: logged as Flask would, answered with the page and every header
                self.app.logger.exception("Exception on %s [%s]", environ.get("PATH_INFO"),
                                          environ.get("REQUEST_METHOD"))
                found = _page(500, retry=True)
        # What Flask's after_request would add, and the body unless HEAD: a plain WSGI answer costs a click
        # less than a Response object's.
        headers = [*found.headers, *security_headers(self.app.config).items()]
        if found.status != 204:  # (a 204 carries no Content-Length, RFC 9110)
            headers.append(("Content-Length", str(len(found.body))))
        start_response(STATUS_LINES[found.status], headers)
        return [] if environ["REQUEST_METHOD"] == "HEAD" else [found.body]


@dataclass(frozen=True)
class Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes = b""


def answer(app: Flask, endpoint: str, values: dict, request: Request) -> Answer:
    """Take the click or impression `endpoint` names (inside an application context) and answer it."""
    tracker: Tracker = app.extensions[_STATE]
    record = request.method != "HEAD"
    try:
        if endpoint == "impression":
            if record:
                take_impression(tracker, values["affiliate_id"], values["offer_id"], visit_of(request), _now())
            if request.args.get("pixel") == "0":
                return Answer(204, [NO_STORE])
            return Answer(200, [NO_STORE, ("Content-Type", "image/gif")], PIXEL)
        partner = values["partner_key"] if endpoint == "partner_key_click" else values["affiliate_id"]
        outcome = take_click(tracker, partner, values["offer_id"], visit_of(request), _now(), record=record)
    except DATABASE_TROUBLE:
        db.session.rollback()
        return _page(503, retry=True)
    if outcome.location:
        try:
            location = iri_to_uri(outcome.location)  # non-ASCII and characters a header must not carry, encoded
        except (UnicodeError, ValueError):  # a destination whose host no URI can carry: the page below
            location = None
        if location is not None:
            return Answer(302, [NO_STORE, ("Location", location)])
    return _page(200 if outcome.known else 404)


def _page(status: int, retry: bool = False) -> Answer:
    headers = [NO_STORE, ("Content-Type", "text/html; charset=utf-8")]
    if retry:
        headers.append(("Retry-After", DATABASE_RETRY_AFTER))
    return Answer(status, headers, render_template("tracking/unavailable.html", retry=retry).encode())


def _now() -> datetime:
    return datetime.now(UTC)
