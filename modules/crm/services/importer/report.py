"""The row-level error report: one XLSX row per bad input row, its original cells and the reason.

xlsxwriter in `constant_memory` mode (rows are flushed as written: memory stays flat) with
`strings_to_formulas` (and urls/numbers conversion) off, so a cell such as `=HYPERLINK(...)`
stays the text it was in the input.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import xlsxwriter

from core.errors import UserFacingError


def reason(errors: Sequence[UserFacingError], locale: str = "en") -> str:
    parts = []
    for e in errors:
        where = f"{e.field[0]}: " if e.field else ""
        parts.append(f"{where}{e.localized(locale)} [{e.code}]")
    return "; ".join(parts)


class ErrorReport:
    def __init__(self, path: Path, header: Sequence[str]) -> None:
        self.path = path
        self.width = len(header)
        self._book = xlsxwriter.Workbook(str(path), {
            "constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
            "strings_to_numbers": False})
        self._sheet = self._book.add_worksheet("errors")
        bold = self._book.add_format({"bold": True})
        self._sheet.write_row(0, 0, ["row", *header, "reason"], bold)
        self._next = 1
        self.count = 0

    def add(self, line: int, cells: Sequence[str], errors: Sequence[UserFacingError]) -> None:
        padded = list(cells[: self.width]) + [""] * (self.width - len(cells))
        extra = cells[self.width:]
        text = reason(errors)
        if any(c.strip() for c in extra):
            text += f" (+{len(extra)} extra cells)"
        self._sheet.write_number(self._next, 0, line)
        for col, value in enumerate(padded, start=1):
            self._sheet.write_string(self._next, col, value)
        self._sheet.write_string(self._next, self.width + 1, text)
        self._next += 1
        self.count += 1

    def close(self) -> None:
        self._book.close()
