"""Who acts, for the audit log."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Actor:
    """Who changes a partner's postbacks, for the audit log: one of its users or one of its API keys.

    Shaped like the users portal.services.audit.record takes (session_kind, id, email)."""

    session_kind: str  # "partner": a signed-in partner user; "api": an API key
    id: int  # the user's id, or the key's
    email: str = ""  # the user's; empty for a key
    ip: str | None = None
