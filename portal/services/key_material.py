"""Partner API key strings: generation, checksum, keyed lookup hash, and encryption at rest.

Format: ``afk_live_`` + 43 base62 characters (32 random bytes) + 6 base62 characters of CRC32 over
everything before them. The prefix makes leaked keys easy to scan for; the checksum rejects typos and
garbage before any database query. The lookup hash is an HMAC (a key-derived pepper, never stored),
and the encrypted copy lets admins and the owning partner see the key again.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import zlib

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

KEY_PREFIX = "afk_live_"
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_BODY_LEN = 43  # 62**43 > 2**256
_CHECK_LEN = 6  # 62**6 > 2**32
VISIBLE_CHARS = len(KEY_PREFIX) + 4  # how much of a key the masked form shows


def key_pattern(prefix: str) -> re.Pattern[str]:
    """What a key made by generate_key(prefix) looks like."""
    return re.compile(rf"^{re.escape(prefix)}[0-9A-Za-z]{{{_BODY_LEN + _CHECK_LEN}}}$")


KEY_PATTERN = key_pattern(KEY_PREFIX)


class KeyMaterialError(ValueError):
    """A stored key cannot be decrypted with the configured key-encryption key."""


def _base62(number: int, width: int) -> str:
    digits = []
    while number:
        number, rest = divmod(number, 62)
        digits.append(_ALPHABET[rest])
    return "".join(reversed(digits)).rjust(width, "0")


def _checksum(text: str) -> str:
    return _base62(zlib.crc32(text.encode()), _CHECK_LEN)


def generate_key(prefix: str = KEY_PREFIX) -> str:
    """A partner API key; with another prefix, a secret of the same strength (the Network API's)."""
    body = prefix + _base62(int.from_bytes(secrets.token_bytes(32), "big"), _BODY_LEN)
    return body + _checksum(body)


def random_name(prefix: str, length: int = 24) -> str:
    """A random, non-secret identifier such as a public key: the prefix and `length` base62 characters."""
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(length))


def is_well_formed(key: str, pattern: re.Pattern[str] = KEY_PATTERN) -> bool:
    """Prefix, length, alphabet and checksum: everything that can be checked without the database."""
    if not pattern.match(key):
        return False
    body, check = key[:-_CHECK_LEN], key[-_CHECK_LEN:]
    return hmac.compare_digest(_checksum(body), check)



class KeyVault:
    """Hashing and encryption with the key-encryption key from config (never from the database)."""

    def __init__(self, key_encryption_key: str) -> None:
        # portal.config has already checked that this is a Fernet key.
        self._fernet = Fernet(key_encryption_key.encode())
        raw = base64.urlsafe_b64decode(key_encryption_key.encode())
        self._pepper = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                            info=b"partner-portal api key lookup").derive(raw)

    def lookup_hash(self, key: str) -> str:
        return hmac.new(self._pepper, key.encode(), hashlib.sha256).hexdigest()

    def encrypt(self, key: str) -> bytes:
        return self._fernet.encrypt(key.encode())

    def decrypt(self, sealed: bytes) -> str:
        try:
            return self._fernet.decrypt(sealed).decode()
        except InvalidToken:
            raise KeyMaterialError("a stored key cannot be decrypted with the configured key-encryption key") from None
