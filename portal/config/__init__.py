"""Configuration: code defaults, then the instance file, then PORTAL_* environment variables.

A group of settings with a subject of its own keeps its defaults, kinds and checks in its own module
(upstream mode: portal.config.upstream); this module assembles them.
"""

from __future__ import annotations

import copy
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet

from portal.config import upstream
from portal.config.kinds import BOOL, FLOAT, FRACTION, INT, STR, ConfigError
from portal.domain.mail import SmtpUrlError, parse_smtp_url

ENVIRONMENTS = ("development", "test", "production")

# Secrets have no default anywhere: development creates them under instance/ (see portal.instance).
REQUIRED_SECRETS = ("SECRET_KEY", "KEY_ENCRYPTION_KEY")

DEFAULTS: dict[str, Any] = {
    "ENV_NAME": "production",
    "SQLALCHEMY_DATABASE_URI": None,  # default: sqlite file under instance/
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_SECURE": True,
    "SESSION_COOKIE_NAME": "portal_session",
    "PERMANENT_SESSION_LIFETIME": 12 * 3600,  # a sign-in ends this long after it began (seconds)
    "SESSION_IDLE_TIMEOUT": 4 * 3600,  # … or after this long without a request (seconds)
    "WTF_CSRF_TIME_LIMIT": None,
    "MAX_CONTENT_LENGTH": 1024 * 1024,
    # Sign-in throttling: the LOGIN_FREE_ATTEMPTS-th failure in a row locks the account for
    # LOGIN_LOCKOUT_BASE_SECONDS; each further failure doubles the lock, up to the cap.
    "LOGIN_FREE_ATTEMPTS": 5,
    "LOGIN_LOCKOUT_BASE_SECONDS": 30,
    "LOGIN_LOCKOUT_MAX_SECONDS": 3600,
    # Staff who sign in with a password must turn on two-factor first (single sign-on is exempt: the IdP
    # does its own). The network can also ask for it in the staff settings page.
    "STAFF_REQUIRE_2FA": False,
    # Staff confirm who they are again (password, and a code when two-factor is on) before a secret is shown
    # in the clear: a confirmation opens reveals in that session for this many seconds.
    "STAFF_CONFIRMATION_SECONDS": 600,
    # Argon2id cost; tests lower it for speed, never production.
    "PASSWORD_TIME_COST": 3,
    "PASSWORD_MEMORY_COST": 65536,
    "OIDC_ISSUER": None,
    "OIDC_CLIENT_ID": None,
    "OIDC_CLIENT_SECRET": None,
    "OIDC_BUTTON_LABEL": "Sign in with single sign-on",
    # Accept an ID token without the email_verified claim only when the IdP never sends it.
    "OIDC_REQUIRE_VERIFIED_EMAIL": True,
    "PUBLIC_BASE_URL": None,
    "SECRET_KEY": None,
    "KEY_ENCRYPTION_KEY": None,
    # Affiliate API. Proxy hops in front of the app whose X-Forwarded-For is trusted (0: none).
    "TRUSTED_PROXY_HOPS": 0,
    # One budget for the whole network: RATE requests/s sustained, bursts up to BURST.
    "API_RATE_PER_SECOND": 5,
    "API_RATE_BURST": 20,
    # The most of that budget one partner may spend (a fraction of it, over the same window), so that no
    # partner can starve the others. 1 turns the share off.
    "API_PARTNER_SHARE": 0.5,
    # The Network API: each key pair's own budget, RATE requests/s sustained, bursts up to BURST.
    "NETWORK_API_RATE_PER_SECOND": 30,
    "NETWORK_API_RATE_BURST": 60,
    # The Everflow-style Network API (/v1/networks): one budget for the whole network, every key sharing it
    # (Everflow's network figure: 30 requests/s sustained, short bursts).
    "EFLOW_NETWORK_API_RATE_PER_SECOND": 30,
    "EFLOW_NETWORK_API_RATE_BURST": 60,
    # Both APIs: an address whose credentials failed this many times within the window (seconds) gets 429.
    "API_AUTH_FAILURES": 10,
    "API_AUTH_FAILURE_WINDOW": 60,
    # Rate-limit counters live in Redis when set (shared by every process), else in each process's memory.
    "REDIS_URL": None,
    "RATELIMIT_KEY_PREFIX": "portal",
    # Per-minute key usage is buffered in each process and written at most this often (0: every request).
    "API_USAGE_FLUSH_SECONDS": 5,
    # Postback delivery. Private, loopback and link-local destinations (and ports other than 80 and 443)
    # are refused unless this is on: only for tests and local development against a listener on this host.
    "POSTBACK_ALLOW_PRIVATE_DESTINATIONS": False,
    # Seconds a postback may take to connect, and in total (DNS, connect, TLS, request and response).
    "POSTBACK_CONNECT_TIMEOUT": 3.0,
    "POSTBACK_TOTAL_TIMEOUT": 10.0,
    # Outgoing mail (password resets, invitations). Without SMTP_URL, mail is written to the log instead.
    "SMTP_URL": None,  # smtp://user:pass@host:587?starttls=1, smtps://user:pass@host:465
    "MAIL_FROM": None,  # required with SMTP_URL; development and tests use portal@localhost
    "SMTP_TIMEOUT": 10.0,  # seconds for connecting and each exchange with the mail server
    "MAIL_SAVE": False,  # without SMTP_URL, also save each message as an .eml file under instance/mail/
    "PASSWORD_RESET_TTL": 3600,  # seconds a password-reset link stays usable
    "INVITATION_TTL": 7 * 24 * 3600,  # seconds an invitation link stays usable
    # Offers' files (banners, product feeds) live under this directory (default: instance/files).
    "STORAGE_DIR": None,
    # The most a staff upload (a banner, a product feed) may weigh, in bytes.
    "UPLOAD_MAX_BYTES": 20 * 1024 * 1024,
    # Tracking links and impression URLs start with this (default: PUBLIC_BASE_URL, else the request's host).
    "TRACKING_BASE_URL": None,
    # Country (and, with a city database, region and city) of each click: an offline database the
    # operator provides (a MaxMind .mmdb or a GeoIP2Fast .dat.gz); default: the country database that
    # the geoip2fast package ships.
    "GEOIP_DATABASE": None,
    # A trusted proxy's header carrying the visitor's country code (such as CF-IPCountry); it wins over
    # the database when present. Only set it when every request passes through that proxy.
    "GEOIP_COUNTRY_HEADER": None,
    # Seconds the tracker keeps an offer's and a partner's state in each process: a paused offer stops
    # taking clicks at most this long after staff pause it (0: read the database on every click).
    "TRACKING_CACHE_SECONDS": 5.0,
    **upstream.DEFAULTS,
}
# The most requests any budget or the failed-authentication limit may count in one window (each one is a
# stored timestamp).
MAX_REQUESTS = 1_000_000
# A total timeout above this would hold claimed deliveries (and a worker thread) for too long.
POSTBACK_TOTAL_TIMEOUT_MAX = 60.0

