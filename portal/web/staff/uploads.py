"""Staff views that take a file: a larger body limit for that request alone, and the CSRF token checked by
the view's form (the app-wide CSRF check would read the body under the 1 MB limit before the view runs)."""

from __future__ import annotations

import functools
from collections.abc import Callable

from flask import current_app, request

from portal.extensions import csrf

FORM_ALLOWANCE = 256 * 1024  # the other fields and the multipart framing around the file


def accepts_uploads(view: Callable) -> Callable:
    @functools.wraps(view)
    def with_upload_limit(*args, **kwargs):
        request.max_content_length = current_app.config["UPLOAD_MAX_BYTES"] + FORM_ALLOWANCE
        return view(*args, **kwargs)

    return csrf.exempt(with_upload_limit)  # the view's PageForm still validates the token


def upload_limit() -> int:
    return current_app.config["UPLOAD_MAX_BYTES"]
