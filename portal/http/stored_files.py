"""Serving a stored file (a banner, a product feed) to a browser without letting it become a page: the
stored Content-Type, no sniffing, a sandboxing CSP, and a Content-Disposition with a safe filename."""

from __future__ import annotations

import re
from typing import BinaryIO

from flask import Response, request
from werkzeug.wsgi import wrap_file

from portal.storage import FileStore, StoredFileMissing

# Nothing in a stored file may run or load anything, even if a browser were to render it as a page.
STORED_FILE_CSP = "default-src 'none'; img-src 'self'; style-src 'none'; sandbox"
# Only these types ever show inline (a banner's preview); anything else, SVG included (it can carry script),
# downloads.
INLINE_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
_CONTENT_TYPE = re.compile(r"[a-z0-9][a-z0-9.+-]{0,60}/[a-z0-9][a-z0-9.+-]{0,60}")
_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


def safe_filename(name: str | None, fallback: str = "file") -> str:
    """ASCII letters, digits, '.', '_' and '-' only (no quotes, slashes or line breaks in a header)."""
    cleaned = _UNSAFE_FILENAME.sub("_", name or "").strip("._")[:150]
    return cleaned or fallback


def stored_file_response(stream: BinaryIO, filename: str | None, content_type: str | None, size: int | None,
                         *, inline: bool = False) -> Response:
    """Stream `stream` (closed when the response is done) as `filename`; inline only when the caller has
    decided the type is safe to show (an image), otherwise an attachment."""
    kind = (content_type or "").lower()
    if not _CONTENT_TYPE.fullmatch(kind):
        kind = "application/octet-stream"
    response = Response(wrap_file(request.environ, stream), content_type=kind, direct_passthrough=True)
    if size is not None and size >= 0:
        response.content_length = size
    disposition = "inline" if inline else "attachment"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{safe_filename(filename)}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = STORED_FILE_CSP
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


def serve_stored(store: FileStore, key: str, filename: str | None, content_type: str | None, *,
                 inline: bool = False) -> Response | None:
    """The stored file as a response (inline only for INLINE_IMAGE_TYPES), or None when the store has no
    such file; every door (partner pages, staff console, Affiliate API) serves files through this."""
    try:
        size = store.size(key)  # the file's own size, whatever its row says
        stream = store.open(key)
    except StoredFileMissing:
        return None
    inline = inline and (content_type or "").lower() in INLINE_IMAGE_TYPES
    return stored_file_response(stream, filename, content_type, size, inline=inline)
