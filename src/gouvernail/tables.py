"""Reading a table someone exported from another tool (CSV or XLSX) into rows of cells.

CSV: UTF-8 with or without BOM (UTF-16 with BOM too), else Latin-1 (refused when it holds control
characters: then it was not text); separators ``,`` ``;`` or tab, guessed from the header line.
XLSX: the first sheet. Empty rows are dropped; every row keeps its line number so that errors can
name it. Used by the imports of training completions and of use cases.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from gouvernail.errors import GouvernailError

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 100_000
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


@dataclass
class Table:
    format: str
    encoding: str | None
    delimiter: str | None
    header: list[str]
    rows: list[tuple[int, list[Any]]] = field(default_factory=list)


def decode(data: bytes) -> tuple[str, str]:
    """The text and the encoding used; a clear error when the bytes are not text."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="strict"), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    text = data.decode("latin-1")
    bad = CONTROL.search(text)
    if bad is not None:
        raise GouvernailError(
            f"the file is neither UTF-8 nor Latin-1 text (byte {bad.start()} is a control "
            "character): export it as CSV UTF-8 or XLSX",
            field="file",
        )
    return text, "latin-1"


def _read_csv(data: bytes) -> Table:
    text, encoding = decode(data)
    first = text.split("\n", 1)[0]
    delimiter = max((";", ",", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise GouvernailError("the file is empty", field="file") from None
    table = Table("csv", encoding, delimiter, header)
    try:
        for cells in reader:
            table.rows.append((reader.line_num, list(cells)))
    except csv.Error as error:
        raise GouvernailError(
            f"line {reader.line_num}: not valid CSV ({error})", field="file"
        ) from None
    return table


def _read_xlsx(data: bytes) -> Table:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # style warnings of files written by other tools
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError) as error:
        raise GouvernailError(f"not a readable XLSX workbook ({error})", field="file") from None
    try:
        rows = book.worksheets[0].iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            raise GouvernailError("the workbook's first sheet is empty", field="file")
        table = Table("xlsx", None, None, ["" if h is None else str(h) for h in header])
        for line, cells in enumerate(rows, start=2):
            table.rows.append((line, list(cells)))
    finally:
        book.close()
    return table


def read_table(data: bytes, filename: str) -> Table:
    if not data:
        raise GouvernailError("the file is empty", field="file")
    if len(data) > MAX_BYTES:
        raise GouvernailError(f"the file is larger than {MAX_BYTES} bytes", field="file")
    is_xlsx = data.startswith(b"PK\x03\x04") or PurePath(filename).suffix.lower() == ".xlsx"
    table = _read_xlsx(data) if is_xlsx else _read_csv(data)
    table.rows = [(line, cells) for line, cells in table.rows if any(_filled(c) for c in cells)]
    if len(table.rows) > MAX_ROWS:
        raise GouvernailError(f"more than {MAX_ROWS} rows: split the file", field="file")
    return table


def _filled(cell: Any) -> bool:
    return cell is not None and str(cell).strip() != ""
