"""Reading an import file as a header and a stream of rows, in constant memory.

`open_table(path)` checks the whole file before the first row is handed out, so a file that
cannot be read is refused before anything is written:
- empty file; CSV not UTF-8 anywhere in the file (the file is decoded once, in chunks, up front);
- CSV whose delimiter is none of `, ; TAB |` (a one-column header that is not a known column);
- more than MAX_COLUMNS columns;
- `.xlsx` that is not a ZIP/XLSX, or whose ZIP declares more than MAX_XLSX_UNCOMPRESSED bytes or
  a compression ratio above MAX_XLSX_RATIO (a ZIP bomb), checked before openpyxl opens it.
Rows are lists of strings (`""` for an empty cell) with their 1-based line number in the file.
"""

from __future__ import annotations

import codecs
import csv
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from core.errors import UserFacingError
from core.i18n import N_
from modules.crm.services.importer.columns import MAX_COLUMNS, err, normalise_header

DELIMITERS = ",;\t|"
MAX_XLSX_UNCOMPRESSED = 1 << 30  # 1 GiB of XML in all
MAX_XLSX_RATIO = 100  # uncompressed / compressed, over the whole archive
MAX_MEMBER_RATIO = 200  # one member (only checked above 1 MiB: tiny parts compress oddly)
CSV_FIELD_LIMIT = 1 << 20
CHUNK = 1 << 20


@dataclass
class Table:
    header: list[str]
    rows: Iterator[tuple[int, list[str]]]
    total: int | None  # data rows, as far as known before reading (progress bar)
    close: Any = None


def open_table(path: Path, known_columns: tuple[str, ...]) -> Table:
    if not path.is_file():
        raise err("FILE_NOT_FOUND", N_("No such file: {name}."), name=path.name)
    if path.stat().st_size == 0:
        raise err("EMPTY_FILE", N_("The file is empty."))
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _open_xlsx(path)
    return _open_csv(path, known_columns)


# -- CSV -------------------------------------------------------------------------------------------

def _check_utf8(path: Path) -> int:
    """Decode the whole file once (constant memory); returns its number of lines."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    lines = 0
    offset = 0
    last = b""
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                raise err("BAD_ENCODING", N_("The file is not valid UTF-8 (at byte {offset}): save it as "
                                             "UTF-8 CSV and try again."), offset=offset + exc.start) from None
            lines += chunk.count(b"\n")
            offset += len(chunk)
            last = chunk
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise err("BAD_ENCODING", N_("The file is not valid UTF-8 (at byte {offset}): save it as "
                                         "UTF-8 CSV and try again."), offset=offset) from None
    return lines + (0 if last.endswith(b"\n") else 1)


def _open_csv(path: Path, known_columns: tuple[str, ...]) -> Table:
    lines = _check_utf8(path)
    csv.field_size_limit(CSV_FIELD_LIMIT)
    f = path.open("r", encoding="utf-8-sig", newline="")
    try:
        first = f.readline()
        if not first.strip():
            raise err("EMPTY_FILE", N_("The file is empty."))
        try:
            delimiter = csv.Sniffer().sniff(first, delimiters=DELIMITERS).delimiter
        except csv.Error:
            delimiter = ","
        f.seek(0)
        if f.read(1) != "\ufeff":
            f.seek(0)
        reader = csv.reader(f, delimiter=delimiter)
        try:
            header = next(reader)
        except csv.Error:
            raise err("BAD_CSV", N_("The header row cannot be read as CSV.")) from None
        if len(header) > MAX_COLUMNS:
            raise err("TOO_MANY_COLUMNS", N_("The file has {count} columns; at most {max} are allowed."),
                      count=len(header), max=MAX_COLUMNS)
        if len(header) == 1 and normalise_header(header[0]) not in known_columns:
            raise err("WRONG_DELIMITER", N_("Could not find the columns: separate them with a comma, "
                                            "semicolon, tab or vertical bar (|)."))
    except BaseException:
        f.close()
        raise

    def rows() -> Iterator[tuple[int, list[str]]]:
        try:
            while True:
                try:
                    row = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    raise err("BAD_CSV", N_("Line {line} cannot be read as CSV ({reason})."),
                              line=reader.line_num, reason=str(exc)[:80]) from None
                if row and any(cell.strip() for cell in row):
                    yield reader.line_num, row
        finally:
            f.close()

    return Table(header, rows(), max(lines - 1, 0), f.close)


# -- XLSX ------------------------------------------------------------------------------------------

def _check_zip(path: Path) -> None:
    not_xlsx = err("NOT_XLSX", N_("The file is not an XLSX workbook (save it as .xlsx, or as UTF-8 CSV)."))
    if not zipfile.is_zipfile(path):
        raise not_xlsx
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError):
        raise not_xlsx from None
    names = {m.filename for m in members}
    if "xl/workbook.xml" not in names or "[Content_Types].xml" not in names:
        raise not_xlsx
    unpacked = sum(m.file_size for m in members)
    packed = max(sum(m.compress_size for m in members), 1)
    worst = max((m.file_size / max(m.compress_size, 1) for m in members if m.file_size > 1 << 20), default=0)
    if unpacked > MAX_XLSX_UNCOMPRESSED or unpacked / packed > MAX_XLSX_RATIO or worst > MAX_MEMBER_RATIO:
        raise err("XLSX_TOO_LARGE", N_("The workbook unpacks to {size} MB ({ratio}x its size): refused as a "
                                       "possible ZIP bomb. Split it, or save it as CSV."),
                  size=unpacked >> 20, ratio=int(unpacked / packed))


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)


def _open_xlsx(path: Path) -> Table:
    _check_zip(path)
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        iterator = sheet.iter_rows(values_only=True)
        first = next(iterator, None)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, IndexError, OSError):
        raise err("NOT_XLSX", N_("The file is not an XLSX workbook (save it as .xlsx, or as UTF-8 CSV).")) from None
    except Exception as exc:  # noqa: BLE001 - lxml/ElementTree parse errors have no common base
        raise err("NOT_XLSX", N_("The file is not an XLSX workbook (save it as .xlsx, or as UTF-8 CSV).")) from exc
    if first is None:
        workbook.close()
        raise err("EMPTY_FILE", N_("The file is empty."))
    header = [_cell(v) for v in first]
    while header and not header[-1].strip():
        header.pop()
    if len(header) > MAX_COLUMNS:
        workbook.close()
        raise err("TOO_MANY_COLUMNS", N_("The file has {count} columns; at most {max} are allowed."),
                  count=len(header), max=MAX_COLUMNS)
    total = sheet.max_row - 1 if sheet.max_row else None

    def rows() -> Iterator[tuple[int, list[str]]]:
        line = 1
        try:
            for line, values in enumerate(iterator, start=2):
                cells = [_cell(v) for v in values]
                while len(cells) > len(header) and not cells[-1].strip():
                    cells.pop()
                if any(c.strip() for c in cells):
                    yield line, cells
        except UserFacingError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise err("BAD_XLSX", N_("The workbook cannot be read past row {line}."), line=line) from exc
        finally:
            workbook.close()

    return Table(header, rows(), total, workbook.close)

