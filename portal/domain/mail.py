"""Where outgoing mail goes: the SMTP URL, read once into a plain value."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

DEFAULT_PORTS = {"smtp": 25, "smtps": 465}
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


class SmtpUrlError(ValueError):
    """The SMTP URL cannot be used; the message says what is wrong with it."""


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    tls: bool  # smtps://: TLS from the first byte
    starttls: bool  # smtp://…?starttls=1: upgrade the plain connection before signing in
    username: str | None
    password: str | None

    def __repr__(self) -> str:  # never the password, in a log or a traceback
        return f"SmtpServer({self.host}:{self.port}, tls={self.tls}, starttls={self.starttls}, user={self.username!r})"


def parse_smtp_url(url: str) -> SmtpServer:
    """smtp://[user[:password]@]host[:port][?starttls=1] or smtps://…; user and password percent-encoded."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as err:
        raise SmtpUrlError(f"not a valid URL ({err})") from None
    if parts.scheme not in DEFAULT_PORTS:
        raise SmtpUrlError("must start with smtp:// or smtps://")
    if not parts.hostname:
        raise SmtpUrlError("names no host")
    if parts.path not in ("", "/"):
        raise SmtpUrlError("takes no path")
    query = parse_qs(parts.query, keep_blank_values=True)
    unknown = set(query) - {"starttls"}
    if unknown:
        raise SmtpUrlError(f"unknown option {sorted(unknown)[0]!r} (only starttls is known)")
    starttls_text = (query.get("starttls") or ["0"])[-1].lower()
    if starttls_text not in _TRUE + _FALSE:
        raise SmtpUrlError(f"starttls must be 1 or 0; got {starttls_text!r}")
    starttls = starttls_text in _TRUE
    if starttls and parts.scheme == "smtps":
        raise SmtpUrlError("smtps:// is TLS already; starttls is for smtp://")
    return SmtpServer(host=parts.hostname, port=port or DEFAULT_PORTS[parts.scheme], tls=parts.scheme == "smtps",
                      starttls=starttls,
                      username=unquote(parts.username) if parts.username else None,
                      password=unquote(parts.password) if parts.password is not None else None)
