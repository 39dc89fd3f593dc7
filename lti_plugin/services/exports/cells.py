"""Cells and lines of Rapport's CSV files: plain values, and text that a spreadsheet will not run as a formula."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from typing import Any

# A spreadsheet treats a cell starting with one of these as a formula (or strips it and then does).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
ROWS_PER_CHUNK = 200


def neutralize(text: str) -> str:
    """Text that cannot start a formula: a leading apostrophe when it begins with = + - @ tab CR or LF."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def cell(value: Any) -> str:
    """One value as CSV text: numbers as they are, yes/no, ISO dates (UTC), neutralized text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".") if value == value else ""
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return neutralize(str(value))


def lines(header: Sequence[str], rows: Iterable[Sequence[Any]], per_chunk: int = ROWS_PER_CHUNK) -> Iterator[str]:
    """The CSV text of a header and rows, in chunks of a few hundred lines (for streaming)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralize(h) for h in header])
    count = 0
    for row in rows:
        writer.writerow([cell(v) for v in row])
        count += 1
        if count % per_chunk == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
