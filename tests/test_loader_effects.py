"""The columns added with the evidence base: numeric results checked across columns, files written before them still
load (the new columns empty), and the first d3 codes read as today's with a warning."""

from __future__ import annotations

import pytest

from kviz import schema
from kviz.loader import FindingsError, read_findings

from conftest import build_csv

FILE = "bad.csv"
RESULT = {"measure": "RR", "estimate": "0.45", "ci_low": "0.20", "ci_high": "0.98"}


def problems(rows: list[dict[str, str]]) -> list[tuple[int | None, str, str]]:
    with pytest.raises(FindingsError) as caught:
        read_findings(build_csv(rows).encode(), name=FILE)
    return [(p.row, p.column, p.message) for p in caught.value.problems]


def test_a_complete_result_loads_as_numbers_and_codes():
    frame = read_findings(build_csv([{**RESULT, "contrast": "low_vs_high", "unit": "", "events_k": "9",
                                      "n_k": "220", "events_control": "20", "n_control": "220"}]).encode()).frame
    row = frame.iloc[0]
    assert (row["measure"], row["estimate"], row["ci_low"], row["ci_high"]) == ("RR", 0.45, 0.2, 0.98)
    assert row["contrast"] == "low_vs_high" and row["events_control"] == 20


def test_differences_may_be_negative_but_counts_may_not():
    frame = read_findings(build_csv([{"measure": "MD", "estimate": "-0.06", "ci_low": "-0.67", "ci_high": "0.54"}])
                          .encode()).frame
    assert frame.at[0, "estimate"] == -0.06
    assert problems([{"events_k": "-1"}]) == [(2, "events_k", "must not be negative")]


@pytest.mark.parametrize("changes, column, message", [
    ({"measure": ""}, "measure", "an estimate needs its measure"),
    ({"ci_high": ""}, "ci_high", "the 95% CI needs both ends"),
    ({"ci_low": ""}, "ci_low", "the 95% CI needs both ends"),
    ({"ci_low": "1.2", "ci_high": "0.9", "estimate": "1.0"}, "ci_low", "the lower end of the CI is above the upper end"),
    ({"estimate": "1.45"}, "estimate", "the estimate lies outside its 95% CI"),
    ({"estimate": "0", "ci_low": "0"}, "estimate", "a ratio must be above 0"),
])
def test_inconsistent_results_are_located(changes, column, message):
    found = problems([{}, {**RESULT, **changes}])
    assert (3, column, message) in found


def test_more_events_than_people_in_an_arm_is_a_problem():
    assert problems([{"events_control": "30", "n_control": "20"}]) == [
        (2, "events_control", "more events than people in the arm (n_control)")]


def test_unknown_codes_of_new_columns_list_the_allowed_ones():
    with pytest.raises(FindingsError) as caught:
        read_findings(build_csv([{"integrity": "dubious"}]).encode(), name=FILE)
    problem = caught.value.problems[0]
    assert (problem.row, problem.column) == (2, "integrity")
    assert problem.allowed == ", ".join(schema.INTEGRITY.codes)


def test_a_file_written_for_the_first_columns_loads_with_the_new_columns_empty():
    old_columns = [c.name for c in schema.COLUMNS if c.in_every_file]
    assert "evidence_url" not in old_columns and "estimate" not in old_columns
    result = read_findings(build_csv([{"d3": "without_d3"}], columns=old_columns).encode(), name="old.csv")
    frame = result.frame
    assert list(frame.columns[: len(schema.COLUMN_NAMES)]) == list(schema.COLUMN_NAMES)
    assert frame.at[0, "evidence_url"] == "" and frame["estimate"].isna().all() and frame["integrity"].isna().all()
    assert result.warnings == []


def test_a_file_without_a_required_column_is_refused():
    columns = [c.name for c in schema.COLUMNS if c.in_every_file and c.name != "outcome"]
    with pytest.raises(FindingsError, match="missing required column: outcome"):
        read_findings(build_csv([{}], columns=columns).encode(), name=FILE)


def test_the_first_d3_codes_are_read_as_todays_with_a_warning():
    rows = [
        {"d3": "yes", "design": "rct", "k_form": "MK-7"},
        {"d3": "yes", "design": "rct", "k_form": "none"},
        {"d3": "yes", "design": "observational", "k_form": "K1"},
        {"d3": "no", "design": "rct", "k_form": "K1"},
        {"d3": "no", "design": "cohort", "k_form": "K1"},
        {"d3": "not_reported"},
    ]
    result = read_findings(build_csv(rows).encode(), name="old.csv")
    assert list(result.frame["d3"]) == ["with_d3", "d3_only", "k_and_d_status", "without_d3", "not_reported",
                                        "not_reported"]
    [warning] = result.warnings
    assert warning.column == "d3" and "old codes yes / no in 5 rows" in warning.message
    assert "yes → d3_only (1)" in warning.message and "no → without_d3 (1)" in warning.message
