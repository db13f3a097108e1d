"""Keys are unguessable and recognisable; a mistyped key fails before any query; verification is constant-time."""

from __future__ import annotations

import hmac
import re
import zlib
from unittest import mock
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.services import key_material
from portal.services.key_material import KEY_PREFIX, generate_key, is_well_formed

PORTAL = Path(__file__).resolve().parents[2] / "portal"
SCANNER_PATTERN = re.compile(r"^afk_(live|test)_[0-9A-Za-z]{49}$")  # what a secret scanner would match
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _body_value(key: str) -> int:
    body = key[len(KEY_PREFIX):-6]
    value = 0
    for char in body:
        value = value * 62 + ALPHABET.index(char)
    return value


def test_a_key_is_a_fixed_prefix_43_base62_characters_and_a_crc32_checksum():
    key = generate_key()
    assert key.startswith("afk_live_") and SCANNER_PATTERN.match(key)
    body, check = key[:-6], key[-6:]
    assert zlib.crc32(body.encode()) == sum(ALPHABET.index(c) * 62 ** i for i, c in enumerate(reversed(check)))


def test_keys_carry_at_least_32_random_bytes():
    # 43 base62 digits hold up to 62**43 > 2**256 values; across many keys every one of the 256 bits varies.
    values = [_body_value(generate_key()) for _ in range(400)]
    assert 62 ** 43 > 2 ** 256 and max(values) < 2 ** 256
    varying = 0
    for bit in range(256):
        seen = {(v >> bit) & 1 for v in values}
        varying += len(seen) == 2
    assert varying == 256
    assert len(set(values)) == len(values)


@settings(max_examples=300)
@given(random_bytes=st.binary(min_size=32, max_size=32), position=st.integers(min_value=0, max_value=48),
       shift=st.integers(min_value=1, max_value=61))
def test_generated_keys_round_trip_and_any_single_character_change_fails_the_checksum(random_bytes, position, shift):
    with mock.patch.object(key_material.secrets, "token_bytes", return_value=random_bytes):
        key = generate_key()
    assert SCANNER_PATTERN.match(key) and is_well_formed(key)
    assert _body_value(key) == int.from_bytes(random_bytes, "big")  # the 32 bytes, all of them, in the key
    index = len(KEY_PREFIX) + position  # anywhere in the body or the checksum
    replacement = ALPHABET[(ALPHABET.index(key[index]) + shift) % 62]
    assert not is_well_formed(key[:index] + replacement + key[index + 1:])


@pytest.mark.parametrize("mangle", [
    lambda k: k[:-1],                      # a character lost
    lambda k: k + "x",                     # one too many
    lambda k: k.replace("afk_live_", "afk_test_"),
    lambda k: k.replace("afk_live_", "AFK_LIVE_"),
    lambda k: k[:20] + "-" + k[21:],       # outside the alphabet
    lambda k: k.swapcase(),
    lambda k: " " + k,
])
def test_malformed_keys_are_not_well_formed(mangle):
    assert not is_well_formed(mangle(generate_key()))


def test_a_mistyped_key_fails_before_any_database_query(app, make, issue, count_statements):
    from portal.services.keys import find_by_secret

    key = issue(make.partner())
    typo = key[:-7] + ("A" if key[-7] != "A" else "B") + key[-6:]
    with count_statements() as counter:
        assert find_by_secret(typo) is None
    assert counter.count == 0
    with count_statements() as counter:
        assert find_by_secret(key) is not None
    assert counter.count == 1


def test_a_mistyped_key_on_the_api_is_a_401_without_any_query(api, make, issue, count_statements):
    key = issue(make.partner())
    typo = key[:15] + ("a" if key[15] != "a" else "b") + key[16:]
    with count_statements() as counter:
        response = api.get("/v1/affiliates/affiliate", key=typo)
    assert response.status_code == 401 and response.json == {"error": "Invalid API key"}
    assert counter.count == 0


def test_the_api_key_lookup_is_one_query(api, make, issue, count_statements):
    key = issue(make.partner())
    with count_statements() as counter:
        assert api.get("/v1/affiliates/affiliate", key=key).status_code == 200
    assert counter.count == 1, counter.statements


@pytest.fixture
def digest_spy(monkeypatch):
    calls = []
    real = hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return real(a, b)

    # Both lookups import hmac as a module, so patching the module attribute reaches them.
    monkeypatch.setattr(hmac, "compare_digest", spy)
    return calls


def test_find_by_secret_compares_the_lookup_hash_in_constant_time(app, make, issue, digest_spy):
    from portal.services.keys import find_by_secret, vault

    key = issue(make.partner())
    assert find_by_secret(key) is not None
    digest = vault().lookup_hash(key)
    assert (digest, digest) in digest_spy


def test_the_api_compares_the_lookup_hash_in_constant_time(api, app, make, issue, digest_spy):
    from portal.services.keys import vault

    key = issue(make.partner())
    assert api.get("/v1/affiliates/affiliate", key=key).status_code == 200
    digest = vault().lookup_hash(key)
    assert (digest, digest) in digest_spy


# Names that hold secrets or their hashes; comparing them with == or != would leak timing.
SECRET_NAMES = r"(secret|lookup_hash|digest|api_key|password_hash|session_token|token|checksum|check)\b"
EQUALITY_ON_SECRET = re.compile(rf"(\b{SECRET_NAMES}\s*(==|!=))|((==|!=)\s*[\w.]*{SECRET_NAMES})")


def test_no_code_compares_secrets_or_hashes_with_equality():
    offenders = []
    for path in PORTAL.rglob("*.py"):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            code = line.split("#", 1)[0]
            # A column == value inside .where() is SQL: the database finds the row by its index, and
            # the code then compares the found hash with compare_digest.
            if ".where(" in code or "lookup_hash == bindparam" in code:
                continue
            if EQUALITY_ON_SECRET.search(code) and "compare_digest" not in code:
                offenders.append(f"{path.relative_to(PORTAL.parent)}:{number}: {line.strip()}")
    assert offenders == []
