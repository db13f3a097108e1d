"""The suite's apps share URL builders (tests/url_builders.py): each rule's is the one werkzeug writes for it."""

from tests import url_builders


def test_every_rule_builds_with_the_function_werkzeug_writes_for_it(app):
    rules = list(app.url_map.iter_rules())
    assert len(rules) > 100
    for rule in rules:
        for append_unknown in (False, True):
            shared = url_builders.builder_for(rule, append_unknown)
            own = url_builders.werkzeug_builder(rule, append_unknown)
            assert shared is not own
            assert (shared.__code__, shared.__defaults__) == (own.__code__, own.__defaults__), rule.rule


def test_a_second_app_builds_its_urls_with_the_first_apps_builders_bound_to_its_own_rules(make_app):
    first, second = make_app(), make_app()
    rule = next(r for r in first.url_map.iter_rules() if r.rule == "/v1/affiliates/offers/<int:offer_id>")
    (twin,) = (r for r in second.url_map.iter_rules() if r.rule == rule.rule)
    assert twin._build.__func__ is rule._build.__func__
    assert twin._build.__self__ is twin
    assert second.url_map.bind("localhost").build(twin.endpoint, {"offer_id": 42, "page": 2}) == \
        "/v1/affiliates/offers/42?page=2"
