"""core.money: one exact context for money, property-tested against exact rational arithmetic."""
from decimal import Decimal, Inexact, getcontext
from fractions import Fraction
import math

import pytest
from hypothesis import given, settings, strategies as st

from core.exceptions import InvalidAmount
from core.money import (MAX_AMOUNT, ensure_in_range, format_amount, in_column_range, money_context, multiply_money,
                        parse_amount)
from games_app.casino import rules

UNITS = 10**18
column_values = st.integers(min_value=0, max_value=10**38 - 1).map(lambda units: Decimal(f"{units}e-18"))
positive = st.integers(min_value=1, max_value=10**38 - 1).map(lambda units: Decimal(f"{units}e-18"))


def test_the_default_context_is_too_narrow_for_the_column_and_the_money_context_is_not():
    assert getcontext().prec < 38  # why the money context exists
    big, tiny = Decimal("10000000000000000000"), Decimal("0.000000000000000001")
    assert big + tiny == big  # the default context silently loses the unit
    with money_context():
        assert big + tiny == Decimal("10000000000000000000.000000000000000001")
        with pytest.raises(Inexact):
            Decimal(1) / Decimal(3)  # money maths that would round raises instead


def test_max_amount_is_the_largest_column_value():
    assert format_amount(MAX_AMOUNT) == "99999999999999999999.999999999999999999"
    assert parse_amount(format_amount(MAX_AMOUNT)) == MAX_AMOUNT
    for text in ("100000000000000000000", "99999999999999999999.9999999999999999999"):
        with pytest.raises(InvalidAmount):
            parse_amount(text)
    with pytest.raises(InvalidAmount) as raised:
        ensure_in_range(MAX_AMOUNT + Decimal("1e-18"), field="budget")
    assert raised.value.details["field"] == "budget"


@settings(max_examples=300, deadline=None)
@given(value=positive)
def test_wire_form_round_trips_exactly(value):
    text = format_amount(value)
    assert "E" not in text and parse_amount(text) == value
    assert in_column_range(value)


@settings(max_examples=300, deadline=None)
@given(a=column_values, b=column_values)
def test_sums_in_the_money_context_are_exact(a, b):
    with money_context():
        total = a + b
    assert Fraction(total) == Fraction(a) + Fraction(b)
    assert in_column_range(total) == (total <= MAX_AMOUNT)


@settings(max_examples=300, deadline=None)
@given(amount=positive, numerator=st.integers(1, 10**6), denominator=st.integers(1, 10**6))
def test_payouts_round_down_exactly_once(amount, numerator, denominator):
    exact = Fraction(amount) * Fraction(numerator, denominator)
    assert Fraction(multiply_money(amount, Fraction(numerator, denominator))) == Fraction(math.floor(exact * UNITS), UNITS)


@settings(max_examples=200, deadline=None)
@given(bet=positive.filter(lambda d: d < Decimal("1e17")))
def test_casino_payout_never_rounds_up(bet):
    # In the default context bet × 1.9 was rounded to 28 digits (possibly up) before quantize_down.
    exact = Fraction(bet) * Fraction(rules.COINFLIP_MULTIPLIER)
    assert Fraction(rules.payout_for(bet, rules.COINFLIP_MULTIPLIER)) == Fraction(math.floor(exact * UNITS), UNITS)


@given(text=st.text(min_size=1, max_size=30))
@settings(max_examples=300, deadline=None)
def test_parse_amount_refuses_anything_but_plain_decimal_text(text):
    try:
        value = parse_amount(text, allow_zero=True)
    except InvalidAmount as exc:
        assert exc.details["field"] == "amount"
        return
    assert text == text.strip() and text.isascii() and "e" not in text.lower()
    assert 0 <= value <= MAX_AMOUNT


@pytest.mark.parametrize(("value", "text"), [
    (Decimal("1.500000000000000000"), "1.5"),
    (Decimal("0E-18"), "0"),
    (Decimal("1000.000000000000000000"), "1000"),
    # 38 significant digits, the most NUMERIC(38,18) holds: nothing may be rounded away.
    (Decimal("12345678901234567890.123456789012345678"), "12345678901234567890.123456789012345678"),
    (Decimal("-99999999999999999999.999999999999999999"), "-99999999999999999999.999999999999999999"),
])
def test_format_amount_is_exact_for_every_stored_value(value, text):
    assert format_amount(value) == text
