"""The one way the portal writes spreadsheets: XLSX with openpyxl and CSV for Excel, both
formula-safe, with money as exact numbers, and the download response that carries them.

Formula safety: a text that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is
the start of a formula (or of DDE) to a spreadsheet, and text here comes from applicants,
reviewers and finance staff. In XLSX every text is written as a text cell (never parsed as
a formula) and one with such a start also gets the quote prefix, so it stays text when the
cell is edited. In CSV, which has no types, such a text is written with an apostrophe in
front, as OWASP recommends ("CSV injection"); numbers and dates the portal formats itself are
not text and are written as they are.

CSV for Excel as Russian accountants have it: UTF-8 with a byte-order mark (without it Excel
reads UTF-8 as Windows-1251), `;` between fields (the list separator of the Russian locale,
where `,` is the decimal separator), amounts with a decimal comma and no grouping
(`1234,56`), quantities likewise (`2,5`), dates as `ДД.ММ.ГГГГ`, CRLF line ends. Opened by
double-click in a Russian Excel, every amount is a number and every date a date; an importer
reads the same file with `;` and `,`."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import Response

# A cell that starts with one of these is a formula (or the start of one) to a spreadsheet.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIMETYPE = "text/csv"
MONEY_FORMAT = "#,##0.00"
DATE_FORMAT = "DD.MM.YYYY"
CSV_DELIMITER = ";"
CSV_BOM = "\ufeff"


def put_cell(sheet: Any, row: int, column: int, value: Any,
             number_format: str | None = None) -> Any:
    """Write a value; text is always stored as text, so what people typed (`=1+1`,
    `@SUM(...)`, `-5`) can never become a formula, however the file is opened or edited.
    A Decimal is a number shown with two decimals (money) unless `number_format` says
    otherwise; a date is a date shown as ДД.ММ.ГГГГ."""
    cell = sheet.cell(row=row, column=column)
    if isinstance(value, str):
        cell.value = value
        cell.data_type = "s"  # openpyxl would otherwise take a leading "=" as a formula
        if value.startswith(FORMULA_STARTS):
            cell.quotePrefix = True  # and the spreadsheet keeps it text when edited
    elif isinstance(value, Decimal):
        cell.value = value  # openpyxl writes the Decimal's own digits: no float on the way
        cell.number_format = number_format or MONEY_FORMAT
    elif isinstance(value, date) and not isinstance(value, datetime):
        cell.value = value
        cell.number_format = number_format or DATE_FORMAT
    else:
        cell.value = value
        if number_format:
            cell.number_format = number_format
    return cell


@dataclass
class Table:
    """A titled table: column headings, and rows of str, Decimal, int, date or None.
    `formats` gives a column (by index) a number format other than the default (money for a
    Decimal), such as "#,##0.###" for quantities."""

    title: str
    headings: Sequence[str]
    rows: Iterable[Sequence[Any]]
    formats: dict[int, str] = field(default_factory=dict)
    widths: dict[int, float] = field(default_factory=dict)


def xlsx_bytes(table: Table) -> bytes:
    """The table as a workbook of one sheet: bold headings, frozen below them, a filter on
    them, and the rows."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = _sheet_title(table.title)
    bold = Font(bold=True)
    for column, heading in enumerate(table.headings, start=1):
        put_cell(sheet, 1, column, heading).font = bold
        width = table.widths.get(column - 1, max(12, min(40, len(heading) + 2)))
        sheet.column_dimensions[get_column_letter(column)].width = width
    line = 1
    for line, row in enumerate(table.rows, start=2):
        for column, value in enumerate(row, start=1):
            put_cell(sheet, line, column, value, table.formats.get(column - 1))
    sheet.freeze_panes = "A2"
    if table.headings:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(table.headings))}{max(line, 1)}"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _sheet_title(title: str) -> str:
    """A sheet's name: at most 31 characters, none of those Excel forbids."""
    cleaned = "".join(" " if c in '[]:*?/\\' else c for c in title).strip()
    return (cleaned or "Sheet")[:31]


def csv_text(value: Any, decimal_point: str = ",") -> str:
    """One value as the CSV holds it (see the module's note)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return "'" + value if value.startswith(FORMULA_STARTS) else value
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, Decimal):
        return format(value, "f").replace(".", decimal_point)
    if isinstance(value, datetime):
        raise TypeError("write a moment as a date or as text, in the zone it is meant in")
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    if isinstance(value, int):
        return str(value)
    raise TypeError(f"no CSV form for {type(value).__name__}")


def csv_bytes(table: Table, *, open_data: bool = False) -> bytes:
    """The table as CSV for Excel (see the module's note); the title is not written.

    `open_data=True` writes the dialect open-data tools expect (RFC 4180): `,` between
    fields, `.` as the decimal point, no byte-order mark; still UTF-8, CRLF, formula-safe."""
    delimiter, decimal_point, bom = (",", ".", "") if open_data else (CSV_DELIMITER, ",",
                                                                       CSV_BOM)
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n",
                        quoting=csv.QUOTE_MINIMAL)
    writer.writerow([csv_text(h, decimal_point) for h in table.headings])
    for row in table.rows:
        writer.writerow([csv_text(v, decimal_point) for v in row])
    return (bom + buffer.getvalue()).encode("utf-8")


FORMATS = {"xlsx": (xlsx_bytes, XLSX_MIMETYPE), "csv": (csv_bytes, CSV_MIMETYPE)}


def download(content: bytes, mimetype: str, filename: str) -> Response:
    """Answer with a file to save: the figures of organisations are private, so no cache
    may keep it."""
    response = Response(content, mimetype=mimetype)  # text/csv gets "; charset=utf-8"
    response.headers.set("Content-Disposition", "attachment", filename=filename)
    response.headers["Cache-Control"] = "private, no-store"
    return response


def table_download(table: Table, fmt: str, filename_stem: str) -> Response:
    """The table as `fmt` ("xlsx" or "csv"), to download as `<filename_stem>.<fmt>`."""
    write, mimetype = FORMATS[fmt]
    return download(write(table), mimetype, f"{filename_stem}.{fmt}")
