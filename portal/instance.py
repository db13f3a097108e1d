"""Create development secrets once under instance/ (`make run` calls this; production sets them itself)."""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent


def ensure_development_config(instance: Path) -> Path:
    """Write instance/config.py with fresh secrets unless it already exists; never overwrite."""
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "config.py"
    if path.exists():
        return path
    body = (
        '"""Development settings for this checkout, created once by `make run`. Not for production."""\n'
        f"SECRET_KEY = {secrets.token_urlsafe(48)!r}\n"
        f"KEY_ENCRYPTION_KEY = {Fernet.generate_key().decode()!r}\n"
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(body)
    return path


if __name__ == "__main__":
    target = Path(os.environ.get("PORTAL_INSTANCE_PATH") or ROOT / "instance")
    print(f"Development config: {ensure_development_config(target)}", file=sys.stderr)
