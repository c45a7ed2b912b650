"""Money parsing: amounts are decimal strings on the wire, `Decimal` in code, NUMERIC(38,18) in SQL."""
import re
from decimal import ROUND_DOWN, Decimal, localcontext
from fractions import Fraction

from django.db import models

from core.exceptions import InvalidAmount

MONEY_MAX_DIGITS = 38
MONEY_DECIMAL_PLACES = 18
MAX_AMOUNT = Decimal(10) ** (MONEY_MAX_DIGITS - MONEY_DECIMAL_PLACES) - Decimal(1) / Decimal(10) ** MONEY_DECIMAL_PLACES
ZERO = Decimal(0)

# Plain decimal notation only: no exponent, no sign other than '-', no NaN/Infinity, no spaces.
_DECIMAL_STRING = re.compile(r"^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?$")


def MoneyField(**kwargs) -> models.DecimalField:  # noqa: N802 - reads like a field class
    return models.DecimalField(max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES, **kwargs)


def parse_amount(value: object, *, field: str = "amount", allow_zero: bool = False) -> Decimal:
    """Parse a wire amount. Raises InvalidAmount (400) for anything but a plain decimal string
    with at most 18 decimals, greater than zero (or zero when allowed), within NUMERIC(38,18)."""
    if not isinstance(value, str):
        raise InvalidAmount(f"{field} must be a decimal string, e.g. \"1.5\".", details={"field": field})
    text = value.strip()
    if len(text) > 64 or not _DECIMAL_STRING.match(text):
        raise InvalidAmount(f"{field} must be a plain decimal string (no exponent, NaN or Infinity).",
                            details={"field": field, "value": value[:64]})
    amount = Decimal(text)
    places = -amount.as_tuple().exponent if "." in text else 0
    if places > MONEY_DECIMAL_PLACES:
        raise InvalidAmount(f"{field} has more than {MONEY_DECIMAL_PLACES} decimal places.",
                            details={"field": field, "value": text})
    if amount < 0 or (amount == 0 and not allow_zero):
        raise InvalidAmount(f"{field} must be greater than zero.", details={"field": field, "value": text})
    if amount > MAX_AMOUNT:
        raise InvalidAmount(f"{field} is too large.", details={"field": field, "value": text})
    return amount


def format_amount(value: Decimal) -> str:
    """Canonical wire form: no exponent, no trailing zeros beyond the integer part. Exact for every
    NUMERIC(38,18) value (normalize() would round to the 28-digit default context)."""
    if value == 0:
        return "0"
    with localcontext() as context:
        context.prec = MONEY_MAX_DIGITS + 2
        return format(value.normalize(), "f")


QUANTUM = Decimal(1).scaleb(-MONEY_DECIMAL_PLACES)


def fraction_to_decimal(value: Fraction, *, places: int = MONEY_DECIMAL_PLACES) -> Decimal:
    """An exact Fraction as a Decimal rounded down to `places` decimal places."""
    with localcontext() as ctx:
        ctx.prec = 80
        return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_DOWN)


def multiply_money(amount: Decimal, factor) -> Decimal:
    """amount × factor (a Fraction or int), rounded down to 18 places: the house never pays a fraction of a unit more."""
    factor = Fraction(factor)
    with localcontext() as ctx:
        ctx.prec = 80
        value = amount * Decimal(factor.numerator) / Decimal(factor.denominator)
        return value.quantize(QUANTUM, rounding=ROUND_DOWN)
