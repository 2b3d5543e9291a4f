"""Read a findings CSV into a typed DataFrame, or explain every problem in it.

The loader never guesses: a value that does not fit the schema is reported with the file, the row as a
spreadsheet shows it (header = row 1), the column, the value and what is allowed. All problems are
collected and raised together as one `FindingsError`, so a curator fixes a file in one pass.

Parsing and checking run in pyarrow rather than pandas: its CSV reader reports rows with too many *or too
few* fields (pandas silently pads short rows, and reads a header one field short as "first column is the
index"), and its vectorised string kernels check a million rows in a few seconds, where pandas falls back
to per-cell Python for `to_numeric` and for most regular expressions.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import partial, reduce
from pathlib import Path
from typing import BinaryIO, Callable, TextIO, Union

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from kviz import schema
from kviz.schema import Problem

DEFAULT_DATA_PATH = Path(__file__).resolve().parents[2] / "data" / "findings.csv"
# Above this many problems the rest are only counted: a garbage file must not produce a million messages.
MAX_PROBLEMS = 200
HEADER_ROW = 1
# A text cell that an exported CSV neutralised (OWASP: leading quote before a formula character);
# reading it back restores the original text so export and load round-trip exactly.
FORMULA_CHARACTERS = ("=", "+", "-", "@", "\t", "\r")
NEUTRALISING_PREFIX = "'"
# Whole numbers above this are no longer exact in a float: no honest participant count is that large.
LARGEST_WHOLE_NUMBER = 2**53
EARLIEST_YEAR, LATEST_YEAR = 1900, 2100
# The unknown-column warning names this many columns, each cut to this length, and counts the rest.
EXTRA_NAMES_SHOWN, EXTRA_NAME_LENGTH = 5, 40

# Full-match patterns in RE2 syntax (pyarrow). \p{Z} is any space, \p{C} any control or invisible character.
SLUG = r"[a-z0-9][a-z0-9_.-]*"
PUBLISHED = r"[0-9]{4}(-[0-9]{2})?"
NUMBER = r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?"
DOI = r"10\.[0-9]{4,9}/[^\p{Z}\p{C}]+"
URL = r"https://[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*(:[0-9]{1,5})?([/?#][^\p{Z}\p{C}\"<>]*)?"
NEUTRALISED = "^" + re.escape(NEUTRALISING_PREFIX) + "[" + "".join(map(re.escape, FORMULA_CHARACTERS)) + "]"
DELIMITER_NAMES = {";": "semicolons", "\t": "tabs", "|": "pipes"}
# The columns of a problems table: each Problem field and its heading, where first, what is wrong last.
PROBLEM_LABELS: dict[str, str] = {
    "file": "File", "row": "Row", "column": "Column", "value": "Value", "allowed": "Allowed", "message": "Problem",
}

Source = Union[str, Path, bytes, bytearray, memoryview, BinaryIO, TextIO]


class FindingsError(ValueError):
    """A findings file could not be loaded; `problems` lists the first reasons found, `total` counts all."""

    def __init__(self, problems: list[Problem], total: int | None = None):
        self.problems = problems
        self.total = total if total is not None else len(problems)
        super().__init__(self._summary())

    def _summary(self) -> str:
        lines = [f"{self.total} problem{'s' if self.total != 1 else ''} found:"]
        lines += [f"- {p}" for p in self.problems]
        if self.total > len(self.problems):
            lines.append(f"- … and {self.total - len(self.problems)} more not listed")
        return "\n".join(lines)

    def table(self) -> pd.DataFrame:
        """The problems as a table for the app (see `problems_table`)."""
        return problems_table(self.problems, self.total)


def problems_table(problems: list[Problem] | tuple[Problem, ...], total: int | None = None) -> pd.DataFrame:
    """One row per problem under PROBLEM_LABELS headings, plus a last line counting those not listed.

    The one table of problems the app shows, for a bundled file that fails to load as for an upload.
    """
    rows = [{label: getattr(problem, name) for name, label in PROBLEM_LABELS.items()} for problem in problems]
    unlisted = (total or len(problems)) - len(problems)
    if unlisted > 0:
        rows.append({PROBLEM_LABELS["message"]: f"… and {unlisted:,} more problems not listed"})
    table = pd.DataFrame(rows, columns=list(PROBLEM_LABELS.values()))
    row = PROBLEM_LABELS["row"]
    table[row] = table[row].astype(schema.INT_DTYPE)
    text = [label for label in PROBLEM_LABELS.values() if label != row]
    table[text] = table[text].fillna("").astype(str)
    return table


@dataclass
class LoadResult:
    frame: pd.DataFrame
    warnings: list[Problem] = field(default_factory=list)


def _reading_order(spec: schema.TableSpec) -> Callable[[Problem], tuple[int, int]]:
    order = {name: i for i, name in enumerate(spec.names)}
    return lambda problem: (problem.row or 0, order.get(problem.column, -1))


class _Problems:
    """Collects problems, keeping the first MAX_PROBLEMS in reading order while counting all of them."""

    def __init__(self, file: str, spec: schema.TableSpec = schema.FINDINGS):
        self.file = file
        self.spec = spec
        self._order = _reading_order(spec)
        self.items: list[Problem] = []
        self.total = 0
        self.rows = np.empty(0, dtype=np.int64)  # spreadsheet row number of each body row, once parsed

    def add(self, message: str, row: int | None = None, column: str = "", value: object = "", allowed: str = "") -> None:
        self.total += 1
        self.items.append(Problem(message, self.file, row, column, _shorten(value), allowed))
        self._prune()

    def add_rows(
        self, column: str, raw: pa.ChunkedArray, mask: np.ndarray, message: str | Callable[[int], str], allowed: str = ""
    ) -> None:
        """One problem per body row where `mask` is true; `raw` holds the cells as written.

        Rows ascend, so only the first MAX_PROBLEMS hits can be among the first problems of the file.
        """
        hits = np.flatnonzero(mask)
        self.total += len(hits)
        for position in hits[:MAX_PROBLEMS].tolist():
            text = message if isinstance(message, str) else message(position)
            row = int(self.rows[position])
            self.items.append(Problem(text, self.file, row, column, _shorten(raw[position].as_py()), allowed))
        self._prune()

    def _prune(self) -> None:
        if len(self.items) > 4 * MAX_PROBLEMS:
            self.items = sorted(self.items, key=self._order)[:MAX_PROBLEMS]

    def raise_if_any(self) -> None:
        if self.total:
            raise FindingsError(sorted(self.items, key=self._order)[:MAX_PROBLEMS], self.total)


def _shorten(value: object, limit: int = 80) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def source_name(source: Source) -> str:
    """How problems name the source: the path as given, or the base name of an uploaded file."""
    if isinstance(source, (str, Path)):
        return str(source)
    return Path(str(getattr(source, "name", "") or "uploaded file")).name


def _read_bytes(source: Source, problems: _Problems) -> bytes | None:
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


def _check_utf8(data: bytes, problems: _Problems) -> bool:
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
class _Cells:
    """The raw cells of a parsed file: header names and one text column per header cell."""

    header: list[str]
    columns: list[pa.ChunkedArray]
    rows: np.ndarray  # spreadsheet row number of each cell of a column


def _parse(data: bytes, problems: _Problems) -> _Cells | None:
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
        body, rows = body.filter(keep), rows[_flags(keep)]
    if _delimiter_hint(header):
        bad_rows.clear()  # every row of a semicolon file looks ragged: the header problem says it all
    for row in bad_rows:
        if row.text.strip(", \t"):  # a short row of empty cells is blank, not ragged
            _report_ragged(row, problems)
    return _Cells(header, body.columns, rows)


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


def _report_ragged(row: pa_csv.InvalidRow, problems: _Problems) -> None:
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


def _check_header(cells: _Cells, problems: _Problems) -> tuple[dict[str, pa.ChunkedArray], list[Problem]]:
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
    names = ", ".join(_shorten(name, EXTRA_NAME_LENGTH) for name in extra[:EXTRA_NAMES_SHOWN])
    if len(extra) == 1:
        return f"unknown column kept as extra: {names}"
    unlisted = len(extra) - EXTRA_NAMES_SHOWN
    return f"{len(extra):,} unknown columns kept as extra: {names}" + (f" … and {unlisted:,} more" if unlisted > 0 else "")


def _flags(mask: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """A pyarrow boolean mask as numpy (null counts as false)."""
    return np.asarray(pc.fill_null(mask, False).to_numpy(zero_copy_only=False), dtype=bool)


def _full_match(values: pa.ChunkedArray, pattern: str) -> np.ndarray:
    return _flags(pc.match_substring_regex(values, f"^(?:{pattern})$"))


def _as_text(values: pa.ChunkedArray) -> pd.Series:
    return values.to_pandas()


def _restore_neutralised(values: pa.ChunkedArray) -> pa.ChunkedArray:
    if not pc.any(pc.starts_with(values, NEUTRALISING_PREFIX)).as_py():  # the usual case, without a regex
        return values
    quoted = pc.match_substring_regex(values, NEUTRALISED)
    return pc.if_else(quoted, pc.utf8_slice_codeunits(values, len(NEUTRALISING_PREFIX)), values)


Report = Callable[..., None]  # report(mask, message, allowed="") for the column being checked


def _validate(columns: dict[str, pa.ChunkedArray], problems: _Problems, warnings: list[Problem]) -> dict[str, pd.Series]:
    """The typed schema columns, reporting every bad cell; columns added to the schema later may be missing (empty)."""
    typed: dict[str, pd.Series] = {}
    rows = len(problems.rows)
    spec = problems.spec
    if spec is schema.FINDINGS and "d3" in columns:
        columns["d3"] = translate_legacy_d3(columns, problems, warnings)
    for column in spec.columns:
        if column.name not in columns:
            if column.in_every_file:
                continue  # reported as a missing column
            columns[column.name] = pa.chunked_array([pa.array([""] * rows, pa.string())])
        raw = columns[column.name]
        report = partial(problems.add_rows, column.name, raw)
        if column.kind == "text":  # kept as written, spaces and all
            if column.required:
                report(_flags(pc.equal(pc.utf8_trim_whitespace(raw), "")), "a value is required")
            typed[column.name] = _as_text(_restore_neutralised(raw))
            continue
        values = pc.utf8_trim_whitespace(raw)
        empty = _flags(pc.equal(values, ""))
        if column.required:
            report(empty, "a value is required")
        if column.kind == "category":
            typed[column.name] = _check_category(spec.vocabularies[column.name], values, empty, report)
        else:
            typed[column.name] = _CHECKERS[column.kind](column.name, values, empty, report)
    if spec.key in typed:
        _check_unique(columns[spec.key], problems)
    if spec is schema.FINDINGS:
        _check_effects(typed, columns, problems)
    return typed


def translate_legacy_d3(columns: dict[str, pa.ChunkedArray], problems: _Problems, warnings: list[Problem]) -> pa.ChunkedArray:
    """The d3 column with codes of the first vocabulary (yes / no) read as today's codes, and a warning saying so.

    'yes' becomes d3_only for a row without vitamin K, k_and_d_status for an observational study, with_d3 otherwise;
    'no' becomes without_d3 for a trial and not_reported for anything else (observational studies of vitamin K
    alone, laboratory work, reviews). Check the translated rows: the old codes could not say more.
    """
    raw = columns["d3"]
    values = pc.utf8_trim_whitespace(raw)
    legacy = _flags(pc.is_in(values, value_set=pa.array(schema.LEGACY_D3_CODES)))
    if not legacy.any():
        return raw
    frame = pd.DataFrame({
        name: pc.utf8_trim_whitespace(columns[name]).to_pandas() if name in columns else ""
        for name in ("design", "k_form")
    })
    old = values.to_pandas()
    trial = frame["design"].isin(("rct", "trial"))
    observational = frame["design"].isin(("cohort", "observational"))
    translated = np.select(
        [old.eq("yes") & frame["k_form"].eq("none"), old.eq("yes") & observational, old.eq("yes"), old.eq("no") & trial,
         old.eq("no")],
        ["d3_only", "k_and_d_status", "with_d3", "without_d3", "not_reported"],
        default=old.to_numpy(dtype=object),
    )
    counts = Counter(f"{before} → {after}" for before, after in zip(old[legacy], translated[legacy]))
    warnings.append(Problem(
        f"old codes yes / no in {int(legacy.sum()):,} rows, read as "
        + ", ".join(f"{change} ({count:,})" for change, count in sorted(counts.items()))
        + ". Check them and save the file with today's codes.",
        problems.file, HEADER_ROW, "d3", allowed=", ".join(schema.D3.codes),
    ))
    return pa.chunked_array([pa.array(translated.tolist(), pa.string())])


def _check_effects(typed: dict[str, pd.Series], raw: dict[str, pa.ChunkedArray], problems: _Problems) -> None:
    """Checks across the numeric result columns: a usable estimate has its measure, its CI around it, ratios above 0,
    and no arm with more events than people."""
    if not all(name in typed for name in _EFFECT_COLUMNS):
        return

    def number(name: str) -> np.ndarray:
        return typed[name].to_numpy(dtype=np.float64, na_value=np.nan)

    estimate, low, high = number("estimate"), number("ci_low"), number("ci_high")
    measure = typed["measure"]
    present = {name: ~np.isnan(values) for name, values in (("estimate", estimate), ("ci_low", low), ("ci_high", high))}

    def report(column: str, mask: np.ndarray, message: str, allowed: str = "") -> None:
        problems.add_rows(column, raw[column], mask, message, allowed)

    report("measure", present["estimate"] & measure.isna().to_numpy(), "an estimate needs its measure",
           ", ".join(schema.MEASURE.codes))
    report("ci_high", present["ci_low"] & ~present["ci_high"], "the 95% CI needs both ends", "a number above ci_low")
    report("ci_low", present["ci_high"] & ~present["ci_low"], "the 95% CI needs both ends", "a number below ci_high")
    both = present["ci_low"] & present["ci_high"]
    with np.errstate(invalid="ignore"):
        reversed_ci = both & (low > high)
        report("ci_low", reversed_ci, "the lower end of the CI is above the upper end", "ci_low ≤ ci_high")
        outside = both & ~reversed_ci & present["estimate"] & ((estimate < low) | (estimate > high))
        report("estimate", outside, "the estimate lies outside its 95% CI", "ci_low ≤ estimate ≤ ci_high")
        ratio = measure.isin(schema.RATIO_MEASURES).to_numpy()
        for name, values in (("estimate", estimate), ("ci_low", low), ("ci_high", high)):
            report(name, ratio & present[name] & (values <= 0), "a ratio must be above 0",
                   f"a number above 0 for {', '.join(schema.RATIO_MEASURES)}")
        for events, people in (("events_k", "n_k"), ("events_control", "n_control")):
            report(events, number(events) > number(people), f"more events than people in the arm ({people})",
                   f"at most {people}")


_EFFECT_COLUMNS = ("measure", "estimate", "ci_low", "ci_high", "events_k", "n_k", "events_control", "n_control")


def _check_unique(raw: pa.ChunkedArray, problems: _Problems) -> None:
    key = problems.spec.key
    stripped = pc.utf8_trim_whitespace(raw)
    if len(stripped.unique()) == len(raw):  # the usual case, found by one fast hash pass
        return
    ids = stripped.to_pandas()
    codes, _ = pd.factorize(ids)
    rows = problems.rows
    _, first_position = np.unique(codes, return_index=True)
    duplicate = ids.duplicated(keep="first").to_numpy() & (ids != "").to_numpy()

    def message(position: int) -> str:
        return f"duplicate {key}: already used in row {rows[first_position[codes[position]]]}"

    problems.add_rows(key, raw, duplicate, message, "a unique identifier per row")


def _check_id(name: str, values: pa.ChunkedArray, empty: np.ndarray, report: Report) -> pd.Series:
    report(
        ~empty & ~_full_match(values, SLUG),
        "not a valid identifier",
        "lower-case letters, digits, '-', '_' or '.', starting with a letter or digit",
    )
    return _as_text(values)


def _check_category(vocabulary: schema.Vocabulary, values: pa.ChunkedArray, empty: np.ndarray, report: Report) -> pd.Series:
    codes = np.asarray(pc.fill_null(pc.index_in(values, value_set=pa.array(vocabulary.codes)), -1), dtype=np.int64)
    report(~empty & (codes < 0), f"unknown value for {vocabulary.title}", ", ".join(vocabulary.codes))
    dtype = pd.CategoricalDtype(vocabulary.codes, ordered=True)
    return pd.Series(pd.Categorical.from_codes(codes, dtype=dtype))


def _check_date(name: str, values: pa.ChunkedArray, empty: np.ndarray, report: Report) -> pd.Series:
    well_formed = _full_match(values, PUBLISHED)
    year = _numbers(pc.utf8_slice_codeunits(values, 0, 4), well_formed)
    month = _numbers(pc.utf8_slice_codeunits(values, 5, 7), well_formed & _flags(pc.equal(pc.utf8_length(values), 7)))
    with np.errstate(invalid="ignore"):
        in_range = (year >= EARLIEST_YEAR) & (year <= LATEST_YEAR) & (np.isnan(month) | ((month >= 1) & (month <= 12)))
    report(
        ~empty & ~(well_formed & in_range),
        "not a valid publication date",
        f"YYYY-MM or YYYY, years {EARLIEST_YEAR}–{LATEST_YEAR} (e.g. 2019-05), or empty",
    )
    return _as_text(values)


def _numbers(values: pa.ChunkedArray, usable: np.ndarray) -> np.ndarray:
    """The usable cells as floats, NaN elsewhere."""
    text = pc.if_else(pa.array(usable), values, pa.scalar(None, pa.string()))
    return np.asarray(pc.cast(text, pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64)


def _check_number(
    name: str, values: pa.ChunkedArray, empty: np.ndarray, report: Report, *, whole: bool, signed: bool = False
) -> pd.Series:
    numbers = _numbers(values, ~empty & _full_match(values, NUMBER))
    finite = np.isfinite(numbers)
    report(~empty & ~finite, "not a number", "a number without units, or empty")
    if signed:
        return pd.Series(np.where(finite, numbers, np.nan)).astype(schema.FLOAT_DTYPE)
    negative = finite & (np.where(finite, numbers, 0) < 0)
    report(negative, "must not be negative", "zero or more, or empty")
    usable = finite & ~negative
    if not whole:
        return pd.Series(np.where(usable, numbers, np.nan)).astype(schema.FLOAT_DTYPE)
    fractional = usable & (np.mod(np.where(usable, numbers, 0), 1) != 0)
    report(fractional, "not a whole number", "a whole number, or empty")
    too_large = usable & ~fractional & (np.where(usable, numbers, 0) > LARGEST_WHOLE_NUMBER)
    report(too_large, "too large", f"a whole number up to {LARGEST_WHOLE_NUMBER}, or empty")
    return pd.Series(np.where(usable & ~fractional & ~too_large, numbers, np.nan)).astype(schema.INT_DTYPE)


def _check_doi(name: str, values: pa.ChunkedArray, empty: np.ndarray, report: Report) -> pd.Series:
    report(~empty & ~_full_match(values, DOI), "not a bare DOI", "10.xxxx/... without https://doi.org/ or 'doi:', or empty")
    return _as_text(values)


def _check_url(name: str, values: pa.ChunkedArray, empty: np.ndarray, report: Report) -> pd.Series:
    report(~empty & ~_full_match(values, URL), "not an https:// web address", "https://host/... only, or empty")
    return _as_text(values)


_CHECKERS: dict[str, Callable[..., pd.Series]] = {
    "id": _check_id,
    "date": _check_date,
    "int": lambda *args: _check_number(*args, whole=True),
    "float": lambda *args: _check_number(*args, whole=False),
    "signed": lambda *args: _check_number(*args, whole=False, signed=True),
    "doi": _check_doi,
    "url": _check_url,
}


def add_derived_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Add `published_date` (first day of the month, or of the year) and `year` from `published`."""
    published = frame["published"]
    padded = published.where(published.str.len() != 4, published + "-01")
    frame[schema.PUBLISHED_DATE] = pd.to_datetime(padded.where(published != ""), format="%Y-%m", errors="coerce")
    frame[schema.YEAR] = frame[schema.PUBLISHED_DATE].dt.year.astype(schema.INT_DTYPE)
    return frame


