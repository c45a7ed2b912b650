"""Money: amounts are decimal strings on the wire, `Decimal` in code, NUMERIC(38,18) in SQL.

All money maths runs in ONE decimal context, `MONEY_CONTEXT` (use `money_context()` or the
`exact_money` decorator). Python's default context keeps 28 significant digits, fewer than the
38 of NUMERIC(38,18): 10000000000000000000 + 0.000000000000000001 would silently round. The
money context keeps 80 digits (the product of two column values fits) and traps Inexact, so a
sum that could lose a unit raises instead of writing a wrong balance. Operations that round on
purpose (a payout of amount × multiplier, a ratio) go through the helpers below, which round
explicitly (down, toward the house) in their own context.
"""
import functools
import re
from decimal import (ROUND_DOWN, ROUND_HALF_EVEN, Context, Decimal, DivisionByZero, Inexact, InvalidOperation,
                     Overflow, localcontext)
from fractions import Fraction

from django.db import models

from core.exceptions import InvalidAmount

MONEY_MAX_DIGITS = 38
MONEY_DECIMAL_PLACES = 18
MONEY_PRECISION = 80  # > 2 × 38: sums and products of column values are exact

MONEY_CONTEXT = Context(prec=MONEY_PRECISION, rounding=ROUND_HALF_EVEN, Emin=-999999, Emax=999999,
                        traps=[InvalidOperation, DivisionByZero, Overflow, Inexact])
_ROUNDING_CONTEXT = Context(prec=MONEY_PRECISION, rounding=ROUND_DOWN, Emin=-999999, Emax=999999,
                            traps=[InvalidOperation, DivisionByZero, Overflow])

QUANTUM = Decimal(1).scaleb(-MONEY_DECIMAL_PLACES)
# The largest NUMERIC(38,18) value, 99999999999999999999.999999999999999999 (written out: computing
# it in the default context rounds it up to 1E+20, which let 1e20 itself through the range check).
MAX_AMOUNT = Decimal("9" * (MONEY_MAX_DIGITS - MONEY_DECIMAL_PLACES) + "." + "9" * MONEY_DECIMAL_PLACES)
ZERO = Decimal(0)
_MAX_TEXT = format(MAX_AMOUNT, "f")

# Plain decimal notation only: no exponent, no sign other than '-', no NaN/Infinity, no spaces.
_DECIMAL_STRING = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?")


def money_context():
    """`with money_context():` — exact money arithmetic (see the module docstring)."""
    return localcontext(MONEY_CONTEXT)


def exact_money(function):
    """Run `function` in the money context."""
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with money_context():
            return function(*args, **kwargs)
    return wrapper


def MoneyField(**kwargs) -> models.DecimalField:  # noqa: N802 - reads like a field class
    return models.DecimalField(max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES, **kwargs)


def in_column_range(value: Decimal) -> bool:
    """|value| fits NUMERIC(38,18) without rounding: at most 20 integer digits, 18 decimals."""
    if not value.is_finite():
        return False
    if value.copy_abs() > MAX_AMOUNT:
        return False
    # same_quantum: exponent -18 exactly, as every value read from a money column (as_tuple copies the digits).
    return value == 0 or value.same_quantum(QUANTUM) or value.as_tuple().exponent >= -MONEY_DECIMAL_PLACES or \
        value == value.quantize(QUANTUM, context=_ROUNDING_CONTEXT)


def ensure_in_range(value: Decimal, *, field: str) -> Decimal:
    """`value` itself, or InvalidAmount (400) naming `field` when it does not fit NUMERIC(38,18)."""
    if not in_column_range(value):
        raise InvalidAmount(f"{field} is outside the supported range (at most {_MAX_TEXT}, 18 decimal places).",
                            details={"field": field, "max": _MAX_TEXT})
    return value


def parse_amount(value: object, *, field: str = "amount", allow_zero: bool = False) -> Decimal:
    """Parse a wire amount. Raises InvalidAmount (400) for anything but a plain decimal string
    with at most 18 decimals, greater than zero (or zero when allowed), within NUMERIC(38,18).
    Surrounding whitespace is refused, not stripped."""
    if not isinstance(value, str):
        raise InvalidAmount(f"{field} must be a decimal string, e.g. \"1.5\".", details={"field": field})
    if len(value) > 64 or not _DECIMAL_STRING.fullmatch(value):
        raise InvalidAmount(f"{field} must be a plain decimal string (no exponent, NaN, Infinity or spaces).",
                            details={"field": field, "value": _printable(value[:64])})
    amount = Decimal(value)
    places = -amount.as_tuple().exponent if "." in value else 0
    if places > MONEY_DECIMAL_PLACES:
        raise InvalidAmount(f"{field} has more than {MONEY_DECIMAL_PLACES} decimal places.",
                            details={"field": field, "value": value})
    if amount < 0 or (amount == 0 and not allow_zero):
        raise InvalidAmount(f"{field} must be greater than zero.", details={"field": field, "value": value})
    if amount > MAX_AMOUNT:
        raise InvalidAmount(f"{field} is too large (at most {_MAX_TEXT}).",
                            details={"field": field, "value": value, "max": _MAX_TEXT})
    return amount


def _printable(text: str) -> str:
    """Echo of a refused value that is safe to serialise (no lone surrogates, no NULs)."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")


def format_amount(value: Decimal) -> str:
    """Canonical wire form: no exponent, no trailing zeros beyond the integer part. Exact at any
    precision (normalize() in the default context would round a 38-digit balance to 28 digits)."""
    if value == 0:
        return "0"
    return format(value.normalize(context=MONEY_CONTEXT), "f")


def quantize_down(value: Decimal, *, places: int = MONEY_DECIMAL_PLACES) -> Decimal:
    """`value` rounded down (toward zero) to `places` decimals: the house never pays a fraction more."""
    return value.quantize(Decimal(1).scaleb(-places), context=_ROUNDING_CONTEXT)


def divide_down(numerator: Decimal, denominator, *, places: int = MONEY_DECIMAL_PLACES) -> Decimal:
    """numerator / denominator rounded down to `places` decimals."""
    with localcontext(_ROUNDING_CONTEXT):
        return quantize_down(Decimal(numerator) / Decimal(denominator), places=places)


def fraction_to_decimal(value: Fraction, *, places: int = MONEY_DECIMAL_PLACES) -> Decimal:
    """An exact Fraction as a Decimal rounded down to `places` decimal places."""
    return divide_down(Decimal(value.numerator), Decimal(value.denominator), places=places)


def multiply_money(amount: Decimal, factor) -> Decimal:
    """amount × factor (a Fraction, int or Decimal), rounded down to 18 places: the house never pays a fraction
    of a unit more."""
    if type(factor) is not Fraction:
        factor = Fraction(factor)
    if factor.numerator == 0 and amount.is_finite() and not amount.is_signed():
        return _ZERO_PAID  # what the arithmetic below gives (most spins pay nothing)
    with localcontext(_ROUNDING_CONTEXT):
        return quantize_down(amount * Decimal(factor.numerator) / Decimal(factor.denominator))


_ZERO_PAID = Decimal(0).quantize(QUANTUM)  # 0E-18


def ratio(numerator: Decimal, denominator: Decimal, *, places: int) -> Decimal:
    """numerator / denominator to `places` decimals, rounded half-even: for reports (RTP), not for money moved."""
    with localcontext(_ROUNDING_CONTEXT):
        return (Decimal(numerator) / Decimal(denominator)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)
