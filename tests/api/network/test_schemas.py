"""The Network API's request models, for any body at all: a body is either taken or refused with one
`<field>: <rule>` in the API's own words (never pydantic's, never a 500), huge numbers and text that cannot
be stored included, and a body the models take is one the OpenAPI document allows."""

from __future__ import annotations

import math

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from portal.api.network import fields, openapi, schemas
from portal.api.network.rules import parse, rule_of
from portal.services.partners import PARTNER_KEY_PATTERN
from portal.services.partnerships import PartnershipError

BODIES = [schemas.PartnershipCreate, schemas.PartnershipUpdate, schemas.CustomerOwner, schemas.CustomerCreate,
          schemas.CustomerKeptOwner, schemas.CustomerUpdate, schemas.CustomerReference, schemas.TransactionCreate]
DOCUMENTED = [schemas.PartnershipCreate, schemas.PartnershipUpdate, schemas.CustomerCreate, schemas.CustomerUpdate,
              schemas.TransactionCreate]
NULL_IS_ABSENT = {"partner_key", "key", "offer_id"}  # taken as left out when null; the document says no null
PYDANTIC_WORDING = ("Input should", "validation error", "Value error", "Field required", "type=")

any_text = st.text(alphabet=st.characters(exclude_categories=()), max_size=12)  # NUL and lone surrogates too
storable_text = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), max_size=12)
huge = st.integers(min_value=-(10**400), max_value=10**400)
scalars = (st.none() | st.booleans() | huge | st.integers(-3, 300) | st.floats(allow_nan=True, allow_infinity=True)
           | any_text | st.sampled_from(["a@example.com", "USD", "usd", "acme-1", "x" * 256, " ", ""]))
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(any_text, inner, max_size=4), max_leaves=12)
short = st.text(max_size=8)
# Values each field would take, mixed with any JSON at all, so that bodies are taken as well as refused.
plausible = {
    "email": st.emails(), "customer_email": st.none() | st.none() | st.emails(),
    "first_name": short | st.none(), "last_name": short | st.none(), "name": short | st.none(),
    "provider_key": short | st.none(), "product_key": short | st.none(), "category_key": short | st.none(),
    "customer_key": st.text(min_size=1, max_size=8), "customer_external_key": st.none() | st.none() | short,
    "group_key": st.text(min_size=1, max_size=8), "tags": st.lists(st.text(min_size=1, max_size=8), max_size=4),
    "partner_key": st.from_regex(PARTNER_KEY_PATTERN, fullmatch=True) | st.none(),
    "meta": st.dictionaries(short, st.none() | st.booleans() | st.integers() | st.floats() | short, max_size=4),
    "amount": st.integers(0, fields.MAX_AMOUNT), "currency": st.from_regex("[A-Za-z]{3}", fullmatch=True),
    "offer_id": st.integers(1, fields.MAX_OFFER_ID) | st.none(), "key": st.text(min_size=4, max_size=12),
}


def bodies(model):
    value = {name: st.one_of(plausible[name], plausible[name], json_values) for name in model.model_fields}
    needed = {name for name, field in model.model_fields.items() if field.is_required()} | {*model.required}
    if issubclass(model, schemas.CustomerReference):
        needed.add("customer_key")  # most often the one reference a transaction needs
    known = st.fixed_dictionaries({name: value[name] for name in needed & value.keys()},
                                  optional={name: value[name] for name in value.keys() - needed})
    unknown = st.dictionaries(any_text, json_values, max_size=2)
    body = st.builds(lambda fields_, others: {**others, **fields_}, known, unknown)
    return st.one_of(body, body, body, json_values)


def refusal_of(model, body) -> PartnershipError | None:
    try:
        parse(model, body)
    except PartnershipError as err:
        return err
    return None


@pytest.mark.parametrize("model", BODIES, ids=lambda model: model.__name__)
def test_every_field_of_a_body_words_its_refusals(model):
    for name in model.model_fields:
        assert rule_of(model, name)


@pytest.mark.parametrize("model", BODIES, ids=lambda model: model.__name__)
@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_any_body_is_taken_or_refused_in_the_apis_words(model, data):
    body = data.draw(bodies(model))
    err = refusal_of(model, body)
    if err is None:
        return
    assert err.status == 400 and err.message == f"{err.field}: {err.rule}"
    assert err.field in {*model.model_fields, *model.required, "body", *(body if isinstance(body, dict) else ())}
    assert not any(phrase in err.rule for phrase in PYDANTIC_WORDING), err.rule


