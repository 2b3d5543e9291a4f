"""Problems found in a file: where each is (file, spreadsheet row, column), what is wrong, what is allowed; and the
error that carries them all."""

from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd
import pyarrow as pa

from kviz import schema
from kviz.schema import Problem

# Above this many problems the rest are only counted: a garbage file must not produce a million messages.
MAX_PROBLEMS = 200
HEADER_ROW = 1
# The columns of a problems table: each Problem field and its heading, where first, what is wrong last.
PROBLEM_LABELS: dict[str, str] = {
    "file": "File", "row": "Row", "column": "Column", "value": "Value", "allowed": "Allowed", "message": "Problem",
}


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


def _reading_order(spec: schema.TableSpec) -> Callable[[Problem], tuple[int, int]]:
    order = {name: i for i, name in enumerate(spec.names)}
    return lambda problem: (problem.row or 0, order.get(problem.column, -1))


class ProblemLog:
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
        self.items.append(Problem(message, self.file, row, column, shorten(value), allowed))
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
            self.items.append(Problem(text, self.file, row, column, shorten(raw[position].as_py()), allowed))
        self._prune()

    def _prune(self) -> None:
        if len(self.items) > 4 * MAX_PROBLEMS:
            self.items = sorted(self.items, key=self._order)[:MAX_PROBLEMS]

    def raise_if_any(self) -> None:
        if self.total:
            raise FindingsError(sorted(self.items, key=self._order)[:MAX_PROBLEMS], self.total)


def shorten(value: object, limit: int = 80) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
