"""Outgoing mail: handed to the SMTP server (smtplib, with a timeout) on a background thread, or, without
PORTAL_SMTP_URL, written to the log (and optionally to instance/mail/) so development needs no mail server.

Why a background thread and not an outbox table: the messages carry single-use tokens (password resets,
invitations) whose database rows keep only a hash; an outbox would keep the links in plain text until
sent. Why not in the request: a slow or failing mail server must neither hold a request nor turn into an
error page, and the forgot-password answer must take the same time whether or not a message goes out.
What this gives up: a message still queued when the process dies is lost; the person asks for a new
link (or an admin resends the invitation), which is the same remedy as for a message lost on the way.
"""

from __future__ import annotations

import atexit
import logging
import smtplib
import ssl
import sys
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from secrets import token_hex

from flask import current_app

from portal.domain.mail import SmtpServer, parse_smtp_url

logger = logging.getLogger("portal.mail")

# One sender thread per process: mail is rare (resets, invitations), and one connection at a time is
# kind to the mail server. The executor finishes what is queued when the process exits.
_SENDER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="portal-mail")
atexit.register(_SENDER.shutdown, wait=True)


def wait_until_sent(timeout: float | None = None) -> None:
    """Return once every message queued so far has been handed over or given up (the sender takes them in
    order, one at a time): for a stop that loses nothing, and for tests that stop their mail server."""
    _SENDER.submit(lambda: None).result(timeout=timeout)


def send(message: EmailMessage) -> Future | None:
    """Send the message without waiting for the server: the Future, or None when it was only shown."""
    config = current_app.config
    if not config["SMTP_URL"]:
        _show(message, full=config["ENV_NAME"] != "production")
        if config["MAIL_SAVE"]:
            _save(message, Path(current_app.instance_path) / "mail")
        return None
    server = parse_smtp_url(config["SMTP_URL"])
    return _SENDER.submit(_send_logged, message, server, float(config["SMTP_TIMEOUT"]))


def send_now(message: EmailMessage, server: SmtpServer, timeout: float) -> None:
    """Deliver to the server, or raise (smtplib.SMTPException, OSError); every step is bounded by `timeout`."""
    if server.tls:
        client = smtplib.SMTP_SSL(server.host, server.port, timeout=timeout, context=ssl.create_default_context())
    else:
        client = smtplib.SMTP(server.host, server.port, timeout=timeout)
    with client:
        if server.starttls:
            client.starttls(context=ssl.create_default_context())
        if server.username:
            client.login(server.username, server.password or "")
        client.send_message(message)


def _send_logged(message: EmailMessage, server: SmtpServer, timeout: float) -> None:
    try:
        send_now(message, server, timeout)
    except (smtplib.SMTPException, OSError) as err:
        logger.error("Mail to %s (%r) was not sent: %s: %s", message["To"], message["Subject"],
                     type(err).__name__, err)
    else:
        logger.info("Mail to %s (%r) sent", message["To"], message["Subject"])


def _show(message: EmailMessage, full: bool) -> None:
    """The message in the log; in production only who it was for, since the body holds a live link."""
    _console_handler()
    if not full:
        logger.warning("No PORTAL_SMTP_URL: mail to %s (%r) was not sent", message["To"], message["Subject"])
        return
    text = message.get_body(("plain",))
    body = text.get_content() if text is not None else ""
    logger.info("Mail (not sent: no PORTAL_SMTP_URL)\nTo: %s\nSubject: %s\n\n%s", message["To"], message["Subject"],
                body.rstrip())


def _save(message: EmailMessage, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{token_hex(3)}.eml"
    (folder / name).write_bytes(bytes(message))


def _console_handler() -> None:
    """Without any logging set up (`flask run`), show mail on stderr rather than drop it below WARNING."""
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.INFO)
    if not logger.hasHandlers():
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
