"""Bring your own findings: check, load and combine an uploaded CSV without trusting it.

An upload goes through the same loader as the bundled file, after cheap checks that stop oversized
or binary files before any parsing. Everything here is pure (bytes and frames in, frames or a
`FindingsError` out), so the app can build the new data completely and only then swap it in: a failed
upload or a blocked combination never leaves the user looking at half-loaded rows.

Combining the upload with the bundled rows is blocked, with one problem per clashing `finding_id`,
rather than letting either side win silently: a clash usually means the same study was coded twice,
and the user should decide which row to keep.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
from dataclasses import dataclass
from enum import StrEnum
from pathlib import PurePath

import pandas as pd

from kviz import schema
from kviz.loader import MAX_PROBLEMS, FindingsError, read_findings
from kviz.schema import Problem

MAX_UPLOAD_MB = 20  # also server.maxUploadSize in .streamlit/config.toml
MAX_UPLOAD_BYTES = MAX_UPLOAD_MB * 1024 * 1024  # Streamlit counts a megabyte as 1024 × 1024 bytes
MAX_UPLOAD_ROWS = 200_000
TEMPLATE_FILE_NAME = "kviz-findings-template.csv"
SAVE_AS_CSV_HINT = "In Excel or LibreOffice use File › Save As › 'CSV UTF-8 (comma delimited)'."

# First bytes of the files people most often pick by mistake; the loader would only say "not UTF-8".
_FILE_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "an Excel workbook (.xlsx) or another zip archive"),
    (b"\xd0\xcf\x11\xe0", "an old Excel workbook (.xls) or another Office file"),
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\xff\xfe", "UTF-16 text (Excel's 'Unicode text')"),
    (b"\xfe\xff", "UTF-16 text"),
)
_SNIFF_BYTES = 8192


class DataChoice(StrEnum):
    """Which rows the dashboard explores."""

    BUNDLED = "bundled"
    UPLOADED = "uploaded"
    COMBINED = "combined"

    @property
    def label(self) -> str:
        return _CHOICE_TEXTS[self][0]

    @property
    def description(self) -> str:
        return _CHOICE_TEXTS[self][1]


_CHOICE_TEXTS = {
    DataChoice.BUNDLED: ("Bundled findings", "The curated findings that come with kviz."),
    DataChoice.UPLOADED: ("My upload only", "Only the rows of your file."),
    DataChoice.COMBINED: ("My upload + bundled", "Your rows after the bundled findings; finding IDs must not repeat."),
}


@dataclass(frozen=True, eq=False)
class Upload:
    """A fully validated uploaded table: only ever created after a successful load."""

    name: str
    digest: str  # sha256 of the bytes: the same file uploaded again is not loaded twice
    frame: pd.DataFrame
    warnings: tuple[Problem, ...] = ()


def display_name(name: str) -> str:
    """The file name without any folder a browser might send."""
    return PurePath(name.replace("\\", "/")).name or "uploaded file"


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _format_megabytes(n_bytes: int) -> str:
    """Rounded up, so a file just over the limit never reads as exactly the limit."""
    return f"{math.ceil(n_bytes / (1024 * 1024) * 10) / 10:.1f} MB"


def _count_records(data: bytes) -> int:
    """Data rows in a CSV, counting quoted line breaks correctly; 0 if unreadable (the loader explains why)."""
    try:
        return len(pd.read_csv(io.BytesIO(data), usecols=[0], dtype=str, keep_default_na=False, engine="c"))
    except (ValueError, pd.errors.ParserError):  # UnicodeDecodeError and EmptyDataError are ValueErrors
        return 0


def _precheck(data: bytes, name: str) -> list[Problem]:
    """Problems that make parsing pointless: too big, not text, too many rows."""
    if len(data) > MAX_UPLOAD_BYTES:
        return [Problem(f"the file is {_format_megabytes(len(data))}; the limit is {MAX_UPLOAD_MB} MB", name)]
    for signature, kind in _FILE_SIGNATURES:
        if data.startswith(signature):
            return [Problem(f"this is not a CSV file: it looks like {kind}. {SAVE_AS_CSV_HINT}", name)]
    if b"\x00" in data[:_SNIFF_BYTES]:
        return [Problem(f"this is not a CSV file: it contains binary data. {SAVE_AS_CSV_HINT}", name)]
    # Every record ends at a line break, so the line count bounds the row count; count exactly only above it.
    if data.count(b"\n") > MAX_UPLOAD_ROWS:
        rows = _count_records(data)
        if rows > MAX_UPLOAD_ROWS:
            return [Problem(f"the file has {rows:,} rows; the limit is {MAX_UPLOAD_ROWS:,}", name)]
    return []


def load_upload(data: bytes, name: str) -> Upload:
    """Check and load an uploaded CSV; raises FindingsError listing every problem found."""
    name = display_name(name)
    problems = _precheck(data, name)
    if problems:
        raise FindingsError(problems)
    result = read_findings(data, name=name)
    result.frame.attrs["warnings"] = [str(w) for w in result.warnings]
    return Upload(name, digest(data), result.frame, tuple(result.warnings))


def clashes(bundled: pd.DataFrame, upload: Upload) -> FindingsError | None:
    """The uploaded finding_ids the bundled data already uses, as one error (None if none).

    The loaded table no longer knows spreadsheet row numbers (blank lines are dropped), so each problem
    names the finding_id, which is unique within the file, instead of a possibly wrong row.
    """
    ids = upload.frame["finding_id"]
    clashing = ids[ids.isin(bundled["finding_id"])]
    if clashing.empty:
        return None
    problems = [
        Problem(
            "finding_id is already used by the bundled findings",
            upload.name,
            column="finding_id",
            value=value,
            allowed="an identifier the bundled findings do not use (or explore your upload alone)",
        )
        for value in clashing.iloc[:MAX_PROBLEMS]
    ]
    return FindingsError(problems, total=len(clashing))


def combine(bundled: pd.DataFrame, upload: Upload) -> pd.DataFrame:
    """Bundled rows followed by the uploaded ones; raises FindingsError when finding_ids clash."""
    error = clashes(bundled, upload)
    if error is not None:
        raise error
    combined = pd.concat([bundled, upload.frame], ignore_index=True)
    # Extra columns exist on one side only; text columns never hold missing values.
    for column in combined.columns.difference(bundled.columns.intersection(upload.frame.columns)):
        combined[column] = combined[column].fillna("")
    combined.attrs = {
        "source": f"{display_name(bundled.attrs.get('source', ''))} + {upload.name}",
        "warnings": list(bundled.attrs.get("warnings", [])) + list(upload.frame.attrs.get("warnings", [])),
    }
    return combined


@dataclass(frozen=True, eq=False)
class Selection:
    """What one session explores; `frame` is None for the bundled findings, which are read afresh every run."""

    choice: DataChoice = DataChoice.BUNDLED
    upload: Upload | None = None
    frame: pd.DataFrame | None = None


def select(
    current: Selection, choice: DataChoice, bundled: pd.DataFrame, file: tuple[bytes, str] | None = None
) -> Selection:
    """The selection after choosing what to explore, loading `file` (bytes, name) if it is new.

    Everything is built before anything is returned, and any problem raises FindingsError, so the caller
    keeps `current` untouched on failure. Going back to the bundled findings always works and keeps the
    upload for later.
    """
    if choice is DataChoice.BUNDLED:
        return Selection(choice, current.upload)
    candidate = current.upload
    if file is not None and (candidate is None or digest(file[0]) != candidate.digest):
        candidate = load_upload(*file)
    if candidate is None:
        raise FindingsError([Problem("no file has been uploaded yet: choose a CSV file first")])
    frame = candidate.frame if choice is DataChoice.UPLOADED else combine(bundled, candidate)
    return Selection(choice, candidate, frame)


def template_csv() -> bytes:
    """A findings CSV with the schema's header and one example row, UTF-8 with a byte-order mark for Excel."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(schema.COLUMN_NAMES)
    writer.writerow([schema.EXAMPLE_FINDING[name] for name in schema.COLUMN_NAMES])
    return buffer.getvalue().encode("utf-8-sig")