@settings(max_examples=200, deadline=None)
@given(amount=huge | st.floats(allow_nan=True, allow_infinity=True))
@example(amount=fields.MAX_AMOUNT + 1)
@example(amount=10**400)
@example(amount=-(10**400))
@example(amount=1e300)
def test_any_amount_is_a_whole_number_of_cents_within_the_limit_or_refused_so(amount):
    body = {"customer_key": "cust_x", "amount": amount, "currency": "usd"}
    err = refusal_of(schemas.TransactionCreate, body)
    whole = isinstance(amount, int) or (math.isfinite(amount) and amount.is_integer())
    if not whole:
        assert err.message == "amount: required: a whole number of cents"
    elif amount < 0:
        assert err.message == "amount: refunds (negative amounts) are not supported yet"
    elif amount > fields.MAX_AMOUNT:
        assert err.message == f"amount: at most {fields.MAX_AMOUNT} cents"
    else:
        assert err is None
        assert parse(schemas.TransactionCreate, body).amount == int(amount)


@settings(max_examples=200, deadline=None)
@given(offer_id=huge)
@example(offer_id=2**31)
@example(offer_id=2**63)
def test_any_offer_id_is_an_offers_id_or_refused_so(offer_id):
    err = refusal_of(schemas.TransactionCreate, {"customer_key": "c", "amount": 1, "currency": "USD",
                                                 "offer_id": offer_id})
    assert (err is None) == (1 <= offer_id <= fields.MAX_OFFER_ID)
    assert err is None or err.message == "offer_id: an offer's id"


UNSTORABLE = {"\x00": "text must not contain NUL characters",
              **dict.fromkeys((chr(0xD800), chr(0xDFFF)), "must be valid text (a lone UTF-16 surrogate is not)")}


@pytest.mark.parametrize("model", BODIES, ids=lambda model: model.__name__)
@settings(max_examples=100, deadline=None)
@given(data=st.data(), bad=st.sampled_from(sorted(UNSTORABLE)), around=st.tuples(storable_text, storable_text))
def test_text_that_cannot_be_stored_is_refused_anywhere_in_a_body(model, data, bad, around):
    """In a known field or not, nested or not, as a value or as a name: the refusal names the top-level field."""
    field = data.draw(st.sampled_from(sorted(model.model_fields)) | st.just("unknown_field"))
    text = around[0] + bad + around[1]
    placed = data.draw(st.sampled_from([text, [text], {"name": text}, {text: 1}, [{"a": [text]}]]))
    err = refusal_of(model, {field: placed})
    assert err is not None and err.message == f"{field}: {UNSTORABLE[bad]}"


def test_a_name_that_cannot_be_stored_is_refused_as_the_body():
    assert refusal_of(schemas.PartnershipCreate, {"e\x00mail": "a@example.com"}).message == (
        "body: text must not contain NUL characters")


@pytest.fixture(scope="module")
def documented():
    components = openapi.build("http://localhost")["components"]["schemas"]
    return {name: Draft202012Validator(components[name]) for name in (model.__name__ for model in DOCUMENTED)}


@pytest.mark.parametrize("model", DOCUMENTED, ids=lambda model: model.__name__)
@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_a_body_the_models_take_is_one_the_document_allows(model, data, documented):
    """What the API takes, the document allows (schemathesis checks that what it forbids is refused)."""
    body = data.draw(bodies(model))
    if refusal_of(model, body) is not None:
        return
    shown = {name: value for name, value in body.items() if not (name in NULL_IS_ABSENT and value is None)}
    assert not list(documented[model.__name__].iter_errors(shown)), shown


@pytest.mark.parametrize("partner_key", ["prodname", "Bad Key", "", 7])
def test_a_test_pair_hears_first_that_it_cannot_choose_a_partner_key(partner_key):
    with pytest.raises(PartnershipError, match="^partner_key: a test pair cannot choose partner keys"):
        parse(schemas.PartnershipCreate, {"email": "t@example.com", "partner_key": partner_key}, test=True)
