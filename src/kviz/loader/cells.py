"""From a file to its raw cells: bytes, the UTF-8 check, CSV structure (pyarrow), and the header."""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass
from functools import reduce
from pathlib import Path
from typing import BinaryIO, Callable, TextIO, Union

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from kviz.loader.problems import HEADER_ROW, ProblemLog, shorten
from kviz.schema import Problem

# The unknown-column warning names this many columns, each cut to this length, and counts the rest.
EXTRA_NAMES_SHOWN, EXTRA_NAME_LENGTH = 5, 40
DELIMITER_NAMES = {";": "semicolons", "\t": "tabs", "|": "pipes"}
Source = Union[str, Path, bytes, bytearray, memoryview, BinaryIO, TextIO]


def source_name(source: Source) -> str:
    """How problems name the source: the path as given, or the base name of an uploaded file."""
    if isinstance(source, (str, Path)):
        return str(source)
    return Path(str(getattr(source, "name", "") or "uploaded file")).name


def read_bytes(source: Source, problems: ProblemLog) -> bytes | None:
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source)
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.is_file():
            problems.add("file not found" if not path.exists() else "not a file")
            return None
        try:
            return path.read_bytes()
        except OSError as error:
            problems.add(f"the file cannot be read: {error.strerror or error}")
            return None
    # getvalue() returns everything even if the caller (e.g. a Streamlit rerun) already read the upload
    data = source.getvalue() if hasattr(source, "getvalue") else source.read()
    # surrogatepass: a str with lone surrogates becomes bytes that the UTF-8 check reports, not a crash
    return data.encode("utf-8", "surrogatepass") if isinstance(data, str) else bytes(data)


def check_utf8(data: bytes, problems: ProblemLog) -> bool:
    """True for UTF-8; otherwise report where the first byte that is not UTF-8 sits.

    pyarrow's check takes milliseconds for a large file; Python's decoder is the authority and locates errors.
    """
    as_text = pa.Array.from_buffers(
        pa.large_string(), 1, [None, pa.py_buffer(np.array([0, len(data)], dtype=np.int64)), pa.py_buffer(data)]
    )
    try:
        as_text.validate(full=True)
        return True
    except pa.ArrowInvalid:
        pass  # Python's decoder says where
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        row, column = _locate_cell(data[: error.start].decode("utf-8"))
        problems.add(
            "the file is not UTF-8 text (in Excel: Save As 'CSV UTF-8'; in LibreOffice: character set UTF-8)",
            row=row,
            column=column,
            value=data[error.start : error.start + 8].hex(" "),
        )
        return False
    return True


def _locate_cell(text_before: str) -> tuple[int, str]:
    """Spreadsheet row and column name of the cell where `text_before` (the valid text before it) ends."""
    header: list[str] = []
    record: list[str] = []
    records = 0
    try:
        for records, record in enumerate(csv.reader(io.StringIO(text_before, newline="")), start=1):
            header = header or record
    except csv.Error:  # a cell longer than the csv module allows: fall back to counting lines
        return text_before.count("\n") + 1, ""
    if not records or text_before.endswith(("\n", "\r")):
        records, record = records + 1, [""]
    position = len(record) - 1
    in_body = records > HEADER_ROW and position < len(header)
    return records, header[position].strip() if in_body else ""


@dataclass
class Cells:
    """The raw cells of a parsed file: header names and one text column per header cell."""

    header: list[str]
    columns: list[pa.ChunkedArray]
    rows: np.ndarray  # spreadsheet row number of each cell of a column


def parse(data: bytes, problems: ProblemLog) -> Cells | None:
    bad_rows: list[pa_csv.InvalidRow] = []

    def keep_bad_row(row: pa_csv.InvalidRow) -> str:
        bad_rows.append(row)
        return "skip"

    try:
        table = _read_table(data, keep_bad_row)
        inferred = [name for name, kind in zip(table.column_names, table.schema.types) if kind != pa.string()]
        if inferred:  # a column whose header looks like a number or date: read again, as text, to keep "007"
            bad_rows.clear()
            table = _read_table(data, keep_bad_row, {name: pa.string() for name in inferred})
    except pa.ArrowException as error:
        problems.add(f"the CSV structure could not be read: {error}")
        return None
    records = table.num_rows + len(bad_rows)
    dropped = [row.number - 1 for row in bad_rows if 0 < row.number <= records]
    numbers = np.delete(np.arange(HEADER_ROW, records + HEADER_ROW), dropped)
    if len(numbers) != table.num_rows:  # the reader could not number a rejected row: count what is left
        numbers = np.arange(HEADER_ROW, table.num_rows + HEADER_ROW)
    header = [column[0].as_py().strip() for column in table.columns]
    body = table.slice(1)
    rows = numbers[1:]
    blank = reduce(pc.and_, (pc.equal(column, "") for column in body.columns))
    if pc.any(blank).as_py():  # blank lines and rows of empty cells, e.g. Excel's trailing ",,,,"
        keep = pc.invert(blank)
        body, rows = body.filter(keep), rows[flags(keep)]
    if _delimiter_hint(header):
        bad_rows.clear()  # every row of a semicolon file looks ragged: the header problem says it all
    for row in bad_rows:
        if row.text.strip(", \t"):  # a short row of empty cells is blank, not ragged
            _report_ragged(row, problems)
    return Cells(header, body.columns, rows)


