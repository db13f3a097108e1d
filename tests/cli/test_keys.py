"""Operators issue and revoke keys from the command line; the issued key is alone on the last line."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.models import ApiKey, AuditEvent
from portal.services.key_material import KEY_PATTERN, generate_key

ACCOUNT = "/v1/affiliates/affiliate"


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()
    return lambda *args, **kwargs: runner.invoke(args=list(args), **kwargs)


def test_issue_prints_the_key_alone_on_the_last_line_and_it_works(cli, api, db, make):
    partner = make.partner(first_name="Nia", last_name="Okafor")
    result = cli("keys", "issue", "--partner", "niaokafor", "--label", "Looker reporting")
    assert result.exit_code == 0, result.output
    last_line = result.output.rstrip("\n").splitlines()[-1]
    assert KEY_PATTERN.match(last_line)
    assert last_line not in "\n".join(result.output.splitlines()[:-1])
    key = db.session.scalar(select(ApiKey).where(ApiKey.partner_id == partner.id))
    assert key.label == "Looker reporting" and key.created_by_id is None
    response = api.get(ACCOUNT, key=last_line)
    assert response.status_code == 200 and response.json["network_affiliate_id"] == partner.id


def test_revoke_takes_the_full_key_and_the_next_request_is_401(cli, api, make):
    make.partner(first_name="Ola", last_name="Berg")
    key = cli("keys", "issue", "--partner", "olaberg", "--label", "Sheets").output.splitlines()[-1]
    assert api.get(ACCOUNT, key=key).status_code == 200
    result = cli("keys", "revoke", key)
    assert result.exit_code == 0 and "Revoked key" in result.output
    assert key not in result.output
    response = api.get(ACCOUNT, key=key)
    assert response.status_code == 401 and response.json == {"error": "Invalid API key"}
    again = cli("keys", "revoke", key)
    assert again.exit_code == 0 and "already revoked" in again.output


def test_revoke_reads_the_key_from_stdin_to_keep_it_out_of_shell_history(cli, api, make):
    make.partner(first_name="Ivo", last_name="Marx")
    key = cli("keys", "issue", "--partner", "ivomarx", "--label", "BI").output.splitlines()[-1]
    assert cli("keys", "revoke", "-", input=key + "\n").exit_code == 0
    assert api.get(ACCOUNT, key=key).status_code == 401


def _with_wrong_checksum(key: str) -> str:
    return key[:-1] + ("1" if key[-1] != "1" else "2")


@pytest.mark.parametrize(("presented", "message"), [
    (lambda: generate_key(), "No key matches"),
    (lambda: "afk_live_typo", "not a partner API key"),
    (lambda: _with_wrong_checksum(generate_key()), "not a partner API key"),
])
def test_revoke_explains_an_unknown_or_mistyped_key(cli, presented, message):
    result = cli("keys", "revoke", presented())
    assert result.exit_code != 0 and message in result.output


def test_issue_explains_an_unknown_partner(cli):
    result = cli("keys", "issue", "--partner", "nobody-here", "--label", "x")
    assert result.exit_code != 0 and "No partner has partner_key 'nobody-here'" in result.output


def test_issue_needs_an_acknowledgement_for_a_risky_partner(cli, db, make):
    make.partner(first_name="Rex", last_name="Risk", fraud_flag=True)
    refused = cli("keys", "issue", "--partner", "rexrisk", "--label", "x")
    assert refused.exit_code != 0 and "fraud flag" in refused.output and "--acknowledge-risk" in refused.output
    assert db.session.scalar(select(ApiKey.id)) is None
    issued = cli("keys", "issue", "--partner", "rexrisk", "--label", "x", "--acknowledge-risk")
    assert issued.exit_code == 0 and KEY_PATTERN.match(issued.output.splitlines()[-1])
    [event_row] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "api_key.issued"))
    assert event_row.detail["risks_acknowledged"] == ["This partner has a fraud flag."]


def test_issue_needs_a_label(cli, make):
    make.partner(first_name="Lia", last_name="Moss")
    result = cli("keys", "issue", "--partner", "liamoss", "--label", "  ")
    assert result.exit_code != 0 and "label" in result.output
