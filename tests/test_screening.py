"""The search records: they load and are checked like findings, they trace to the findings and back, and the flow
the About page draws is counted from them."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from kviz import loader, schema, screening
from kviz.loader import FindingsError

HEADER = ",".join(schema.SCREENING.names)


def records_csv(*rows: str) -> io.StringIO:
    return io.StringIO("\n".join([HEADER, *rows]) + "\n")


def findings_with(study_ids: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"study_id": study_ids, "source_match": ["identified"] * len(study_ids),
                         "finding_id": [f"{s}-x" for s in study_ids]})


INCLUDED = "rec-a,A trial of vitamin K,2010,10.1000/a,https://example.org/a,search,included,,study-a,"
EXCLUDED = "rec-b,A rat study,2011,,https://example.org/b,search,excluded,not_human,,"
SEED = "rec-c,A seed claim,,,,seed,included,,study-c,"


def test_the_bundled_records_load_and_trace_to_the_bundled_findings():
    records = screening.load_screening()
    findings = loader.load_findings()
    assert set(records["decision"]) == {"included", "excluded"}
    assert screening.trace_problems(records, findings) == []


def test_records_are_checked_like_findings_with_row_column_and_allowed_values():
    bad = "rec-d,A study,20x,not-a-doi,http://insecure.example,search,maybe,,,"
    with pytest.raises(FindingsError) as raised:
        screening.load_screening(records_csv(INCLUDED, bad), name="screening.csv")
    located = {(p.row, p.column) for p in raised.value.problems}
    assert {(3, "year"), (3, "doi"), (3, "url"), (3, "decision")} <= located
    assert all(p.file == "screening.csv" for p in raised.value.problems)


@pytest.mark.parametrize("row, column", [
    ("rec-e,Included without a study,2010,,,search,included,,,", "study_id"),
    ("rec-f,Included with a reason,2010,,,search,included,duplicate,study-f,", "reason"),
    ("rec-g,Excluded without a reason,2010,,,search,excluded,,,", "reason"),
])
def test_a_decision_needs_what_goes_with_it(row, column):
    with pytest.raises(FindingsError) as raised:
        screening.load_screening(records_csv(row))
    assert [(p.row, p.column) for p in raised.value.problems] == [(2, column)]


def test_record_ids_are_unique():
    with pytest.raises(FindingsError, match="duplicate record_id"):
        screening.load_screening(records_csv(INCLUDED, INCLUDED))


def test_trace_problems_name_included_records_without_findings_and_findings_without_a_record():
    records = screening.load_screening(records_csv(INCLUDED, EXCLUDED, SEED), name="screening.csv")
    findings = findings_with(["study-a", "study-z"])
    findings.attrs["source"] = "findings.csv"
    problems = screening.trace_problems(records, findings)
    assert [(p.file, p.row, p.value) for p in problems] == [("screening.csv", 4, "study-c"), ("findings.csv", 3, "study-z")]


def test_the_flow_counts_records_exclusions_and_findings():
    records = screening.load_screening(records_csv(INCLUDED, EXCLUDED, SEED))
    findings = findings_with(["study-a", "study-a", "study-c"])
    findings.loc[2, "source_match"] = schema.UNTRACED
    flow = screening.flow(records, findings)
    assert flow.considered == 3 and flow.excluded_total == 1
    assert flow.by_source == {"Seed document": 1, "Database search": 2}
    assert flow.excluded == {schema.EXCLUSION_REASON.label("not_human"): 1}
    assert flow.included == {"Seed document": 1, "Database search": 1}
    assert (flow.included_records, flow.publications, flow.findings, flow.untraced_publications) == (2, 2, 3, 1)


def test_the_screening_file_belongs_to_its_findings_file(tmp_path):
    assert screening.screening_path_for(tmp_path / "findings.csv") == tmp_path / "screening.csv"
