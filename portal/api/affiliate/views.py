"""Account endpoints: the partner's own account, the network's public face, the timezone ids."""

from __future__ import annotations

from flask import jsonify

from portal.api.affiliate import serialise
from portal.api.affiliate.auth import ApiPrincipal, authenticate
from portal.api.affiliate.operations import Routes

routes = Routes("Account")


def principal() -> ApiPrincipal:
    """The admitted caller (the blueprint's guard has refused everyone else)."""
    return authenticate().principal


@routes.get("/affiliates/affiliate", "Your account", ok="Account")
def affiliate():
    return jsonify(serialise.account(principal().scope.account()))


@routes.get("/affiliates/network", "The network's name, logo and timezone", ok="Network")
def network():
    return jsonify(serialise.network(principal().scope.network()))


@routes.get("/meta/timezones", "Everflow's timezone ids (1 to 99) for timezone_id", ok="TimezoneList")
def timezones():
    return jsonify(serialise.timezone_list())
