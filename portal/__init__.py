"""Partner Portal: the application factory."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Config → extensions → blueprints → CLI; nothing else (no I/O, no migrations)."""
    app = Flask(__name__, instance_relative_config=True, instance_path=_instance_path())

    from portal import config
    config.load(app, test_config)

    from portal import extensions, models  # noqa: F401  (models registers the tables)
    extensions.db.init_app(app)
    extensions.migrate.init_app(app, extensions.db, directory=_migrations_dir())
    extensions.csrf.init_app(app)

    from portal.services.key_material import KeyVault
    app.extensions["portal.key_vault"] = KeyVault(app.config["KEY_ENCRYPTION_KEY"])

    from portal.web import security, sessions
    sessions.init_app(app)
    security.init_app(app)

    from portal.web.auth import bp as auth_bp
    from portal.web.auth.sso import register_sso
    from portal.web.docs import bp as docs_bp
    from portal.web.partner import bp as partner_bp
    from portal.web.staff import bp as staff_bp
    app.register_blueprint(auth_bp)
    app.register_blueprint(partner_bp)
    app.register_blueprint(staff_bp)
    app.register_blueprint(docs_bp)
    register_sso(app)

    from portal.web import errors, filters
    errors.init_app(app)
    filters.init_app(app)

    from portal import cli
    cli.init_app(app)
    return app


_ROOT = Path(__file__).resolve().parent.parent


def _instance_path() -> str:
    return os.environ.get("PORTAL_INSTANCE_PATH") or str(_ROOT / "instance")


def _migrations_dir() -> str:
    return str(_ROOT / "migrations")
