"""Payout details as values: what each method needs, the checks (PayPal address, IBAN checksum, BIC, ACH
routing checksum) and the masked form that is all a page or the audit log ever shows."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.domain.payouts import (PayoutDetailsInvalid, changed_fields, clean, mask_email, mask_iban, mask_tail,
                                   masked, routing_number_valid)

IBAN = "DE89 3704 0044 0532 0130 00"


def test_a_sepa_account_is_kept_compact_and_masked_to_its_country_check_digits_and_last_four():
    details = clean("sepa", {"account_holder": " Maria Garcia ", "iban": IBAN.lower(), "bic": "cobadeffxxx",
                             "paypal_email": "left@over.example"})
    assert details.fields == {"account_holder": "Maria Garcia", "iban": "DE89370400440532013000", "bic": "COBADEFFXXX"}
    shown = masked(details)
    assert shown["iban"] == "DE89 **** **** 3000" and shown["account_holder"] == "M*** G***"
    assert "0532" not in " ".join(shown.values())


@pytest.mark.parametrize("iban", ["DE89 3704 0044 0532 0130 01", "DE00 3704 0044 0532 0130 00", "XX89370400440532013000",
                                  "DE8937040044053201300", "GB82 WEST 1234 5698 7654 33"])
def test_an_iban_with_a_wrong_check_digit_length_or_country_is_refused(iban):
    with pytest.raises(PayoutDetailsInvalid) as refused:
        clean("sepa", {"account_holder": "A", "iban": iban})
    assert refused.value.field == "iban"


def test_a_valid_foreign_iban_passes():
    assert clean("sepa", {"account_holder": "A", "iban": "GB82 WEST 1234 5698 7654 32"}).fields["iban"] == \
        "GB82WEST12345698765432"


@pytest.mark.parametrize("email", ["not-an-email", "a@", "@example.com", "a b@example.com", "a@example"])
def test_a_paypal_address_must_be_an_address(email):
    with pytest.raises(PayoutDetailsInvalid) as refused:
        clean("paypal", {"paypal_email": email})
    assert refused.value.field == "paypal_email"


def test_a_paypal_address_is_masked_to_its_first_letter_and_domain():
    details = clean("paypal", {"paypal_email": "jane.doe@example.com"})
    assert masked(details) == {"paypal_email": "j***@example.com"}
    assert mask_email("j@example.com") == "j***@example.com"


@pytest.mark.parametrize("routing,valid", [("011000015", True), ("021000021", True), ("011000016", False),
                                           ("12345678", False), ("０１１０００015", False), ("01100001a", False)])
def test_ach_routing_numbers_carry_their_check_digit(routing, valid):
    assert routing_number_valid(routing) is valid


def test_ach_needs_a_valid_routing_number_and_masks_both_numbers():
    with pytest.raises(PayoutDetailsInvalid) as refused:
        clean("ach", {"account_holder": "A", "account_number": "123456789", "routing_number": "011000016"})
    assert refused.value.field == "routing_number"
    details = clean("ach", {"account_holder": "A", "account_number": "1234 5678 9", "routing_number": "011000015"})
    assert masked(details)["account_number"] == "**** 89"
    assert masked(details)["routing_number"] == "**** 15"


@pytest.mark.parametrize("bic", ["DEUTDEF", "DEUTZZFF", "DEUT DE FF 5001", "12345678"])
def test_a_bic_must_be_well_formed(bic):
    with pytest.raises(PayoutDetailsInvalid) as refused:
        clean("wire", {"account_holder": "A", "bic": bic, "bank_name": "B", "bank_country": "DE",
                       "account_number": "12345678"})
    assert refused.value.field == "bic"


def test_a_wire_needs_an_iban_or_an_account_number():
    values = {"account_holder": "A", "bic": "DEUTDEFF", "bank_name": "Deutsche Bank", "bank_country": "de"}
    with pytest.raises(PayoutDetailsInvalid):
        clean("wire", values)
    assert clean("wire", {**values, "account_number": "12345678"}).fields["bank_country"] == "DE"


@pytest.mark.parametrize("method,values,field", [
    ("bitcoin", {}, "method"),
    ("sepa", {"iban": IBAN}, "account_holder"),
    ("paypal", {"paypal_email": "a@example.com" + "x" * 300}, "paypal_email"),
    ("sepa", {"account_holder": "A\ud800", "iban": IBAN}, "account_holder"),
    ("sepa", {"account_holder": "A\x00", "iban": IBAN}, "account_holder"),
    ("sepa", {"account_holder": "A\ufffd", "iban": IBAN}, "account_holder"),  # what a decoder made of junk
    ("sepa", {"account_holder": "A\nB", "iban": IBAN}, "account_holder"),
])
def test_unusable_input_names_its_field(method, values, field):
    with pytest.raises(PayoutDetailsInvalid) as refused:
        clean(method, values)
    assert refused.value.field == field


@given(st.text(max_size=60))
def test_any_text_is_either_a_clean_value_or_a_refusal_never_another_error(text):
    for method, name in (("paypal", "paypal_email"), ("sepa", "iban"), ("ach", "routing_number")):
        values = {"account_holder": "A", "account_number": "12345678", "routing_number": "011000015", name: text}
        try:
            clean(method, values)
        except PayoutDetailsInvalid:
            pass


def test_masking_a_short_iban_shows_nothing_of_it():
    assert mask_iban("DE89") == "****"


@given(st.text(max_size=80), st.integers(min_value=0, max_value=12))
@settings(deadline=None)
def test_masking_a_number_shows_at_most_a_quarter_of_it_and_at_most_four_characters(value, shown):
    masked_value = mask_tail(value, shown)
    assert masked_value.startswith("****")
    tail = masked_value.removeprefix("****").removeprefix(" ")
    assert len(tail) <= min(4, shown, len(value) // 4)
    assert value.endswith(tail)
    if len(value) <= 4:
        assert masked_value == "****"


@pytest.mark.parametrize("value,shown", [("1234", "****"), ("12345", "**** 5"), ("1234567", "**** 7"),
                                         ("12345678", "**** 78"), ("123456789012", "**** 012"),
                                         ("1234567890123456", "**** 3456"), ("12345678901234567890", "**** 7890")])
def test_a_short_number_is_never_shown_whole_or_nearly_whole(value, shown):
    assert mask_tail(value) == shown


def test_what_changed_is_named():
    before = clean("paypal", {"paypal_email": "a@example.com"})
    after = clean("sepa", {"account_holder": "A", "iban": IBAN})
    assert changed_fields(None, before) == ["method", "paypal_email"]
    assert changed_fields(before, after) == ["method", "paypal_email", "account_holder", "iban"]
