"""The visitor's country: a trusted proxy's header first, else the offline database (the package's own by
default, or one the operator names), opened once per process."""

from __future__ import annotations

from pathlib import Path

import geoip2fast
import pytest

from portal.tracking import geoip

IPV4_ONLY = str(Path(geoip2fast.__file__).parent / "geoip2fast.dat.gz")  # a database file an operator could name


@pytest.mark.parametrize(("ip", "country"), [("8.8.8.8", "US"), ("2001:4860:4860::8888", "US"),
                                             ("::ffff:8.8.8.8", None), ("127.0.0.1", None), ("10.1.2.3", None),
                                             ("not an address", None), ("", None), (None, None)])
def test_the_default_database_knows_public_addresses_of_both_families(ip, country):
    assert geoip.locate(ip, None).country == country


@pytest.mark.parametrize(("header", "country"), [("DE", "DE"), ("de", "DE"), (" fr ", "FR"), ("XX", "US"),
                                                 ("T1", "US"), ("", "US"), ("DEU", "US"), ("D\x00", "US"), (None, "US")])
def test_a_trusted_header_names_the_country_unless_it_says_unknown(header, country):
    assert geoip.locate("8.8.8.8", None, header).country == country


def test_an_operators_database_is_opened_once_and_used(monkeypatch):
    opened = []
    real_open = geoip._open
    monkeypatch.setattr(geoip, "_readers", {})
    monkeypatch.setattr(geoip, "_open", lambda database: opened.append(database) or real_open(database))
    for _ in range(3):
        assert geoip.locate("8.8.8.8", IPV4_ONLY).country == "US"
    assert opened == [IPV4_ONLY]
    assert geoip.locate("2001:4860:4860::8888", IPV4_ONLY).country is None  # that file has no IPv6
