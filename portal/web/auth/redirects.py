"""Where to go after sign-in: only our own relative paths."""

from __future__ import annotations

from urllib.parse import urlsplit


def safe_next(target: str | None, default: str, allowed_prefix: str = "/") -> str:
    """Return target if it is a relative path on this site under allowed_prefix, else default."""
    if not target:
        return default
    if any(c in target for c in ("\\", "\r", "\n", "\t")) or any(ord(c) < 32 for c in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    if not parts.path.startswith(allowed_prefix):
        return default
    return target
