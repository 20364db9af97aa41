"""Comparison reports: numbers checked against reference numbers, printed as a table.

`gradcheck` (analytic vs numeric), `compare_with_torch` (ours vs torch) and `assert_grads_close`
(actual vs expected) all produce a `Report`: one `Entry` per compared number, truthy when every
entry is within tolerance, readable with `print(report)`, failures listed worst first.

>>> report = compare("check", [("a", 1.0, 1.0), ("b", 2.5, 2.0)], atol=1e-6, rtol=1e-3)
>>> bool(report), [e.name for e in report.failures]
(False, ['b'])
>>> print(report)                      # doctest: +NORMALIZE_WHITESPACE
check: FAILED, 1 of 2 entries differ (atol=1e-06, rtol=0.001)
  entry  actual  expected  abs err  rel err
  a      1       1         0        0        ok
  b      2.5     2         0.5      0.25     FAIL
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["Entry", "Report", "compare", "format_table"]

MAX_ROWS = 40  # rows printed in a failure message; the rest are counted


@dataclass(frozen=True)
class Entry:
    """One compared number: `actual` against the reference `expected`.

    `passed` when |actual - expected| <= atol + rtol |expected| (numpy's `isclose`), or both are
    NaN, or both are the same infinity. `rel_err` is |actual - expected| / |expected| (inf when
    only `expected` is 0). `note` explains an entry worth a second look (a kink, a one-sided
    difference).
    """

    name: str
    actual: float
    expected: float
    abs_err: float
    rel_err: float
    passed: bool
    excess: float  # abs_err / (atol + rtol |expected|): above 1 fails; sorts the worst first
    note: str = ""


def make_entry(name: str, actual, expected, atol: float, rtol: float, note: str = "") -> Entry:
    """Compare two numbers under numpy's `isclose` rule (NaN matches NaN)."""
    actual, expected = float(actual), float(expected)
    if math.isnan(actual) or math.isnan(expected):
        both = math.isnan(actual) and math.isnan(expected)
        diff = math.nan
        return Entry(name, actual, expected, diff, diff, both, 0.0 if both else math.inf, note)
    if math.isinf(actual) or math.isinf(expected):
        same = actual == expected
        diff = 0.0 if same else math.inf
        return Entry(name, actual, expected, diff, diff, same, 0.0 if same else math.inf, note)
    diff = abs(actual - expected)
    rel = diff / abs(expected) if expected != 0.0 else (0.0 if diff == 0.0 else math.inf)
    allowed = atol + rtol * abs(expected)
    excess = diff / allowed if allowed > 0.0 else (0.0 if diff == 0.0 else math.inf)
    return Entry(name, actual, expected, diff, rel, diff <= allowed, excess, note)


class Report:
    """A list of `Entry`s with a title and the tolerances used; truthy when all entries pass.

    `columns` names the two number columns (e.g. "analytic", "numeric"), `label` the first column
    and `noun` what the entries are in the headline ("derivatives"). `str(report)` is the
    whole table in entry order; `failure_message()` lists only the failures, worst first.
    """

    def __init__(
        self,
        title: str,
        entries: Iterable[Entry],
        *,
        atol: float,
        rtol: float,
        columns: tuple[str, str] = ("actual", "expected"),
        label: str = "entry",
        noun: str = "entries",
        settings: str = "",
        footer: str = "",
    ):
        self.title = title
        self.entries = list(entries)
        self.atol = atol
        self.rtol = rtol
        self.columns = columns
        self.label = label
        self.noun = noun
        self.settings = settings or f"atol={atol:g}, rtol={rtol:g}"
        self.footer = footer

    @property
    def passed(self) -> bool:
        return all(e.passed for e in self.entries)

    def __bool__(self) -> bool:
        return self.passed

    @property
    def failures(self) -> list[Entry]:
        """The failing entries, worst (furthest beyond the tolerance) first."""
        return sorted((e for e in self.entries if not e.passed), key=lambda e: -e.excess)

    @property
    def worst(self) -> Entry | None:
        """The entry furthest beyond (or closest to) its tolerance."""
        return max(self.entries, key=lambda e: e.excess, default=None)

    def __getitem__(self, name: str) -> Entry:
        for entry in self.entries:
            if entry.name == name:
                return entry
        raise KeyError(f"{self.title}: no entry named {name!r}; have {self.names()}")

    def names(self) -> list[str]:
        return [e.name for e in self.entries]

    def headline(self) -> str:
        n, bad = len(self.entries), len(self.failures)
        if bad == 0:
            verdict = f"ok, all {n} {self.noun} match"
        else:
            verdict = f"FAILED, {bad} of {n} {self.noun} differ"
        return f"{self.title}: {verdict} ({self.settings})"

    def table(self, entries: list[Entry] | None = None, limit: int | None = None) -> str:
        """The entries (default: all, in order) as aligned rows; past `limit` they are counted."""
        rows = self.entries if entries is None else entries
        shown = rows if limit is None else rows[:limit]
        headers = [self.label, *self.columns, "abs err", "rel err", "", ""]
        body = [
            [
                e.name,
                _number(e.actual),
                _number(e.expected),
                _error(e.abs_err),
                _error(e.rel_err),
                "ok" if e.passed else "FAIL",
                e.note,
            ]
            for e in shown
        ]
        text = format_table(headers, body)
        if len(rows) > len(shown):
            text += f"\n  ... and {len(rows) - len(shown)} more"
        return text

    def __str__(self) -> str:
        parts = [self.headline(), self.table()]
        if self.footer:
            parts.append(self.footer)
        return "\n".join(parts)

    def failure_message(self) -> str:
        """The headline and the failing entries, worst first (what an assertion shows)."""
        parts = [self.headline(), self.table(self.failures, limit=MAX_ROWS)]
        if self.footer:
            parts.append(self.footer)
        return "\n".join(parts)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.headline()}>"

    def _repr_markdown_(self) -> str:  # Jupyter shows the table
        return "```\n" + str(self) + "\n```"


def compare(title: str, triples: Iterable[tuple], *, atol: float, rtol: float, **options) -> Report:
    """A Report from (name, actual, expected) triples."""
    entries = [make_entry(name, a, e, atol, rtol) for name, a, e in triples]
    return Report(title, entries, atol=atol, rtol=rtol, **options)


def format_table(headers: list[str], rows: list[list[str]]) -> str:
    """Left-aligned columns, two spaces apart, indented by two; empty trailing cells trimmed."""
    widths = [max(len(str(row[i])) for row in [headers, *rows]) for i in range(len(headers))]
    lines = []
    for row in [headers, *rows]:
        cells = [str(cell).ljust(width) for cell, width in zip(row, widths)]
        lines.append(("  " + "  ".join(cells)).rstrip())
    return "\n".join(lines)


def _number(x: float) -> str:
    """Ten significant digits: enough to see where two close numbers part."""
    return f"{x:.10g}"


def _error(x: float) -> str:
    return "0" if x == 0.0 else f"{x:.2g}"
