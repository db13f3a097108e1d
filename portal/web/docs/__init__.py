"""Public documentation pages: no sign-in, so an account manager can send the link to anyone."""

from flask import Blueprint, render_template

from portal.queries.network import network_settings

bp = Blueprint("docs", __name__)


@bp.route("/docs")
def index():
    return render_template("docs/index.html", network=network_settings())
