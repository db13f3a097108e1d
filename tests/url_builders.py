"""One URL builder per distinct rule for the whole run, shared by every app the suite makes.

The suite builds a fresh app for every test, and most of an app's making was werkzeug writing and compiling
the Python source of two URL builders for each of its ~230 rules (60 to 150 ms a test). A builder is a pure
function of what its rule's text parses to and of the rule's defaults: every app in this process writes the
same source for the same rule. So each is compiled once and every later rule with the same key is given the
same function, bound to that rule as werkzeug binds its own (it reads the rule's converters through `self`).
tests/test_url_builders.py checks that each shared builder is the one werkzeug writes for the rule.
"""

from __future__ import annotations

from collections.abc import Callable

from werkzeug.routing.rules import Rule

werkzeug_builder: Callable = Rule._compile_builder
_builders: dict[tuple, Callable] = {}


def _key(rule: Rule, append_unknown: bool) -> tuple:
    """All that `Rule._compile_builder` reads: the rule's text (the function's name), its parsed parts, the
    names of its defaults in order (the function's arguments) and the defaults it folds into the URL."""
    defaults = rule.defaults or {}
    folded = tuple((name, rule._converters[name].to_url(defaults[name]))
                   for dynamic, name in rule._trace if dynamic and name in defaults)
    return append_unknown, rule.rule, tuple(rule._trace), tuple(str(name) for name in defaults), folded


def builder_for(rule: Rule, append_unknown: bool = True) -> Callable:
    key = _key(rule, append_unknown)
    builder = _builders.get(key)
    if builder is None:
        builder = _builders[key] = werkzeug_builder(rule, append_unknown)
    return builder


def install() -> None:
    Rule._compile_builder = builder_for
