"""Flask's JSON provider, with one change: a body nested too deeply to parse is bad input, not a crash.

Python's json module raises RecursionError (not ValueError) on input nested deeper than the interpreter's
recursion limit, and Flask turns only ValueError into a 400; a 1 MiB body of `[[[[…` was a 500. Raising
ValueError instead sends it down Flask's usual path: 400 "Failed to decode JSON object", or None for
get_json(silent=True).
"""

from __future__ import annotations

from typing import Any

from flask.json.provider import DefaultJSONProvider


class NestingSafeJSONProvider(DefaultJSONProvider):
    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON is nested too deeply") from None
