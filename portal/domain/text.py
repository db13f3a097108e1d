"""What text every door refuses before it reaches the database: NUL characters and lone surrogates.

JSON's "\\u0000" escape decodes to NUL, which PostgreSQL cannot store or search for, and "\\ud800" to a lone
UTF-16 surrogate, which no encoder can write. Either would otherwise surface deep in a driver as a 500.
"""

from __future__ import annotations

NUL_RULE = "must not contain NUL characters"
SURROGATE_RULE = "must be valid text (a lone UTF-16 surrogate is not)"


def text_fault(value: str) -> str | None:
    """The rule `value` breaks, or None when it can be stored and searched for."""
    if "\x00" in value:
        return NUL_RULE
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return SURROGATE_RULE
    return None