# Flask-Limiter settings derived from the ones above in finalise(); every app sets all of them
# explicitly because the limiter in portal.extensions keeps some values from the first app it binds.
RATELIMIT_FIXED: dict[str, Any] = {
    "RATELIMIT_ENABLED": True,
    "RATELIMIT_STRATEGY": "moving-window",
    # The budgets' headers are written by portal.http.ratelimit, which spends them.
    "RATELIMIT_HEADERS_ENABLED": False,
    # Storage failures surface as limits.errors.StorageError (a 503), and a dead Redis fails fast.
    "RATELIMIT_STORAGE_OPTIONS": {"wrap_exceptions": True, "socket_connect_timeout": 2, "socket_timeout": 2},
}
REDIS_SCHEMES = ("redis://", "rediss://", "redis+unix://", "redis+sentinel://", "redis+cluster://")

# How each setting read from the environment is parsed. Anything not listed here is rejected.
ENV_TYPES: dict[str, str] = {
    "ENV": STR,
    "SECRET_KEY": STR,
    "KEY_ENCRYPTION_KEY": STR,
    "SESSION_COOKIE_SECURE": BOOL,
    "PERMANENT_SESSION_LIFETIME": INT,
    "SESSION_IDLE_TIMEOUT": INT,
    "MAX_CONTENT_LENGTH": INT,
    "LOGIN_FREE_ATTEMPTS": INT,
    "LOGIN_LOCKOUT_BASE_SECONDS": INT,
    "LOGIN_LOCKOUT_MAX_SECONDS": INT,
    "STAFF_REQUIRE_2FA": BOOL,
    "STAFF_CONFIRMATION_SECONDS": INT,
    "OIDC_ISSUER": STR,
    "OIDC_CLIENT_ID": STR,
    "OIDC_CLIENT_SECRET": STR,
    "OIDC_BUTTON_LABEL": STR,
    "PUBLIC_BASE_URL": STR,
    "TRUSTED_PROXY_HOPS": INT,
    "API_RATE_PER_SECOND": INT,
    "API_RATE_BURST": INT,
    "API_PARTNER_SHARE": FRACTION,
    "NETWORK_API_RATE_PER_SECOND": INT,
    "NETWORK_API_RATE_BURST": INT,
    "EFLOW_NETWORK_API_RATE_PER_SECOND": INT,
    "EFLOW_NETWORK_API_RATE_BURST": INT,
    "API_AUTH_FAILURES": INT,
    "API_AUTH_FAILURE_WINDOW": INT,
    "REDIS_URL": STR,
    "RATELIMIT_KEY_PREFIX": STR,
    "API_USAGE_FLUSH_SECONDS": INT,
    "OIDC_REQUIRE_VERIFIED_EMAIL": BOOL,
    "POSTBACK_ALLOW_PRIVATE_DESTINATIONS": BOOL,
    "POSTBACK_CONNECT_TIMEOUT": FLOAT,
    "POSTBACK_TOTAL_TIMEOUT": FLOAT,
    "SMTP_URL": STR,
    "MAIL_FROM": STR,
    "SMTP_TIMEOUT": FLOAT,
    "MAIL_SAVE": BOOL,
    "PASSWORD_RESET_TTL": INT,
    "INVITATION_TTL": INT,
    "STORAGE_DIR": STR,
    "UPLOAD_MAX_BYTES": INT,
    "TRACKING_BASE_URL": STR,
    "GEOIP_DATABASE": STR,
    "GEOIP_COUNTRY_HEADER": STR,
    "TRACKING_CACHE_SECONDS": FLOAT,
    **upstream.ENV_TYPES,
}
# PORTAL_* names read elsewhere (before the app exists, or by the test suite) rather than as settings.
ENV_READ_ELSEWHERE = ("INSTANCE_PATH",)
ENV_PREFIXES_READ_ELSEWHERE = ("TEST_",)


