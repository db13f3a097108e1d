"""Public documentation pages: no sign-in, so an account manager can send the link to anyone.

`/docs` is the guide ("Using your API key"), `/docs/api` the rendered reference of the OpenAPI
document at /v1/affiliates/openapi.json. The reference is drawn by Swagger UI, whose files come from
the installed `flask-swagger-ui` package and are served from its directory at run time (no CDN, nothing
copied into this repository); its start-up script is a file of ours, since the CSP forbids inline scripts.
"""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, render_template, send_from_directory, url_for
from limits import parse

from portal.delivery.macros import macro_table
from portal.domain import criteria, timezones
from portal.http import contract
from portal.http.contract import AFFILIATE_OPENAPI_PATH as OPENAPI_PATH
from portal.http.contract import NETWORK_OPENAPI_PATH, NETWORKS_OPENAPI_PATH, public_base_url
from portal.http.security_headers import CONTENT_SECURITY_POLICY
from portal.queries.settings import network_settings
from portal.web.docs import examples

bp = Blueprint("docs", __name__)

# The only Swagger UI files the reference page loads (nothing else in the package is served).
SWAGGER_UI_FILES = frozenset({"swagger-ui.css", "swagger-ui-bundle.js"})
# The error table, in the contract's words (spec/affiliate-api.md, "Authentication and errors").
ERROR_TABLE = (
    (400, "Malformed JSON, an unknown column, a bad date, a range too long, page_size too big",
     "Names the field and the rule, e.g. `page_size: must be at most 2000`"),
    (401, "No key in the request", contract.NO_KEY),
    (401, "An unknown, mistyped or revoked key", contract.INVALID_KEY),
    (401, "The key was sent in the URL (never do this: URLs end up in logs)", contract.KEY_IN_QUERY),
    (403, "Your address is outside the key's IP allowlist", contract.IP_NOT_ALLOWED),
    (403, "A Network API credential was sent to this API", contract.OUT_OF_REALM),
    (403, "Your account is not active, or the network turned off postback self-service", "Says which"),
    (404, "The object does not exist, or is not yours (the same answer for both)", "Not found"),
    (405, "Wrong method for the path", "Method not allowed"),
    (413, "The body is larger than the limit", "Request body too large"),
    (415, "The body is not JSON (send Content-Type: application/json)", "Unsupported media type: …"),
    (429, "The network's shared request budget, or your share of it, is used up: wait Retry-After seconds",
     contract.RATE_LIMITED),
    (429, "Too many wrong keys came from your address: wait Retry-After seconds, then fix the key",
     contract.AUTH_THROTTLED),
    (503, "The database or the rate-limit store is briefly unreachable: retry after Retry-After seconds",
     "Service unavailable: …"),
)


@cache
def swagger_ui_dir() -> Path:
    """The installed flask-swagger-ui package's copy of Swagger UI's distribution files."""
    spec = importlib.util.find_spec("flask_swagger_ui")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("flask-swagger-ui is not installed; it ships the files of the API reference page")
    return Path(next(iter(spec.submodule_search_locations))) / "dist"


def docs_url() -> str:
    """The public address of the guide, for links that leave the portal (staff copy it to partners)."""
    return public_base_url() + url_for("docs.index")


@bp.app_context_processor
def docs_link():
    return {"docs_url": docs_url}


@bp.route("/docs")
def index():
    network = network_settings()
    sections = {name: [(e, examples.stored(e)) for e in examples.by_section(name)]
                for name in ("account", "reporting", "postbacks")}
    response = current_app.make_response(render_template(
        "docs/index.html", network=network, base_url=public_base_url(), sections=sections,
        pretty=examples.pretty, macros=macro_table(), error_table=ERROR_TABLE, timezones=timezones.TIMEZONES,
        limits=criteria, rate=(current_app.config["API_RATE_PER_SECOND"], current_app.config["API_RATE_BURST"]),
        share=_share(), auth_failures=(current_app.config["API_AUTH_FAILURES"],
                                       current_app.config["API_AUTH_FAILURE_WINDOW"]),
        openapi_path=OPENAPI_PATH))
    return _with_logo(response, network.logo_url)


def _share() -> tuple[int, int] | None:
    """Requests one partner may make in one window (the share of the burst), and the window in seconds."""
    if current_app.config["API_PARTNER_SHARE"] >= 1:
        return None
    share = parse(current_app.config["API_PARTNER_RATE_LIMIT"])
    return share.amount, share.get_expiry()


@bp.route("/docs/api")
def api_reference():
    return _reference("Affiliate API", OPENAPI_PATH)


@bp.route("/docs/network-api")
def network_api_reference():
    """The Network API's reference, for the network's own engineers (public, like its description)."""
    return _reference("Network API", NETWORK_OPENAPI_PATH)


@bp.route("/docs/networks-api")
def networks_api_reference():
    """The Everflow-style Network API's reference (/v1/networks, the network's key in X-Eflow-API-Key)."""
    return _reference("Everflow-style Network API", NETWORKS_OPENAPI_PATH)


def _reference(api_name: str, openapi_path: str):
    network = network_settings()
    response = current_app.make_response(render_template("docs/api.html", network=network, api_name=api_name,
                                                         openapi_path=openapi_path))
    return _with_logo(response, network.logo_url)


def _with_logo(response, logo_url: str | None):
    """The network's logo may live on its own site: allow that one origin for images, nothing else."""
    logo = _logo_origin(logo_url)
    if logo:
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY.replace(
            "img-src 'self' data:", f"img-src 'self' data: {logo}")
    return response


@bp.route("/docs/api/assets/<filename>")
def swagger_asset(filename: str):
    if filename not in SWAGGER_UI_FILES:
        abort(404)
    return send_from_directory(swagger_ui_dir(), filename, max_age=86400)


def _logo_origin(logo_url: str | None) -> str | None:
    """scheme://host[:port] of an absolute http(s) logo URL; None for a same-site path or no logo."""
    if not logo_url:
        return None
    parts = urlsplit(logo_url)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c in parts.netloc for c in " ;'\""):
        return None
    return f"{parts.scheme}://{parts.netloc}"
