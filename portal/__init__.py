"""Partner Portal: the application factory."""

from __future__ import annotations

import gc
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Config → extensions → blueprints → CLI; nothing else (no I/O, no migrations)."""
    app = Flask(__name__, instance_relative_config=True, instance_path=_instance_path())
    from portal.web.routing import BoundedIntConverter
    app.url_map.converters["int"] = BoundedIntConverter
    from portal.web.json_provider import NestingSafeJSONProvider
    app.json = NestingSafeJSONProvider(app)

    from portal import config
    config.load(app, test_config)

    from portal import extensions, models  # noqa: F401  (models registers the tables)
    extensions.init_database(app)
    extensions.migrate.init_app(app, extensions.db, directory=_migrations_dir())
    extensions.csrf.init_app(app)
    from portal.http import auth_throttle, ratelimit
    ratelimit.init_app(app)  # the APIs' request budgets: Flask-Limiter's store (process memory, or Redis)
    auth_throttle.init_app(app)  # … and failed authentication counted by address

    from portal.services.key_material import KeyVault
    app.extensions["portal.key_vault"] = KeyVault(app.config["KEY_ENCRYPTION_KEY"])
    from portal.services.usage import UsageRecorder

    # Affiliate API key usage. Tests flush it themselves: a timer or an exit hook would write after a test
    # has cleaned up.
    app.extensions["portal.api_usage"] = UsageRecorder(
        flush_seconds=app.config["API_USAGE_FLUSH_SECONDS"], background=not app.testing)

    from portal.web import security, sessions
    sessions.init_app(app)
    security.init_app(app)

    from portal.api import affiliate as affiliate_api
    from portal.api import network as network_api
    from portal.api import networks as networks_api
    from portal.api import redaction
    from portal.tracking import links as tracker
    from portal.tracking.intake import bp as intake_bp
    from portal.web.auth import bp as auth_bp
    from portal.web.auth import sso
    from portal.web.docs import bp as docs_bp
    from portal.web.health import bp as health_bp
    from portal.web.partner import bp as partner_bp
    from portal.web.staff import bp as staff_bp
    app.register_blueprint(auth_bp)
    app.register_blueprint(partner_bp)
    app.register_blueprint(staff_bp)
    app.register_blueprint(docs_bp)
    app.register_blueprint(health_bp)
    app.register_blueprint(intake_bp)  # /postback: token-authenticated, CSRF-exempt
    tracker.init_app(app)  # /c, /r, /i: public tracking links, answered in front of Flask (no session, no CSRF)
    sso.init_app(app)
    affiliate_api.init_app(app)  # the /v1 blueprint, its budgets and usage tracking
    network_api.init_app(app)  # the /api/v2 blueprint (the network's back end) and its budget
    networks_api.init_app(app)  # /v1/networks: the Everflow-style Network API and the network's budget
    redaction.install(app)  # no API key in any log line

    from portal.http import errors
    from portal.web import filters
    errors.init_app(app)
    filters.init_app(app)

    from portal import cli
    cli.init_app(app)

    if app.config["TRUSTED_PROXY_HOPS"]:
        # Trust X-Forwarded-For for exactly this many proxies, so request.remote_addr is the caller.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["TRUSTED_PROXY_HOPS"])
    return app


def ready_to_serve(app: Flask) -> Flask:
    """For a long-running process (wsgi.py): load what the first click would otherwise load (the GeoIP
    database, the user-agent parser's patterns), then take every object made so far out of the garbage
    collector's sight (gc.freeze). A full collection walks the app's ~200,000 objects in about 90 ms on a
    small machine: at 1000 clicks/s that was a stall every few seconds for every request in flight."""
    from portal.http.user_agents import classify
    from portal.tracking.geoip import locate
    locate("192.0.2.1", app.config.get("GEOIP_DATABASE"))
    classify("Mozilla/5.0 (X11; Linux x86_64)")
    gc.collect()
    gc.freeze()
    return app


_ROOT = Path(__file__).resolve().parent.parent


def _instance_path() -> str:
    return os.environ.get("PORTAL_INSTANCE_PATH") or str(_ROOT / "instance")


def _migrations_dir() -> str:
    return str(_ROOT / "migrations")
