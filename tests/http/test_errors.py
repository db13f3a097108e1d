"""People get readable error pages; a database outage is a 503 with Retry-After, never a 500."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("path", ["/docs"])
def test_database_down_is_a_503_with_retry_after(app_without_database, path):
    response = app_without_database.test_client().get(path)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert b"database is not reachable" in response.data


def test_database_down_during_sign_in_is_a_503(app_without_database):
    response = app_without_database.test_client().post("/login", data={"email": "a@b.test", "password": "x"})
    assert response.status_code == 503


def test_unknown_page_is_a_plain_404(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404 and b"Not found" in response.data


def test_wrong_method_is_a_405(client):
    assert client.delete("/login").status_code == 405


def test_oversized_body_is_a_413(client):
    response = client.post("/login", data={"email": "a@b.test", "password": "x" * (2 * 1024 * 1024)})
    assert response.status_code == 413


def test_unknown_partner_in_the_console_is_a_404(client, make, login_as):
    login_as.staff(make.staff())
    assert client.get("/staff/partners/999999").status_code == 404
    assert client.get("/staff/partners/999999/users").status_code == 404


@pytest.mark.parametrize("path", [
    "/staff/partners/99999999999999999999",
    "/staff/partners/2147483648/api",
    "/staff/partners/99999999999999999999/api/export.csv",
])
def test_ids_too_big_for_the_database_are_not_found(client, make, login_as, path):
    login_as.staff(make.staff())
    assert client.get(path).status_code == 404


def test_a_nul_character_in_input_is_a_client_error(client, make, login_as):
    login_as.staff(make.staff())
    assert client.get("/staff/partners?q=ab%00cd").status_code in (200, 400)
    response = client.post("/login", data={"email": "a\x00b@partner.test", "password": "whatever-it-is"})
    assert response.status_code in (400, 401)
