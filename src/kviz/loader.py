"""Read a findings CSV into a typed DataFrame, or explain every problem in it.

The loader never guesses: a value that does not fit the schema is reported with the file, the row as a
spreadsheet shows it (header = row 1), the column, the value and what is allowed. All problems are
collected and raised together as one `FindingsError`, so a curator fixes a file in one pass.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, TextIO, Union

import pandas as pd

from kviz import schema
from kviz.schema import Problem

DEFAULT_DATA_PATH = Path(__file__).resolve().parents[2] / "data" / "findings.csv"
# Above this many problems the rest are summarised: a garbage file must not produce a million messages.
MAX_PROBLEMS = 200
HEADER_ROW = 1
FIRST_DATA_ROW = 2
# A text cell that an exported CSV neutralised (OWASP: leading quote before a formula character);
# reading it back restores the original text so export and load round-trip exactly.
FORMULA_CHARACTERS = ("=", "+", "-", "@", "\t", "\r")
NEUTRALISING_PREFIX = "'"

SLUG = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
PUBLISHED = re.compile(r"^(\d{4})(?:-(\d{2}))?$")
DOI = re.compile(r"^10\.\d{4,9}/\S+$")
URL = re.compile(r"^https://[A-Za-z0-9.-]+(?::\d+)?(?:[/?#]\S*)?$")
UNSIGNED_INT = re.compile(r"^\d+$")

Source = Union[str, Path, bytes, BinaryIO, TextIO]


class FindingsError(ValueError):
    """A findings file could not be loaded; `problems` lists every reason found."""

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


@dataclass
class LoadResult:
    frame: pd.DataFrame
    warnings: list[Problem] = field(default_factory=list)


class _Problems:
    """Collects problems up to MAX_PROBLEMS while still counting all of them."""

    def __init__(self, file: str):
        self.file = file
        self.items: list[Problem] = []
        self.total = 0

    def add(self, message: str, row: int | None = None, column: str = "", value: str = "", allowed: str = "") -> None:
        self.total += 1
        if len(self.items) < MAX_PROBLEMS:
            self.items.append(Problem(message, self.file, row, column, _shorten(value), allowed))

    def add_rows(self, mask: pd.Series, frame: pd.DataFrame, column: str, message: str, allowed: str = "") -> None:
        """One problem per row where `mask` is true (vectorised callers, any table size)."""
        hits = mask[mask].index
        self.total += len(hits)
        for index in hits[: max(0, MAX_PROBLEMS - len(self.items))]:
            self.items.append(
                Problem(message, self.file, int(index) + FIRST_DATA_ROW, column, _shorten(frame.at[index, column]), allowed)
            )

    def raise_if_any(self) -> None:
        if self.total:
            order = {name: i for i, name in enumerate(schema.COLUMN_NAMES)}
            self.items.sort(key=lambda p: (p.row or 0, order.get(p.column, -1)))
            raise FindingsError(self.items, self.total)


def _shorten(value: object, limit: int = 80) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def source_name(source: Source) -> str:
    if isinstance(source, (str, Path)):
        return str(source)
    return Path(getattr(source, "name", "") or "uploaded file").name


def _read_bytes(source: Source, problems: _Problems) -> bytes | None:
    if isinstance(source, bytes):
        return source
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.is_file():
            problems.add("file not found" if not path.exists() else "not a file")
            return None
        return path.read_bytes()
    data = source.read()
    return data.encode("utf-8") if isinstance(data, str) else bytes(data)


def _decode(data: bytes, problems: _Problems) -> str | None:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        row = data[: error.start].count(b"\n") + 1
        problems.add(
            "the file is not UTF-8 text (save it as 'CSV UTF-8')",
            row=row,
            value=data[error.start : error.start + 8].hex(" "),
        )
        return None


def _parse(text: str, problems: _Problems) -> pd.DataFrame | None:
    if not text.strip():
        problems.add("the file is empty")
        return None
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_filter=False, engine="c")
    except (pd.errors.ParserError, csv.Error, ValueError):
        _report_ragged_rows(text, problems)
        return None
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def _report_ragged_rows(text: str, problems: _Problems) -> None:
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
        for record_number, record in enumerate(reader, start=FIRST_DATA_ROW):
            if len(record) != len(header):
                problems.add(
                    f"row has {len(record)} fields but the header has {len(header)} "
                    "(an unquoted comma, or a missing one?)",
                    row=record_number,
                )
    except csv.Error as error:
        problems.add(f"the CSV structure is broken: {error}")
    if not problems.total:
        problems.add("the CSV could not be parsed")


def _check_columns(frame: pd.DataFrame, problems: _Problems) -> list[Problem]:
    names = list(frame.columns)
    missing = [c for c in schema.COLUMN_NAMES if c not in names]
    if missing:
        header = ",".join(names)
        hint = ""
        for delimiter, name in ((";", "semicolons"), ("\t", "tabs"), ("|", "pipes")):
            if len(names) == 1 and delimiter in header:
                hint = f" The header is separated by {name}: findings files must be comma-separated."
        problems.add(
            f"missing required column{'s' if len(missing) > 1 else ''}: {', '.join(missing)}.{hint}",
            row=HEADER_ROW,
            allowed=", ".join(schema.COLUMN_NAMES),
        )
    duplicated = sorted({n for n in names if names.count(n) > 1})
    for name in duplicated:
        problems.add("column appears more than once", row=HEADER_ROW, column=name)
    extra = [n for n in names if n not in schema.COLUMNS_BY_NAME]
    if extra:
        return [
            Problem(
                f"unknown column{'s' if len(extra) > 1 else ''} kept as extra: {', '.join(extra)}",
                problems.file,
                HEADER_ROW,
            )
        ]
    return []


def _restore_neutralised(values: pd.Series) -> pd.Series:
    quoted = values.str.startswith(NEUTRALISING_PREFIX) & values.str[1:2].isin(FORMULA_CHARACTERS)
    return values.where(~quoted, values.str[1:])


def _validate(frame: pd.DataFrame, problems: _Problems) -> pd.DataFrame:
    typed: dict[str, pd.Series] = {}
    for column in schema.COLUMNS:
        raw = frame[column.name]
        values = raw.str.strip() if column.kind != "text" else raw
        empty = values.str.strip() == ""
        if column.required:
            problems.add_rows(empty, frame, column.name, "a value is required")
        checker = _CHECKERS[column.kind]
        typed[column.name] = checker(column.name, values, empty, frame, problems)
    result = pd.DataFrame(typed, index=frame.index)
    ids = result["finding_id"]
    duplicate = ids.duplicated(keep="first") & (ids != "")
    if duplicate.any():
        first_row = {value: int(i) + FIRST_DATA_ROW for i, value in ids[~ids.duplicated(keep="first")].items()}
        for index in duplicate[duplicate].index:
            value = ids.at[index]
            problems.add(
                f"duplicate finding_id: already used in row {first_row[value]}",
                row=int(index) + FIRST_DATA_ROW,
                column="finding_id",
                value=value,
                allowed="a unique identifier per row",
            )
    return result


def _check_id(name, values, empty, frame, problems):
    problems.add_rows(
        ~empty & ~values.str.match(SLUG),
        frame,
        name,
        "not a valid identifier",
        "lower-case letters, digits, '-', '_' or '.', starting with a letter or digit",
    )
    return values.astype(str)


def _check_text(name, values, empty, frame, problems):
    return _restore_neutralised(values.astype(str))


def _check_category(name, values, empty, frame, problems):
    vocabulary = schema.VOCABULARIES[name]
    unknown = ~empty & ~values.isin(vocabulary.codes)
    problems.add_rows(unknown, frame, name, f"unknown value for {vocabulary.title}", ", ".join(vocabulary.codes))
    return pd.Series(
        pd.Categorical(values.where(~unknown & ~empty), categories=vocabulary.codes, ordered=True), index=values.index
    )


def _check_date(name, values, empty, frame, problems):
    parts = values.str.extract(PUBLISHED)
    year = pd.to_numeric(parts[0], errors="coerce")
    month = pd.to_numeric(parts[1], errors="coerce")
    bad = ~empty & (
        year.isna() | (year < 1900) | (year > 2100) | (month.notna() & ((month < 1) | (month > 12)))
    )
    problems.add_rows(bad, frame, name, "not a valid publication date", "YYYY-MM or YYYY (e.g. 2019-05), or empty")
    return values.where(~bad, "")


def _check_number(name, values, empty, frame, problems, *, whole: bool):
    numbers = pd.to_numeric(values.where(~empty), errors="coerce")
    not_numeric = ~empty & numbers.isna()
    problems.add_rows(not_numeric, frame, name, "not a number", "a number without units, or empty")
    negative = numbers < 0
    problems.add_rows(negative.fillna(False), frame, name, "must not be negative", "zero or more, or empty")
    if whole:
        fractional = ~empty & ~not_numeric & ~values.str.match(UNSIGNED_INT) & ~negative.fillna(False)
        problems.add_rows(fractional, frame, name, "not a whole number", "a whole number, or empty")
        return numbers.where(~fractional).round().astype(schema.INT_DTYPE)
    return numbers.astype(schema.FLOAT_DTYPE)


def _check_doi(name, values, empty, frame, problems):
    bad = ~empty & ~values.str.match(DOI)
    problems.add_rows(bad, frame, name, "not a bare DOI", "10.xxxx/... without https://doi.org/, or empty")
    return values.where(~bad, "")


def _check_url(name, values, empty, frame, problems):
    bad = ~empty & ~values.str.match(URL)
    problems.add_rows(bad, frame, name, "not an https:// web address", "https://... only, or empty")
    return values.where(~bad, "")


_CHECKERS = {
    "id": _check_id,
    "text": _check_text,
    "category": _check_category,
    "date": _check_date,
    "int": lambda *a: _check_number(*a, whole=True),
    "float": lambda *a: _check_number(*a, whole=False),
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


def read_findings(source: Source = DEFAULT_DATA_PATH, name: str | None = None) -> LoadResult:
    """Load and validate; return the typed table and any warnings, or raise FindingsError."""
    problems = _Problems(name or source_name(source))
    data = _read_bytes(source, problems)
    text = _decode(data, problems) if data is not None else None
    frame = _parse(text, problems) if text is not None else None
    problems.raise_if_any()
    assert frame is not None
    warnings = _check_columns(frame, problems)
    problems.raise_if_any()
    frame = frame.reset_index(drop=True)
    typed = _validate(frame, problems)
    problems.raise_if_any()
    extras = [c for c in frame.columns if c not in schema.COLUMNS_BY_NAME]
    for extra in extras:
        typed[extra] = frame[extra]
    typed = add_derived_columns(typed)
    typed.attrs["source"] = problems.file
    return LoadResult(typed, warnings)


def load_findings(source: Source = DEFAULT_DATA_PATH, name: str | None = None) -> pd.DataFrame:
    """The typed findings table (warnings in `frame.attrs['warnings']`); raises FindingsError on problems."""
    result = read_findings(source, name)
    result.frame.attrs["warnings"] = [str(w) for w in result.warnings]
    return result.frame


def summary_line(frame: pd.DataFrame) -> str:
    """'N findings from M publications' for a loaded table."""
    findings, studies = len(frame), frame["study_id"].nunique()
    return f"{findings} finding{'s' if findings != 1 else ''} from {studies} publication{'s' if studies != 1 else ''}"