def _read_table(data: bytes, on_bad_row: Callable, column_types: dict | None = None) -> pa.Table:
    """Every cell as text; the header is row 0 so that duplicate or empty column names survive."""
    return pa_csv.read_csv(
        pa.py_buffer(data),
        # one block: a cell may be any size, and single-threaded reading numbers the rows it rejects
        read_options=pa_csv.ReadOptions(
            autogenerate_column_names=True, use_threads=False, block_size=min(len(data) + 1 + (1 << 20), 2**31 - 1)
        ),
        parse_options=pa_csv.ParseOptions(newlines_in_values=True, ignore_empty_lines=False, invalid_row_handler=on_bad_row),
        convert_options=pa_csv.ConvertOptions(
            check_utf8=False,  # already checked, with a located message
            column_types=column_types or {},
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
            null_values=[],
            true_values=[],
            false_values=[],
        ),
    )


def _report_ragged(row: pa_csv.InvalidRow, problems: ProblemLog) -> None:
    hint = "an unquoted comma in a value?" if row.actual_columns > row.expected_columns else "a missing comma, or an unclosed quote?"
    problems.add(
        f"row has {row.actual_columns} fields but the header has {row.expected_columns} ({hint})",
        row=row.number if row.number > 0 else None,
        value=row.text,
    )


def _delimiter_hint(header: list[str]) -> str:
    if len(header) != 1:
        return ""
    for delimiter, name in DELIMITER_NAMES.items():
        if delimiter in header[0]:
            return f" The header is separated by {name}: findings files must be comma-separated."
    return ""


def _spreadsheet_column(position: int) -> str:
    """A, B, ..., Z, AA, ... for a 0-based column position."""
    letters = ""
    position += 1
    while position:
        position, remainder = divmod(position - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def check_header(cells: Cells, problems: ProblemLog) -> tuple[dict[str, pa.ChunkedArray], list[Problem]]:
    """The usable columns by name, and warnings; header problems are reported on row 1."""
    warnings: list[Problem] = []
    columns: dict[str, pa.ChunkedArray] = {}
    counts = Counter(cells.header)
    for position, (name, values) in enumerate(zip(cells.header, cells.columns)):
        letter = _spreadsheet_column(position)
        if not name:
            if pc.all(pc.equal(values, "")).as_py() in (True, None):
                warnings.append(Problem(f"column {letter} has no name and no values: ignored", problems.file, HEADER_ROW))
            else:
                problems.add(f"column {letter} has no name but holds values", row=HEADER_ROW, allowed="a column name")
        elif name in problems.spec.reserved:
            problems.add("column name is reserved: the loader derives it from 'published'", row=HEADER_ROW, column=name)
        elif counts[name] > 1:
            if position == cells.header.index(name):
                problems.add(f"column appears {counts[name]} times", row=HEADER_ROW, column=name)
        else:
            columns[name] = values
    missing = [name for name in problems.spec.header if not counts[name]]
    if missing:
        problems.add(
            f"missing required column{'s' if len(missing) > 1 else ''}: {', '.join(missing)}.{_delimiter_hint(cells.header)}",
            row=HEADER_ROW,
            allowed=", ".join(problems.spec.header),
        )
    extra = [name for name in columns if name not in problems.spec.by_name]
    if extra:
        warnings.append(Problem(_extra_columns_note(extra), problems.file, HEADER_ROW))
    return columns, warnings


def _extra_columns_note(extra: list[str]) -> str:
    """The warning for unknown columns, naming only the first few: a file may hold thousands of them."""
    names = ", ".join(shorten(name, EXTRA_NAME_LENGTH) for name in extra[:EXTRA_NAMES_SHOWN])
    if len(extra) == 1:
        return f"unknown column kept as extra: {names}"
    unlisted = len(extra) - EXTRA_NAMES_SHOWN
    return f"{len(extra):,} unknown columns kept as extra: {names}" + (f" … and {unlisted:,} more" if unlisted > 0 else "")


def flags(mask: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """A pyarrow boolean mask as numpy (null counts as false)."""
    return np.asarray(pc.fill_null(mask, False).to_numpy(zero_copy_only=False), dtype=bool)
