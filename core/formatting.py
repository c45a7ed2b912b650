"""How the console writes numbers: money as it was entered (a stored 1.500000000000000000 is
"1.5") with thousands separators, rates as percentages. Display only: values stay Decimal."""
from decimal import Decimal, localcontext

EMPTY = "-"


def _normalized(value: Decimal) -> Decimal:
    with localcontext() as context:
        context.prec = 80  # normalize() rounds to the context precision; NUMERIC(38,18) must fit whole
        return value.normalize()


def money_text(value: Decimal | int | None, *, grouping: bool = True) -> str:
    """ "1,234.5" for Decimal("1234.500000000000000000"); "0" for zero; "-" for None. Exact: every
    stored digit that is not a trailing zero is shown, never rounded."""
    if value is None:
        return EMPTY
    value = Decimal(value)
    if value.is_zero():
        return "0"
    return format(_normalized(value), ",f" if grouping else "f")


def percent_text(rate: Decimal | None, *, places: int = 2) -> str:
    """A fraction as a percentage: Decimal("0.0421") -> "4.21%"; None -> "n/a"."""
    if rate is None:
        return "n/a"
    return f"{Decimal(rate) * 100:,.{places}f}%"


def count_text(value: int | None) -> str:
    return EMPTY if value is None else f"{value:,}"


def float_text(value: float | None) -> str:
    """A float (an RL reward total) to 12 significant digits, so the error of a binary sum does not show:
    0.1 + 0.2 reads "0.3", not "0.30000000000000004". Display only: the stored float is unchanged."""
    return EMPTY if value is None else f"{value:.12g}"
