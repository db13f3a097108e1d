"""Account endpoints: the partner's own account, the network's public face, the timezone ids."""

from __future__ import annotations

from flask import jsonify

from portal.api.affiliate import serialise
from portal.api.affiliate.auth import ApiPrincipal, authenticate
from portal.api.affiliate.blueprint import bp


def principal() -> ApiPrincipal:
    """The admitted caller (the blueprint's guard has refused everyone else)."""
    return authenticate().principal


@bp.get("/affiliates/affiliate")
def affiliate():
    return jsonify(serialise.account(principal().scope.account()))


@bp.get("/affiliates/network")
def network():
    return jsonify(serialise.network(principal().scope.network()))


@bp.get("/meta/timezones")
def timezones():
    return jsonify(serialise.timezone_list())
