"""Cells a spreadsheet would run as formulas, and how the portal shows them
as text in every file it hands to a person (OWASP's CSV injection advice).

Plain module: no Django.
"""

from __future__ import annotations

# OWASP's list of first characters that make a spreadsheet run a cell.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def neutralise_cell(value: str) -> str:
    """The value as a spreadsheet shows it without running it as a formula."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value
