"""What every group of settings shares: the error that stops start-up, and the kinds of environment value."""

from __future__ import annotations

# How a PORTAL_* variable's text is parsed (portal.config.from_environment).
BOOL = "bool"
INT = "int"
FLOAT = "float"
FRACTION = "fraction"
STR = "str"


class ConfigError(RuntimeError):
    """A setting is missing or malformed; start-up stops with a message naming it."""
