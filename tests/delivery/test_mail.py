"""Outgoing mail: the SMTP URL, a real local SMTP server receiving both parts, a dead server logged (never
raised), and the log instead of a server in development."""

from __future__ import annotations

import logging
import smtplib
import socket

import pytest

from portal.config import ConfigError
from portal.delivery import mail
from portal.domain.mail import SmtpUrlError, parse_smtp_url
from portal.services.mail_messages import compose
from tests.mailbox import parts


@pytest.mark.parametrize(("url", "expected"), [
    ("smtp://mail.example:587?starttls=1", ("mail.example", 587, False, True, None, None)),
    ("smtps://user%40x:p%3Ass@mail.example", ("mail.example", 465, True, False, "user@x", "p:ss")),
    ("smtp://localhost", ("localhost", 25, False, False, None, None)),
    ("smtp://u:@h:2525?starttls=0", ("h", 2525, False, False, "u", "")),
])
def test_smtp_urls_are_read(url, expected):
    server = parse_smtp_url(url)
    assert (server.host, server.port, server.tls, server.starttls, server.username, server.password) == expected
    assert "p:ss" not in repr(server) and "pass" not in repr(server)


@pytest.mark.parametrize("url", ["http://mail.example", "smtp://", "smtp://h:99999", "smtp://h/path",
                                 "smtp://h?starttls=maybe", "smtp://h?tls=1", "smtps://h?starttls=1"])
def test_bad_smtp_urls_are_refused(url):
    with pytest.raises(SmtpUrlError):
        parse_smtp_url(url)


def test_a_bad_smtp_url_or_a_missing_sender_stops_start_up(make_app):
    with pytest.raises(ConfigError, match="PORTAL_SMTP_URL"):
        make_app(SMTP_URL="smtp://h?starttls=maybe", MAIL_FROM="a@b.test")
    with pytest.raises(ConfigError, match="PORTAL_MAIL_FROM"):
        make_app(SMTP_URL="smtp://127.0.0.1:25")
    with pytest.raises(ConfigError, match="PORTAL_SMTP_TIMEOUT"):
        make_app(SMTP_TIMEOUT=0)


def test_production_mail_needs_the_public_url_its_links_are_built_on(make_app):
    smtp = {"SMTP_URL": "smtp://127.0.0.1:25", "MAIL_FROM": "a@b.test"}
    with pytest.raises(ConfigError, match="PORTAL_PUBLIC_BASE_URL"):
        make_app(ENV_NAME="production", **smtp)
    make_app(ENV_NAME="production", PUBLIC_BASE_URL="https://partners.network.test", **smtp)


def test_the_server_receives_a_text_and_an_html_part_with_the_networks_name(mail_app, mailbox, db):
    with mail_app.test_request_context():
        mail.send(compose("someone@partner.test", "Hello", "password_reset", link="https://portal.test/x",
                          hours="1 hour", name="Sam"))
    (message,) = mailbox.wait(1)
    assert mailbox.recipients() == [["someone@partner.test"]]
    assert message.get_content_type() == "multipart/alternative"
    text, html = parts(message)
    assert "https://portal.test/x" in text and 'href="https://portal.test/x"' in html
    assert message["Subject"] == "Hello · Partner Network"
    assert "Partner Network" in text and "Partner Network" in html
    assert message["From"] == "Partner Network <portal@network.test>"


def test_a_dead_mail_server_is_logged_and_never_raised(make_app, db, caplog):
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    app = make_app(SMTP_URL=f"smtp://127.0.0.1:{port}", MAIL_FROM="portal@network.test", SMTP_TIMEOUT=2)
    caplog.set_level(logging.ERROR, logger="portal.mail")
    with app.test_request_context():
        future = mail.send(compose("someone@partner.test", "Hello", "password_reset", link="https://p.test/x",
                                   hours="1 hour", name=""))
    future.result(timeout=30)  # the thread finished, and did not raise
    assert any("was not sent" in r.getMessage() and "someone@partner.test" in r.getMessage() for r in caplog.records)


def test_without_a_server_the_message_is_logged_with_its_link_and_saved_when_asked(make_app, db, caplog, tmp_path):
    app = make_app(MAIL_SAVE=True)
    app.instance_path = str(tmp_path)
    caplog.set_level(logging.INFO, logger="portal.mail")
    with app.test_request_context():
        assert mail.send(compose("dev@partner.test", "Hello", "password_reset", link="http://127.0.0.1:5000/r/abc",
                                 hours="1 hour", name="")) is None
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "dev@partner.test" in logged and "http://127.0.0.1:5000/r/abc" in logged and "Hello" in logged
    saved = list((tmp_path / "mail").glob("*.eml"))
    assert len(saved) == 1 and b"http://127.0.0.1:5000/r/abc" in saved[0].read_bytes()


def test_in_production_without_a_server_the_log_never_holds_the_link(make_app, db, caplog):
    app = make_app(ENV_NAME="production")
    caplog.set_level(logging.INFO, logger="portal.mail")
    with app.test_request_context():
        mail.send(compose("prod@partner.test", "Hello", "password_reset", link="https://p.test/secret-token",
                          hours="1 hour", name=""))
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "prod@partner.test" in logged and "secret-token" not in logged


def test_the_user_and_password_of_the_url_sign_in_to_the_server(db, app):
    """A server that offers AUTH gets the URL's percent-decoded user and password; a wrong one is refused."""
    from email.message import EmailMessage

    from aiosmtpd.smtp import AuthResult

    from tests.mailbox import Mailbox

    seen = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        login, password = (v.decode() if isinstance(v, bytes) else v for v in (auth_data.login, auth_data.password))
        seen.append((login, password))
        ok = (login, password) == ("mail@user", "p:ss/word")
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    with Mailbox(authenticator=authenticator, auth_require_tls=False) as box:
        port = box.controller.port
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = "portal@network.test", "a@partner.test", "Signed in"
        message.set_content("hello")
        good = parse_smtp_url(f"smtp://mail%40user:p%3Ass%2Fword@127.0.0.1:{port}")
        mail.send_now(message, good, timeout=10)
        assert box.wait(1)[0]["Subject"] == "Signed in"
        bad = parse_smtp_url(f"smtp://mail%40user:wrong@127.0.0.1:{port}")
        with pytest.raises(smtplib.SMTPAuthenticationError):
            mail.send_now(message, bad, timeout=10)
    # smtplib tries each mechanism the server offers (PLAIN, then LOGIN) before giving up.
    assert seen[0] == ("mail@user", "p:ss/word") and set(seen[1:]) == {("mail@user", "wrong")}
