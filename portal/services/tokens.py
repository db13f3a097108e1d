"""Random tokens for links sent by mail: the link carries the token, the database only its SHA-256."""

from __future__ import annotations

import hashlib
import secrets
import string

MAX_TOKEN_LENGTH = 64
_URLSAFE = frozenset(string.ascii_letters + string.digits + "-_")


def new_token() -> tuple[str, str]:
    """(token, its hash)."""
    token = secrets.token_urlsafe(32)
    return token, token_hash(token)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def well_formed(token: object) -> bool:
    """Only what new_token makes can match: anything else is refused before the database is asked."""
    return isinstance(token, str) and 0 < len(token) <= MAX_TOKEN_LENGTH and set(token) <= _URLSAFE
