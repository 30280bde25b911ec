"""Plain-text tables for the terminal: a header, aligned columns, an optional totals row.

Numbers (ints, floats) are right-aligned with thousands separators; text is left-aligned.
"""
from __future__ import annotations


def cell(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.3g}"
    return str(value)


def _numeric(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def format_table(header: list, rows: list, totals: list | None = None) -> str:
    """HEADER: column titles; ROWS and TOTALS: lists of values, one per column."""
    body = [[cell(v) for v in row] for row in rows]
    tail = [[cell(v) if v is not None else "" for v in totals]] if totals else []
    widths = [max(len(str(h)), *(len(r[i]) for r in body + tail)) for i, h in enumerate(header)]
    right = [any(_numeric(row[i]) for row in rows + ([totals] if totals else [])) for i in range(len(header))]

    def line(values):
        return "  ".join(v.rjust(w) if r else v.ljust(w) for v, w, r in zip(values, widths, right)).rstrip()

    rule = "  ".join("-" * w for w in widths)
    out = [line([str(h) for h in header]), rule, *(line(r) for r in body)]
    if tail:
        out += [rule, line(tail[0])]
    return "\n".join(out)
