"""Text bound for a spreadsheet (CSV downloads): a cell must never run as a formula.

A cell that starts with ``=``, ``+``, ``-`` or ``@`` is a formula to Excel, LibreOffice and
Google Sheets, and a leading tab or carriage return can hide such a start from a naive check
(OWASP "CSV injection"). Such a cell gets a leading ``'``, which a spreadsheet shows as text.
"""

from __future__ import annotations

#: The characters that make a spreadsheet read a cell as a formula (or hide one).
FORMULA_STARTS = frozenset({"=", "+", "-", "@", "\t", "\r"})


def escape_formula(text: str) -> str:
    """``text`` as a CSV cell that a spreadsheet shows as typed, never evaluates."""
    return "'" + text if text[:1] in FORMULA_STARTS else text