def read_table(source: Source, spec: schema.TableSpec, name: str | None = None) -> LoadResult:
    """Load and validate a CSV against `spec`; the typed table and warnings, or FindingsError listing every problem."""
    problems = _Problems(name or source_name(source), spec)
    data = _read_bytes(source, problems)
    if data is not None:
        data = data.removeprefix(codecs.BOM_UTF8)
        if not data or data.isspace():
            problems.add("the file is empty")
    problems.raise_if_any()
    assert data is not None
    cells = _parse(data, problems) if _check_utf8(data, problems) else None
    if cells is None:  # not text, or no CSV structure: there are no cells to check
        problems.raise_if_any()
    assert cells is not None  # ragged rows were reported and skipped: check every other row too
    problems.rows = cells.rows
    columns, warnings = _check_header(cells, problems)
    if not any(name in columns for name in spec.names):
        problems.raise_if_any()  # nothing recognisable: the header problem is the whole story
    typed = _validate(columns, problems, warnings)
    problems.raise_if_any()
    for extra, values in columns.items():
        if extra not in spec.by_name:
            typed[extra] = _as_text(_restore_neutralised(values))
    frame = pd.DataFrame(typed)
    frame.attrs["source"] = problems.file
    return LoadResult(frame, warnings)


def read_findings(source: Source = DEFAULT_DATA_PATH, name: str | None = None) -> LoadResult:
    """Load and validate a findings file; return the typed table and any warnings, or raise FindingsError."""
    result = read_table(source, schema.FINDINGS, name)
    add_derived_columns(result.frame)
    return result


def load_findings(source: Source = DEFAULT_DATA_PATH, name: str | None = None) -> pd.DataFrame:
    """The typed findings table (warnings in `frame.attrs['warnings']`); raises FindingsError on problems."""
    result = read_findings(source, name)
    result.frame.attrs["warnings"] = [str(w) for w in result.warnings]
    return result.frame


def summary_line(frame: pd.DataFrame) -> str:
    """'N findings from M publications' for a loaded table."""
    findings, studies = len(frame), frame["study_id"].nunique()
    return f"{findings} finding{'s' if findings != 1 else ''} from {studies} publication{'s' if studies != 1 else ''}"
