"""The public tracking door: `/c/{affiliate_id}/{offer_id}` and `/r/{partner_key}/{offer_id}` (clicks, a 302
to the landing page) and `/i/{affiliate_id}/{offer_id}` (impressions, a 1×1 GIF). Formats:
portal.domain.tracking_links. No session, no CSRF, no cookie: shoppers' browsers call these.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, Response, current_app, redirect, render_template, request
from sqlalchemy.exc import DataError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from portal.extensions import csrf, db
from portal.http.errors import DATABASE_RETRY_AFTER
from portal.services.click_targets import TargetCache
from portal.services.clicks import Outcome, Tracker, take_click, take_impression
from portal.services.traffic_writer import TrafficBacklog
from portal.tracking.visitor import visit_of

bp = Blueprint("tracker", __name__)
csrf.exempt(bp)
NO_STORE = {"Cache-Control": "no-store"}
# The smallest transparent GIF: 1×1, one colour, that colour transparent.
PIXEL = (b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00"
         b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")
_STATE = "portal.tracker"


@bp.record_once
def _start(state) -> None:
    state.app.extensions[_STATE] = Tracker(TargetCache(state.app.config["TRACKING_CACHE_SECONDS"]))


def _now() -> datetime:
    return datetime.now(UTC)


@bp.get("/c/<int:affiliate_id>/<int:offer_id>")
def click(affiliate_id: int, offer_id: int):
    return _answer(take_click(current_app.extensions[_STATE], affiliate_id, offer_id, visit_of(request), _now(),
                              record=request.method != "HEAD"))


@bp.get("/r/<partner_key>/<int:offer_id>")
def partner_key_click(partner_key: str, offer_id: int):
    return _answer(take_click(current_app.extensions[_STATE], partner_key, offer_id, visit_of(request), _now(),
                              record=request.method != "HEAD"))


@bp.get("/i/<int:affiliate_id>/<int:offer_id>")
def impression(affiliate_id: int, offer_id: int):
    if request.method != "HEAD":
        take_impression(current_app.extensions[_STATE], affiliate_id, offer_id, visit_of(request), _now())
    if request.args.get("pixel") == "0":
        return Response(status=204, headers=NO_STORE)
    return Response(PIXEL, mimetype="image/gif", headers=NO_STORE)


def _answer(outcome: Outcome):
    if outcome.location:
        return redirect(outcome.location, 302), NO_STORE
    return render_template("tracking/unavailable.html"), 200 if outcome.known else 404, NO_STORE


@bp.errorhandler(OperationalError)
@bp.errorhandler(InterfaceError)
@bp.errorhandler(PoolTimeoutError)
@bp.errorhandler(TimeoutError)  # the writer did not commit the row in time: the database is stuck
@bp.errorhandler(TrafficBacklog)  # the writer has too many rows waiting already
@bp.errorhandler(IntegrityError)  # the row itself was refused (say its offer was deleted within the cache TTL)
@bp.errorhandler(DataError)
def database_unavailable(err):
    # Nothing was promised (a row the stuck writer commits later is one click too many, never one lost):
    # the visitor may click again in a moment.
    db.session.rollback()
    return render_template("tracking/unavailable.html", retry=True), 503, \
        {"Retry-After": DATABASE_RETRY_AFTER, **NO_STORE}
