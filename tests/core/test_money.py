from decimal import Decimal

import pytest

from core.money import format_amount


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
