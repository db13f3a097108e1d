"""Keep API keys out of the logs: a filter that redacts keys, key headers and key-like query parameters."""

from __future__ import annotations

import logging
import re

from flask import Flask

REDACTED = "[redacted]"
_PATTERNS = (
    # A partner key anywhere in a message (a request line, an exception text, a header dump).
    (re.compile(r"afk_(?:live|test)_[0-9A-Za-z]*"), "afk_" + REDACTED),
    # A Network API secret key likewise (its public key is not a secret).
    (re.compile(r"nsk_(?:live|test)_[0-9A-Za-z]*"), "nsk_" + REDACTED),
    # …and a key of the Everflow-style Network API (/v1/networks), which reads every partner's data.
    (re.compile(r"efn_live_[0-9A-Za-z]*"), "efn_" + REDACTED),
    # Values of the key headers when something logs headers as text.
    (re.compile(r"(?i)((?:x-eflow-api-key|x-api-key|authorization)[\"']?\s*[:=]\s*[\"']?)(?:(?:bearer|basic)\s+)?"
                r"[^\s\"',}]+"),
     r"\1" + REDACTED),
    # Key-like query parameters in logged URLs, whatever their value looks like.
    (re.compile(r"(?i)((?<![\w-])(?:api[_-]?key|key|token|access_token|auth_token|x-eflow-api-key|x-api-key)=)"
                r"[^&\s\"]+"),
     r"\1" + REDACTED),
)
# Loggers that write request lines or errors: the app's, the development server's and gunicorn's.
LOGGERS = ("werkzeug", "gunicorn.access", "gunicorn.error", "flask-limiter")


def redact(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class KeyRedactingFilter(logging.Filter):
    """Rewrites each record's message (and traceback text) with keys redacted; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


KEY_REDACTOR = KeyRedactingFilter()  # one instance, so that building many apps attaches it once


def install(app: Flask) -> None:
    """Filters apply only to records logged on the logger they are attached to, hence each one by name."""
    for logger in (app.logger, *(logging.getLogger(name) for name in LOGGERS)):
        logger.addFilter(KEY_REDACTOR)
