"""The search behind the bundled findings: its records (data/screening.csv), how they trace to findings, its flow.

Every record considered in the search is a row of the screening file: included records name the `study_id` of
their findings, excluded ones give a reason. The flow the About page draws (records considered → excluded by
reason → included publications → findings) is counted here from the two files, never typed by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from kviz import loader, schema
from kviz.schema import Problem

SCREENING_FILE_NAME = "screening.csv"
DEFAULT_SCREENING_PATH = loader.DEFAULT_DATA_PATH.with_name(SCREENING_FILE_NAME)


def screening_path_for(findings_path: str | Path) -> Path:
    """The screening file that belongs to a findings file: screening.csv in the same folder."""
    return Path(findings_path).with_name(SCREENING_FILE_NAME)


def load_screening(source: loader.Source = DEFAULT_SCREENING_PATH, name: str | None = None) -> pd.DataFrame:
    """The typed screening records; raises FindingsError listing every problem (file, row, column)."""
    records = loader.read_table(source, schema.SCREENING, name).frame
    problems = _decision_problems(records)
    if problems:
        raise loader.FindingsError(problems)
    return records


def _decision_problems(records: pd.DataFrame) -> list[Problem]:
    """An included record names its study and gives no reason; an excluded one gives a reason."""
    file = records.attrs.get("source", "")
    included = records["decision"].eq("included").to_numpy()
    problems = []
    for position in range(len(records)):
        row = _row(position)
        record = records.iloc[position]
        if included[position] and not record["study_id"]:
            problems.append(Problem("an included record names the study_id of its findings", file, row, "study_id"))
        if included[position] and pd.notna(record["reason"]):
            problems.append(Problem("an included record has no reason for exclusion", file, row, "reason",
                                    str(record["reason"])))
        if not included[position] and pd.isna(record["reason"]):
            problems.append(Problem("an excluded record says why", file, row, "reason",
                                    allowed=", ".join(schema.EXCLUSION_REASON.codes)))
    return problems


def trace_problems(records: pd.DataFrame, findings: pd.DataFrame) -> list[Problem]:
    """Where the two files disagree: an included record without findings, a finding whose study no record names."""
    records_file, findings_file = records.attrs.get("source", ""), findings.attrs.get("source", "")
    included = records["decision"].eq("included").to_numpy()
    studies = set(findings["study_id"])
    problems = [
        Problem(f"included record has no finding with study_id '{study}'", records_file, _row(position), "study_id", study)
        for position, study in enumerate(records["study_id"])
        if included[position] and study not in studies
    ]
    traced = set(records.loc[included, "study_id"])
    problems += [
        Problem("no included record of the screening file names this study", findings_file, _row(position), "study_id",
                study)
        for position, study in enumerate(findings["study_id"])
        if study not in traced
    ]
    return problems


def _row(position: int) -> int:
    """The spreadsheet row of a body row (exact unless the file had blank lines, which the loader skips)."""
    return position + 1 + loader.HEADER_ROW


@dataclass(frozen=True)
class Flow:
    """The counts of the search flow, each derived from the two files."""

    by_source: dict[str, int]  # records considered, per RECORD_SOURCE label
    excluded: dict[str, int]  # excluded records, per EXCLUSION_REASON label (reasons that occur, in schema order)
    included: dict[str, int]  # included records, per RECORD_SOURCE label
    untraced_publications: int  # included seed claims that no study could be traced to
    included_records: int
    publications: int  # distinct study_ids of the findings
    findings: int

    @property
    def considered(self) -> int:
        return sum(self.by_source.values())

    @property
    def excluded_total(self) -> int:
        return sum(self.excluded.values())


def flow(records: pd.DataFrame, findings: pd.DataFrame) -> Flow:
    """Records considered → excluded by reason → included → publications and findings in the table."""
    by_source = records["found_via"].value_counts(sort=False)
    is_included = records["decision"] == "included"
    excluded = records.loc[~is_included, "reason"].value_counts(sort=False)
    included = records.loc[is_included, "found_via"].value_counts(sort=False)
    untraced = findings.loc[findings["source_match"] == schema.UNTRACED, "study_id"]
    return Flow(
        by_source={schema.RECORD_SOURCE.label(code): int(n) for code, n in by_source.items() if n},
        excluded={schema.EXCLUSION_REASON.label(code): int(n) for code, n in excluded.items() if n},
        included={schema.RECORD_SOURCE.label(code): int(n) for code, n in included.items() if n},
        untraced_publications=int(untraced.nunique()),
        included_records=int((records["decision"] == "included").sum()),
        publications=int(findings["study_id"].nunique()),
        findings=len(findings),
    )
