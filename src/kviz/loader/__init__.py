"""Read a findings CSV into a typed DataFrame, or explain every problem in it.

The loader never guesses: a value that does not fit the schema is reported with the file, the row as a
spreadsheet shows it (header = row 1), the column, the value and what is allowed. All problems are
collected and raised together as one `FindingsError`, so a curator fixes a file in one pass.

Parsing and checking run in pyarrow rather than pandas: its CSV reader reports rows with too many *or too
few* fields (pandas silently pads short rows, and reads a header one field short as "first column is the
index"), and its vectorised string kernels check a million rows in a few seconds, where pandas falls back
to per-cell Python for `to_numeric` and for most regular expressions.

Here the public API; `cells` turns a file into raw cells and a header, `checks` types and checks every cell,
`problems` collects what is wrong and where.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from kviz import schema
from kviz.loader.cells import Source, check_header, check_utf8, parse, read_bytes, source_name
from kviz.loader.checks import (
    FORMULA_CHARACTERS, NEUTRALISING_PREFIX, as_text, restore_neutralised, translate_legacy_d3, validate,
)
from kviz.loader.problems import (
    HEADER_ROW, MAX_PROBLEMS, PROBLEM_LABELS, FindingsError, ProblemLog, problems_table,
)
from kviz.schema import Problem

__all__ = [
    "DEFAULT_DATA_PATH", "FORMULA_CHARACTERS", "HEADER_ROW", "MAX_PROBLEMS", "NEUTRALISING_PREFIX", "PROBLEM_LABELS",
    "FindingsError", "LoadResult", "Source", "add_derived_columns", "load_findings", "problems_table", "read_findings",
    "read_table", "source_name", "summary_line", "translate_legacy_d3",
]

DEFAULT_DATA_PATH = Path(__file__).resolve().parents[3] / "data" / "findings.csv"


@dataclass
class LoadResult:
    frame: pd.DataFrame
    warnings: list[Problem] = field(default_factory=list)


def add_derived_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Add `published_date` (first day of the month, or of the year) and `year` from `published`."""
    published = frame["published"]
    padded = published.where(published.str.len() != 4, published + "-01")
    frame[schema.PUBLISHED_DATE] = pd.to_datetime(padded.where(published != ""), format="%Y-%m", errors="coerce")
    frame[schema.YEAR] = frame[schema.PUBLISHED_DATE].dt.year.astype(schema.INT_DTYPE)
    return frame


def read_table(source: Source, spec: schema.TableSpec, name: str | None = None) -> LoadResult:
    """Load and validate a CSV against `spec`; the typed table and warnings, or FindingsError listing every problem."""
    problems = ProblemLog(name or source_name(source), spec)
    data = read_bytes(source, problems)
    if data is not None:
        data = data.removeprefix(codecs.BOM_UTF8)
        if not data or data.isspace():
            problems.add("the file is empty")
    problems.raise_if_any()
    assert data is not None
    cells = parse(data, problems) if check_utf8(data, problems) else None
    if cells is None:  # not text, or no CSV structure: there are no cells to check
        problems.raise_if_any()
    assert cells is not None  # ragged rows were reported and skipped: check every other row too
    problems.rows = cells.rows
    columns, warnings = check_header(cells, problems)
    if not any(name in columns for name in spec.names):
        problems.raise_if_any()  # nothing recognisable: the header problem is the whole story
    typed = validate(columns, problems, warnings)
    problems.raise_if_any()
    for extra, values in columns.items():
        if extra not in spec.by_name:
            typed[extra] = as_text(restore_neutralised(values))
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
