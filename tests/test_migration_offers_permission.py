"""Migration 0011: staff who manage partners (and pending staff invitations that would) gain offers:manage;
nobody else does, and the downgrade takes exactly that permission away again."""

from __future__ import annotations

import json

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from portal import create_app
from portal.extensions import db
from tests.conftest import base_config

STAFF = {
    "admin@network.test": ["partners:view", "partners:manage", "settings:manage"],
    "viewer@network.test": ["partners:view"],
    "already@network.test": ["partners:manage", "offers:manage"],
    "nobody@network.test": [],
}


def _insert(table: str, **values) -> None:
    """A row with the given values and a plain value for every other required column of the table then."""
    for column in sa.inspect(db.engine).get_columns(table):
        if column["nullable"] or column["name"] in values or column["name"] == "id":
            continue
        kind = column["type"]
        values[column["name"]] = ("2026-12-01 00:00:00" if isinstance(kind, sa.DateTime) else
                                  0 if isinstance(kind, (sa.Integer, sa.Boolean)) else "x")
    names = ", ".join(values)
    db.session.execute(sa.text(f"INSERT INTO {table} ({names}) VALUES ({', '.join(':' + n for n in values)})"),
                       values)


def _permissions(table: str, key: str) -> dict:
    rows = db.session.execute(sa.text(f"SELECT {key}, permissions FROM {table}")).all()
    return {k: (json.loads(p) if isinstance(p, str) else p) for k, p in rows}


def test_partner_managers_gain_offers_manage_and_lose_it_on_downgrade(tmp_path):
    app = create_app(base_config(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'm.sqlite'}"))
    with app.app_context():
        upgrade(revision="0010")
        for email, permissions in STAFF.items():
            _insert("staff_users", email=email, permissions=json.dumps(permissions))
        _insert("invitations", kind="staff", email="am@network.test", permissions=json.dumps(["partners:manage"]))
        db.session.commit()

        upgrade(revision="0011")
        after = _permissions("staff_users", "email")
        assert after["admin@network.test"] == [*STAFF["admin@network.test"], "offers:manage"]
        assert after["viewer@network.test"] == ["partners:view"] and after["nobody@network.test"] == []
        assert after["already@network.test"] == ["partners:manage", "offers:manage"]  # not twice
        assert _permissions("invitations", "email")["am@network.test"] == ["partners:manage", "offers:manage"]

        downgrade(revision="0010")
        back = _permissions("staff_users", "email")
        assert back["admin@network.test"] == STAFF["admin@network.test"]
        assert back["already@network.test"] == ["partners:manage"]
        db.session.remove()
        db.engine.dispose()