def parse_bool(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"PORTAL_{name} must be one of 1/0, true/false, yes/no, on/off; got {raw!r}")


def parse_int(name: str, raw: str) -> int:
    try:
        return int(raw.strip())
    except ValueError:
        raise ConfigError(f"PORTAL_{name} must be a whole number; got {raw!r}") from None


def parse_float(name: str, raw: str) -> float:
    try:
        value = float(raw.strip())
    except ValueError:
        raise ConfigError(f"PORTAL_{name} must be a number of seconds, such as 2.5; got {raw!r}") from None
    if not math.isfinite(value):
        raise ConfigError(f"PORTAL_{name} must be a finite number of seconds; got {raw!r}")
    return value


def parse_fraction(name: str, raw: str) -> float:
    try:
        value = float(raw.strip())
    except ValueError:
        raise ConfigError(f"PORTAL_{name} must be a fraction above 0 and at most 1, such as 0.5; got {raw!r}") from None
    return value  # the range is checked with the other settings, in finalise()


def from_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    """Read PORTAL_* variables (and DATABASE_URL) strictly: unknown names and bad values stop start-up."""
    settings: dict[str, Any] = {}
    for key, raw in environ.items():
        if not key.startswith("PORTAL_"):
            continue
        name = key.removeprefix("PORTAL_")
        kind = ENV_TYPES.get(name)
        if kind is None:
            if name in ENV_READ_ELSEWHERE or name.startswith(ENV_PREFIXES_READ_ELSEWHERE):
                continue
            raise ConfigError(f"Unknown setting {key}: no such setting exists (is it misspelt?). "
                              f"Known: {', '.join('PORTAL_' + n for n in sorted(ENV_TYPES))}")
        if name == "ENV":
            name = "ENV_NAME"
        if kind == BOOL:
            settings[name] = parse_bool(name, raw)
        elif kind == INT:
            settings[name] = parse_int(name, raw)
        elif kind == FLOAT:
            settings[name] = parse_float(name, raw)
        elif kind == FRACTION:
            settings[name] = parse_fraction(name, raw)
        else:
            settings[name] = raw
    if environ.get("DATABASE_URL"):
        settings["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(environ["DATABASE_URL"])
    return settings


def normalise_database_url(url: str) -> str:
    """Accept the common postgres:// spellings and pick the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def finalise(config: dict[str, Any], instance_path: str) -> None:
    """Fill derived values and fail fast on what is missing or contradictory."""
    env_name = config["ENV_NAME"]
    if env_name not in ENVIRONMENTS:
        raise ConfigError(f"PORTAL_ENV must be one of {', '.join(ENVIRONMENTS)}; got {env_name!r}")
    if env_name != "production":
        config["SESSION_COOKIE_SECURE"] = False  # plain http on localhost
    missing = [name for name in REQUIRED_SECRETS if not config.get(name)]
    if missing:
        names = ", ".join(f"PORTAL_{name}" for name in missing)
        raise ConfigError(
            f"Missing {names}. Set it in the environment or in instance/config.py "
            "(`make run` creates development values once)."
        )
    _check_fernet_key(config["KEY_ENCRYPTION_KEY"])
    if not config.get("SQLALCHEMY_DATABASE_URI"):
        config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + str(Path(instance_path) / "portal.sqlite")
    oidc = [config.get(k) for k in ("OIDC_ISSUER", "OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET")]
    if any(oidc) and not all(oidc):
        raise ConfigError("Single sign-on needs all of PORTAL_OIDC_ISSUER, PORTAL_OIDC_CLIENT_ID, PORTAL_OIDC_CLIENT_SECRET")
    config["OIDC_ENABLED"] = all(oidc)
    _finalise_api(config)
    _finalise_postbacks(config)
    _finalise_mail(config)
    _finalise_sign_in(config)
    _finalise_offers(config, instance_path)
    upstream.finalise(config)


def _finalise_offers(config: dict[str, Any], instance_path: str) -> None:
    """Where offers' files live, how big an upload may be, and the tracking links' base URL."""
    if not config.get("STORAGE_DIR"):
        config["STORAGE_DIR"] = str(Path(instance_path) / "files")
    size = config["UPLOAD_MAX_BYTES"]
    if isinstance(size, bool) or not isinstance(size, int) or not 1024 <= size <= 1024**3:
        raise ConfigError(f"PORTAL_UPLOAD_MAX_BYTES must be a whole number of bytes from 1024 to {1024**3}; "
                          f"got {size!r}")
    base = config.get("TRACKING_BASE_URL")
    if base is not None:
        if not base.startswith(("http://", "https://")) or any(c in base for c in "?#{} \t\n"):
            raise ConfigError("PORTAL_TRACKING_BASE_URL must be an http:// or https:// URL without a query, "
                              f"such as https://track.example.com; got {base!r}")
        config["TRACKING_BASE_URL"] = base.rstrip("/")
    ttl = config["TRACKING_CACHE_SECONDS"]
    if isinstance(ttl, bool) or not isinstance(ttl, (int, float)) or not 0 <= ttl <= 300:
        raise ConfigError(f"PORTAL_TRACKING_CACHE_SECONDS must be a number of seconds from 0 to 300; got {ttl!r}")


def _finalise_sign_in(config: dict[str, Any]) -> None:
    """Failures are forgotten a day after the last one (services/lockout.py): a longer lock would outlive the
    counters of addresses no user has and so tell them from users' addresses."""
    for name, low, high in (("LOGIN_FREE_ATTEMPTS", 1, 10**9), ("LOGIN_LOCKOUT_BASE_SECONDS", 1, 86400),
                            ("LOGIN_LOCKOUT_MAX_SECONDS", 1, 86400), ("STAFF_CONFIRMATION_SECONDS", 1, 86400)):
        value = config[name]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ConfigError(f"PORTAL_{name} must be a whole number from {low} to {high}; got {value!r}")


def _finalise_mail(config: dict[str, Any]) -> None:
    """A malformed SMTP URL or a missing sender stops start-up rather than the first password reset."""
    if config.get("SMTP_URL"):
        try:
            parse_smtp_url(config["SMTP_URL"])
        except SmtpUrlError as err:
            raise ConfigError(f"PORTAL_SMTP_URL: {err}") from None
        if not config.get("MAIL_FROM"):
            raise ConfigError("PORTAL_MAIL_FROM is required with PORTAL_SMTP_URL (the sender of every message)")
        if config["ENV_NAME"] == "production" and not config.get("PUBLIC_BASE_URL"):
            # Otherwise a reset link would take its host from the request: ask for a victim's reset with
            # `Host: attacker.example` and the genuine mail carries the live token to the attacker.
            raise ConfigError("PORTAL_PUBLIC_BASE_URL is required with PORTAL_SMTP_URL in production: the links "
                              "in password-reset and invitation mails are built on it, never on the request's host")
    elif not config.get("MAIL_FROM"):
        config["MAIL_FROM"] = "Partner Portal <portal@localhost>"
    timeout = config["SMTP_TIMEOUT"]
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 0 < timeout <= 60:
        raise ConfigError(f"PORTAL_SMTP_TIMEOUT must be a number of seconds above 0 and at most 60; got {timeout!r}")
    for name in ("PASSWORD_RESET_TTL", "INVITATION_TTL"):
        if isinstance(config[name], bool) or not isinstance(config[name], int) or config[name] < 60:
            raise ConfigError(f"PORTAL_{name} must be a whole number of seconds, 60 or more; got {config[name]!r}")


def _finalise_postbacks(config: dict[str, Any]) -> None:
    connect, total = config["POSTBACK_CONNECT_TIMEOUT"], config["POSTBACK_TOTAL_TIMEOUT"]
    for name, value in (("POSTBACK_CONNECT_TIMEOUT", connect), ("POSTBACK_TOTAL_TIMEOUT", total)):
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= POSTBACK_TOTAL_TIMEOUT_MAX:
            raise ConfigError(f"PORTAL_{name} must be a number of seconds above 0 and at most "
                              f"{POSTBACK_TOTAL_TIMEOUT_MAX:g}; got {value!r}")
    if connect > total:
        raise ConfigError(f"PORTAL_POSTBACK_CONNECT_TIMEOUT ({connect:g}) must not exceed "
                          f"PORTAL_POSTBACK_TOTAL_TIMEOUT ({total:g}), which covers the connection too")


def _finalise_api(config: dict[str, Any]) -> None:
    """Proxy hops, the request budgets, the failed-authentication limit, their storage, usage flushing."""
    for name in ("TRUSTED_PROXY_HOPS", "API_USAGE_FLUSH_SECONDS"):
        if isinstance(config[name], bool) or not isinstance(config[name], int) or config[name] < 0:
            raise ConfigError(f"PORTAL_{name} must be a whole number, 0 or more; got {config[name]!r}")
    burst, seconds = _moving_window(config, "API_RATE")
    config["API_RATE_LIMIT"] = f"{burst} per {seconds} second"
    share = config["API_PARTNER_SHARE"]
    if isinstance(share, bool) or not isinstance(share, int | float) or not 0 < share <= 1:
        raise ConfigError(f"PORTAL_API_PARTNER_SHARE must be a fraction above 0 and at most 1, such as 0.5; "
                          f"got {share!r}")
    # The partner's share: the same window, a part of the burst (at least one request).
    config["API_PARTNER_RATE_LIMIT"] = f"{max(1, math.floor(burst * share + 1e-9))} per {seconds} second"
    burst, seconds = _moving_window(config, "NETWORK_API_RATE")
    config["NETWORK_API_RATE_LIMIT"] = f"{burst} per {seconds} second"
    burst, seconds = _moving_window(config, "EFLOW_NETWORK_API_RATE")
    config["EFLOW_NETWORK_API_RATE_LIMIT"] = f"{burst} per {seconds} second"
    for name, most in (("API_AUTH_FAILURES", MAX_REQUESTS), ("API_AUTH_FAILURE_WINDOW", 86_400)):
        if isinstance(config[name], bool) or not isinstance(config[name], int) or not 1 <= config[name] <= most:
            raise ConfigError(f"PORTAL_{name} must be a whole number from 1 to {most:,}; got {config[name]!r}")
    config["API_AUTH_FAILURE_LIMIT"] = f"{config['API_AUTH_FAILURES']} per {config['API_AUTH_FAILURE_WINDOW']} second"
    redis_url = config.get("REDIS_URL")
    if redis_url and not redis_url.startswith(REDIS_SCHEMES):
        raise ConfigError(f"PORTAL_REDIS_URL must start with one of {', '.join(REDIS_SCHEMES)}; got {redis_url!r}")
    config.update(copy.deepcopy(RATELIMIT_FIXED))
    # portal-memory:// is limits' memory:// without its expiry thread (portal.http.memory_storage).
    config["RATELIMIT_STORAGE_URI"] = redis_url or "portal-memory://"


def _moving_window(config: dict[str, Any], name: str) -> tuple[int, int]:
    """`<name>_PER_SECOND` and `<name>_BURST` as a moving window: BURST requests in BURST/RATE seconds,
    so bursts up to BURST and RATE per second sustained over the window."""
    rate, burst = config[f"{name}_PER_SECOND"], config[f"{name}_BURST"]
    if isinstance(rate, bool) or not isinstance(rate, int) or not 1 <= rate <= MAX_REQUESTS:
        raise ConfigError(f"PORTAL_{name}_PER_SECOND must be a whole number from 1 to {MAX_REQUESTS:,}; got {rate!r}")
    if isinstance(burst, bool) or not isinstance(burst, int) or burst < rate or burst % rate:
        raise ConfigError(
            f"PORTAL_{name}_BURST ({burst!r}) must be a whole multiple of PORTAL_{name}_PER_SECOND ({rate}): "
            "the budget is BURST requests in any window of BURST/RATE seconds (5 and 20 → 20 per 4 seconds)"
        )
    if burst > MAX_REQUESTS:
        raise ConfigError(f"PORTAL_{name}_BURST must be at most {MAX_REQUESTS:,}; got {burst!r}")
    return burst, burst // rate


def _check_fernet_key(value: str) -> None:
    try:
        Fernet(value.encode() if isinstance(value, str) else value)
    except (ValueError, TypeError):
        raise ConfigError(
            "PORTAL_KEY_ENCRYPTION_KEY must be a Fernet key (32 url-safe base64-encoded bytes); make one with "
            "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
        ) from None


def load(app, test_config: Mapping[str, Any] | None = None) -> None:
    """Defaults → instance/config.py → environment → test mapping, then validate."""
    app.config.from_mapping(DEFAULTS)
    app.config.from_pyfile("config.py", silent=True)
    app.config.update(from_environment(os.environ))
    if test_config is not None:
        app.config.update(test_config)
    finalise(app.config, app.instance_path)
