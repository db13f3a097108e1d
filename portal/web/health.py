"""`GET /healthz`: no sign-in, one `SELECT 1`; 503 when the database is down (see portal.http.errors)."""

from flask import Blueprint, jsonify
from sqlalchemy import text

from portal.extensions import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    db.session.execute(text("SELECT 1"))
    return jsonify(status="ok")
