"""Small findings CSVs for upload tests: valid rows built from the schema's example, with chosen changes."""

from __future__ import annotations

import csv
import io

from kviz import schema

# Hostile text of every kind a page could mis-render or a spreadsheet could run.
HOSTILE_TEXTS: tuple[str, ...] = (
    "<script>alert('x')</script>",
    "<img src=x onerror=alert(1)>",
    "javascript:alert(document.cookie)",
    "[click me](https://evil.example/phish)",
    "=HYPERLINK(\"https://evil.example\",\"open\")",
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A2)",
)
TEXT_COLUMNS: tuple[str, ...] = tuple(c.name for c in schema.COLUMNS if c.kind == "text")


def row(index: int, **changes: str) -> dict[str, str]:
    """The schema's example row with unique ids (`up-<index>`) and the given column values."""
    values = dict(schema.EXAMPLE_FINDING, finding_id=f"up-{index}", study_id=f"up-study-{index}")
    values.update(changes)
    return values


def findings_csv(rows: list[dict[str, str]], columns: tuple[str, ...] = schema.COLUMN_NAMES) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def valid_csv(n_rows: int, prefix: str = "up") -> bytes:
    return findings_csv([row(i, finding_id=f"{prefix}-{i}", study_id=f"{prefix}-study-{i}") for i in range(n_rows)])


def hostile_csv() -> bytes:
    """One row per hostile string, placed in every text column at once."""
    return findings_csv([row(i, **{column: text for column in TEXT_COLUMNS}) for i, text in enumerate(HOSTILE_TEXTS)])
