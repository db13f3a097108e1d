"""partner_key: generated from the name, suffixed on collision, random without a name, never reused."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.models import AuditEvent, PartnerKeyReservation
from portal.services.partners import PartnerKeyError, change_partner_key, create_partner, generate_partner_key


def test_generated_from_first_and_last_name(db):
    assert create_partner(name="JS Media", first_name="John", last_name="Smith").partner_key == "johnsmith"


def test_accents_and_punctuation_are_folded(db):
    assert create_partner(name="x", first_name="Zoë", last_name="O'Brien-Núñez").partner_key == "zoeobriennunez"


def test_collisions_get_a_numeric_suffix(db):
    keys = [create_partner(name=f"n{i}", first_name="Ann", last_name="Lee").partner_key for i in range(3)]
    assert keys == ["annlee", "annlee1", "annlee2"]


@pytest.mark.parametrize(("first", "last"), [(None, None), ("", ""), ("李", "小龙"), ("-", "!")])
def test_random_when_no_usable_name_is_known(db, first, last):
    a = create_partner(name="Signup", first_name=first, last_name=last).partner_key
    b = create_partner(name="Signup", first_name=first, last_name=last).partner_key
    assert a != b and len(a) == 10 and a.isalnum()


def test_a_changed_key_is_never_handed_out_again(db):
    first = create_partner(name="A", first_name="Mia", last_name="Wong")
    change_partner_key(first, "mia-media")
    assert first.partner_key == "mia-media"
    # The old key is free in the partners table but still reserved: the next Mia Wong gets a suffix.
    assert create_partner(name="B", first_name="Mia", last_name="Wong").partner_key == "miawong1"
    with pytest.raises(PartnerKeyError, match="cannot be reused"):
        create_partner(name="C", partner_key="miawong")
    reserved = set(db.session.scalars(select(PartnerKeyReservation.key)))
    assert {"miawong", "mia-media", "miawong1", "gstest"} <= reserved


def test_a_key_cannot_be_changed_to_a_reserved_or_malformed_one(db):
    one = create_partner(name="A", first_name="Kai", last_name="Ito")
    two = create_partner(name="B", first_name="Lu", last_name="Chen")
    with pytest.raises(PartnerKeyError):
        change_partner_key(two, one.partner_key)
    with pytest.raises(PartnerKeyError):
        change_partner_key(two, "gstest")
    for bad in ("Has Spaces", "UPPER", "-lead", "x", "a" * 81, "semi;colon"):
        with pytest.raises(PartnerKeyError):
            change_partner_key(two, bad)
    assert two.partner_key == "luchen"


def test_key_changes_are_audited(db):
    partner = create_partner(name="A", first_name="Ola", last_name="Berg")
    change_partner_key(partner, "ola-b")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "partner.key_changed"))
    assert event.detail == {"from": "olaberg", "to": "ola-b"}


def test_gstest_exists_in_every_installation(db):
    from portal.models import Partner
    gstest = db.session.scalar(select(Partner).where(Partner.partner_key == "gstest"))
    assert gstest is not None and gstest.is_test
    assert generate_partner_key("gs", "test") == "gstest1"


def test_partnership_keys_look_like_partnerstack_ones(db):
    partner = create_partner(name="A", first_name="Eve", last_name="Ng")
    assert partner.partnership_key.startswith("part_") and len(partner.partnership_key) == 21
