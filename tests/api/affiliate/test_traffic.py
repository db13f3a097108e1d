"""Traffic controls over the Affiliate API: Everflow's paths and names, only the rules that apply to the
caller (another partner's rule is a 404, as is a rule on offers it cannot see), bad input a 400."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.traffic_world import build_traffic_world

V1 = "/v1/affiliates"


@pytest.fixture
def app(unbudgeted_app):
    return unbudgeted_app


@pytest.fixture
def world(db, make):
    return build_traffic_world(db, make)


@pytest.fixture
def call(client, issue, world):
    keys = {"alpha": issue(world.alpha), "beta": issue(world.beta)}

    def _call(who: str, path: str):
        return client.get(V1 + path, headers={"X-Eflow-API-Key": keys[who]})
    return _call


def test_the_list_holds_the_rules_that_apply_to_the_partner_in_everflows_shape(call, world):
    response = call("alpha", "/trafficcontrols")
    assert response.status_code == 200
    controls = response.get_json()["traffic_controls"]
    assert [c["network_traffic_control_id"] for c in controls] == [world.allow.id, world.alpha_only.id,
                                                                   world.everyone.id]
    allow, alpha_only, everyone = controls
    assert everyone == {
        "network_traffic_control_id": world.everyone.id, "name": "Network-wide junk", "status": "active",
        "is_apply_all_offers": True, "control_type": "blacklist", "date_valid_from": "", "date_valid_to": "",
        "comparison_method": "contains", "variables": ["sub1"], "time_created": everyone["time_created"],
        "time_saved": everyone["time_saved"], "relationship": {"offers": []}}
    assert alpha_only["relationship"]["offers"] == [{"network_offer_id": world.public.id, "name": "Acme Shoes"}]
    assert allow["control_type"] == "whitelist" and allow["variables"] == ["country"]
    assert "values" not in allow["relationship"]  # Everflow: values only on the object by id


def test_one_rule_carries_its_values(call, world):
    response = call("alpha", f"/trafficcontrols/{world.allow.id}")
    assert response.status_code == 200
    assert response.get_json()["relationship"]["values"] == ["US", "CA"]


def test_another_partners_rule_a_hidden_offers_rule_and_an_inactive_one_are_404(call, world):
    for rule in (world.beta_only, world.private_only, world.inactive, world.ended):
        response = call("alpha", f"/trafficcontrols/{rule.id}")
        assert response.status_code == 404 and response.get_json() == {"error": "Not found"}
    assert call("beta", f"/trafficcontrols/{world.beta_only.id}").status_code == 200
    assert call("beta", f"/trafficcontrols/{world.private_only.id}").status_code == 200
    assert call("beta", f"/trafficcontrols/{world.alpha_only.id}").status_code == 404
    body = call("alpha", "/trafficcontrols").get_data(as_text=True)
    assert "beta-secret-value" not in body and "Secret Tea" not in body and "Beta" not in body


@pytest.mark.parametrize("path", ["/trafficcontrols/0", f"/trafficcontrols/{2**63}", f"/trafficcontrols/{2**31}",
                                  "/trafficcontrols/-1", "/trafficcontrols/abc"])
def test_ids_no_rule_can_have_are_404(call, path):
    assert call("alpha", path).status_code == 404


def test_trafficblocking_lists_the_block_lists_values_by_offer(call, world):
    response = call("alpha", "/trafficblocking")
    assert response.status_code == 200
    assert response.get_json() == {"traffic_blocking": [
        {"network_offer_id": 0, "relationship": {"variables": {"total": 2, "entries": [
            {"comparison_method": "contains", "variable": "sub1", "variable_value": "junk"},
            {"comparison_method": "contains", "variable": "sub1", "variable_value": "spam"}]}}},
        {"network_offer_id": world.public.id, "relationship": {"variables": {"total": 1, "entries": [
            {"comparison_method": "exact_match", "variable": "source_id", "variable_value": "popunder"}]}}},
    ]}
    only = call("alpha", f"/trafficblocking?network_offer_id={world.private.id}").get_json()["traffic_blocking"]
    assert [b["network_offer_id"] for b in only] == [0]
    assert call("alpha", "/trafficblocking?traffic_blocking_status=inactive").get_json() == {"traffic_blocking": []}
    beta = call("beta", "/trafficblocking").get_json()["traffic_blocking"]
    assert [b["network_offer_id"] for b in beta] == [0, world.private.id]


@pytest.mark.parametrize("query", ["network_offer_id=abc", "network_offer_id=-1", "network_offer_id=1e3",
                                   "traffic_blocking_status=paused", "network_offer_id=%F0%9F%98%80",
                                   "network_offer_id=99999999999", "filter=network_offer_id%3Dabc",
                                   "filter=traffic_blocking_status%3Dpaused", "filter=time_created%3E1700000000",
                                   "filter=network_offer_id", "filter=status%3Dactive",
                                   "traffic_blocking_status=paused&filter=traffic_blocking_status%3Dactive"])
def test_bad_filters_are_a_400_naming_the_field(call, query):
    response = call("alpha", f"/trafficblocking?{query}")
    assert response.status_code == 400
    assert response.get_json()["error"].split(":")[0] in ("network_offer_id", "traffic_blocking_status", "filter")


def test_a_huge_offer_id_that_fits_the_pattern_finds_nothing(call):
    assert call("alpha", "/trafficblocking?network_offer_id=9999999999").get_json() == {"traffic_blocking": []}


def test_without_a_key_the_routes_are_401(client):
    for path in ("/trafficcontrols", "/trafficcontrols/1", "/trafficblocking"):
        assert client.get(V1 + path).status_code == 401


EVERFLOW_TRAFFICBLOCKING_FILTERS = {"network_offer_id", "traffic_blocking_status", "time_created", "time_saved"}


def test_the_openapi_document_names_trafficblocking_filters_as_everflow_does(client):
    document = client.get(V1 + "/openapi.json").get_json()
    refs = document["paths"]["/v1/affiliates/trafficblocking"]["get"]["parameters"]
    parameters = [document["components"]["parameters"][ref["$ref"].rsplit("/", 1)[1]] for ref in refs]
    # Everflow's four filters, and its basic-filter form (?filter=network_offer_id%3D12) of the same four.
    assert {p["name"] for p in parameters} == EVERFLOW_TRAFFICBLOCKING_FILTERS | {"filter"}
    assert all(p["in"] == "query" for p in parameters)
    # The pixels' network_offer_id keeps its own description: the two do not overwrite each other.
    pixels = document["paths"]["/v1/affiliates/pixels"]["get"]["parameters"]
    assert {"$ref": "#/components/parameters/network_offer_id"} in pixels
    assert "postbacks" in document["components"]["parameters"]["network_offer_id"]["description"]


def _age(db, rule, created: datetime, saved: datetime) -> None:
    rule.created_at, rule.updated_at = created, saved
    db.session.commit()


def test_trafficblocking_filters_by_time_created_and_time_saved(call, db, world):
    long_ago, last_week, today = (datetime(2026, 1, 1, tzinfo=UTC), datetime.now(UTC) - timedelta(days=7),
                                  datetime.now(UTC) - timedelta(minutes=1))
    _age(db, world.everyone, long_ago, today)  # an old rule saved just now: a poll by time_saved sees it
    _age(db, world.alpha_only, last_week, last_week)

    def offers(query: str) -> list[int]:
        response = call("alpha", f"/trafficblocking?{query}")
        assert response.status_code == 200, response.get_json()
        return [b["network_offer_id"] for b in response.get_json()["traffic_blocking"]]

    since_yesterday = int((datetime.now(UTC) - timedelta(days=1)).timestamp())
    assert offers(f"time_saved={since_yesterday}") == [0]
    assert offers(f"time_created={since_yesterday}") == []
    assert offers(f"time_created={int(long_ago.timestamp())}") == [0, world.public.id]
    assert offers(f"time_created={int(last_week.timestamp())}") == [world.public.id]  # at or after: included
    assert offers(f"time_saved={int(last_week.timestamp()) + 1}") == [0]
    assert offers(f"time_saved={int(datetime.now(UTC).timestamp()) + 60}") == []
    assert offers("time_saved=&time_created=") == [0, world.public.id]  # empty: no filter
    assert offers(f"time_saved={since_yesterday}&network_offer_id={world.public.id}") == [0]


@pytest.mark.parametrize("query", ["time_created=abc", "time_created=-1", "time_saved=1.5", "time_saved=%F0%9F%98%80",
                                   "time_saved=999999999999", "time_created=1e9"])
def test_bad_time_filters_are_a_400_naming_the_field(call, query):
    response = call("alpha", f"/trafficblocking?{query}")
    assert response.status_code == 400
    assert response.get_json()["error"].split(":")[0] == query.split("=")[0]
