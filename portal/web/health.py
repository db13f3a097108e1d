"""Site-wide public answers, no sign-in: `GET /healthz` (one `SELECT 1`; 503 when the database is down, see
portal.http.errors) and `GET /favicon.ico`, which browsers and feed readers ask for whatever a page links."""

from flask import Blueprint, current_app, jsonify, send_from_directory
from sqlalchemy import text

from portal.extensions import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    db.session.execute(text("SELECT 1"))
    return jsonify(status="ok")


@bp.get("/favicon.ico")
def favicon():
    # The same icon the layouts link (static/favicon.svg), as an .ico for clients that only look here.
    return send_from_directory(current_app.static_folder, "favicon.ico", mimetype="image/vnd.microsoft.icon",
                               max_age=86400)
