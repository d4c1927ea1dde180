"""One way to write a number for a reader, shared by tables, chart labels and "Show the data".

Counts get thousands separators (145,000), years none (1994), fractions keep their meaningful
digits (0.997), large amounts two decimals (1,234.57), blanks stay blank.  Before, charts wrote
1234.5678 as 1,235 while tables wrote 1,234.57: one function now decides.
"""

from __future__ import annotations

import math


def is_blank(value) -> bool:
    """None, pandas' NA or NaN: a cell with nothing in it."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return True
    return type(value).__name__ == "NAType"  # pandas.NA, without importing pandas here


def format_number(value, year: bool = False) -> str:
    """One number for reading: 145000.0 -> "145,000", 0.997 -> "0.997", a year 1994.0 -> "1994", blank -> ""."""
    if is_blank(value):
        return ""
    if isinstance(value, bool):
        return str(value)
    number = float(value)
    if year and number.is_integer():
        return f"{number:.0f}"
    if number.is_integer():
        return f"{number:,.0f}"
    if abs(number) >= 1e6:
        return f"{number:,.2f}"
    return f"{number:,.6g}" if abs(number) >= 1 else f"{number:.4g}"
