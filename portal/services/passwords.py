"""Argon2id password hashing, with the cost taken from config."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

MIN_PASSWORD_LENGTH = 10


def _hasher() -> PasswordHasher:
    cfg = current_app.config
    return PasswordHasher(time_cost=cfg["PASSWORD_TIME_COST"], memory_cost=cfg["PASSWORD_MEMORY_COST"])


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when the password matches; an unknown user is verified against a dummy hash for even timing."""
    hasher = _hasher()
    try:
        return hasher.verify(password_hash or _dummy_hash(), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


_DUMMY: dict[tuple[int, int], str] = {}


def _dummy_hash() -> str:
    cfg = current_app.config
    key = (cfg["PASSWORD_TIME_COST"], cfg["PASSWORD_MEMORY_COST"])
    if key not in _DUMMY:
        _DUMMY[key] = _hasher().hash("not-a-real-password")
    return _DUMMY[key]
