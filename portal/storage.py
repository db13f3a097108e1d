"""Where offers' files live (banners, thumbnails, product feeds): a small interface and its default, a
directory on disk (PORTAL_STORAGE_DIR, default instance/files).

Keys are drawn by the store, never taken from a user: a key is a random name plus a checked suffix, so no
upload can name a path. Another store (object storage) plugs in by implementing FileStore.
"""

from __future__ import annotations

import os
import re
import secrets
import tempfile
from pathlib import Path
from typing import BinaryIO, Protocol

SUFFIX = re.compile(r"\.[a-z0-9]{1,10}")
KEY = re.compile(r"[0-9a-f]{2}/[0-9a-f]{32}(?:\.[a-z0-9]{1,10})?")
CHUNK = 1024 * 1024


class StoredFileMissing(LookupError):
    """No file has this key (never stored, deleted, or a malformed key)."""


class FileStore(Protocol):
    def save(self, source: BinaryIO, suffix: str = "") -> str:
        """Store the stream's bytes under a new key and return the key."""

    def open(self, key: str) -> BinaryIO:
        """The stored bytes; StoredFileMissing when there are none."""

    def size(self, key: str) -> int: ...

    def delete(self, key: str) -> None:
        """Remove the file (no error when it is already gone)."""


class DirectoryStore:
    """Files in a directory: `ab/<32 hex>.png`, written to a temporary name and renamed into place, so a
    reader never sees half a file."""

    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root)

    def save(self, source: BinaryIO, suffix: str = "") -> str:
        suffix = suffix.lower()
        if suffix and not SUFFIX.fullmatch(suffix):
            raise ValueError(f"file suffix {suffix!r}: a dot and up to ten letters or digits")
        name = secrets.token_hex(16)
        key = f"{name[:2]}/{name}{suffix}"
        target = self.root / key
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as out:
            try:
                while chunk := source.read(CHUNK):
                    out.write(chunk)
            except BaseException:
                out.close()
                os.unlink(out.name)
                raise
        os.replace(out.name, target)
        return key

    def _path(self, key: str) -> Path:
        if not isinstance(key, str) or not KEY.fullmatch(key):
            raise StoredFileMissing(key)
        return self.root / key

    def open(self, key: str) -> BinaryIO:
        try:
            return open(self._path(key), "rb")
        except FileNotFoundError:
            raise StoredFileMissing(key) from None

    def size(self, key: str) -> int:
        try:
            return self._path(key).stat().st_size
        except FileNotFoundError:
            raise StoredFileMissing(key) from None

    def delete(self, key: str) -> None:
        try:
            self._path(key).unlink(missing_ok=True)
        except StoredFileMissing:
            pass


def store_for(app) -> FileStore:
    """The app's file store (made once per app from PORTAL_STORAGE_DIR)."""
    store = app.extensions.get("portal.storage")
    if store is None:
        store = app.extensions["portal.storage"] = DirectoryStore(app.config["STORAGE_DIR"])
    return store
