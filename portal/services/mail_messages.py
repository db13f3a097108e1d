"""The messages the portal sends: plain text and HTML from Jinja templates under templates/mail/, with the
network's name, and absolute links to this portal."""

from __future__ import annotations

from email.headerregistry import Address
from email.message import EmailMessage

from flask import current_app, render_template, url_for

from portal.queries.settings import network_settings


def compose(to: str, subject: str, template: str, **context) -> EmailMessage:
    """A multipart/alternative message: templates/mail/<template>.txt, then .html (the preferred part last)."""
    network = network_settings().network_name
    context["network_name"] = network
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = Address(addr_spec=to)
    message["Subject"] = f"{subject} · {network}".replace("\r", " ").replace("\n", " ")
    message.set_content(render_template(f"mail/{template}.txt", **context))
    message.add_alternative(render_template(f"mail/{template}.html", **context), subtype="html")
    return message


def absolute_url(endpoint: str, **values) -> str:
    """A link for a message: on the configured public URL (behind a proxy the request's host may not be it)."""
    base = current_app.config.get("PUBLIC_BASE_URL")
    if base:
        return base.rstrip("/") + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)
