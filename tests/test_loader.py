"""kviz.loader: the typed table from a valid file, and one clear error listing every problem of a bad one."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kviz import schema
from kviz.loader import (
    FORMULA_CHARACTERS,
    MAX_PROBLEMS,
    NEUTRALISING_PREFIX,
    PROBLEM_LABELS,
    FindingsError,
    problems_table,
    LoadResult,
    load_findings,
    read_findings,
    source_name,
    summary_line,
)
from kviz.schema import Problem

from conftest import BASE_ROW, VARIED_ROWS, build_csv

FILE = "bad.csv"
TEXT_COLUMNS = [c.name for c in schema.COLUMNS if c.kind == "text"]


def problems_of(source, name: str | None = FILE) -> FindingsError:
    """The error a bad source raises (fails the test if it loads)."""
    with pytest.raises(FindingsError) as caught:
        read_findings(source, name=name)
    return caught.value


def only_problem(source, name: str | None = FILE) -> Problem:
    error = problems_of(source, name)
    assert len(error.problems) == 1, str(error)
    return error.problems[0]


def assert_located(problem: Problem, row: int | None, column: str, *fragments: str, file: str = FILE) -> None:
    """The problem and its message name the file, the spreadsheet row and the column."""
    text = str(problem)
    assert (problem.file, problem.row, problem.column) == (file, row, column), text
    assert file in text
    if row is not None:
        assert f"row {row}" in text
    if column:
        assert f"column '{column}'" in text
    for fragment in fragments:
        assert fragment in text, text


def one_bad_cell(column: str, value: str, row: int = 3) -> str:
    """Three rows, the cell (row, column) bad; row numbers as a spreadsheet shows them (header = 1)."""
    rows: list[dict[str, str]] = [{}, {}, {}]
    rows[row - 2] = {column: value}
    return build_csv(rows)


# --- the shared fixtures are themselves valid and complete ---------------------------------------------------

def test_base_row_covers_every_schema_column():
    assert list(BASE_ROW) == list(schema.COLUMN_NAMES)


def test_varied_rows_cover_every_value_of_the_filter_vocabularies(typed_frame):
    for column in ("k_form", "d3", "direction", "source_match", "source"):
        assert set(typed_frame[column]) == set(schema.VOCABULARIES[column].codes), column
    assert len(typed_frame) == len(VARIED_ROWS) == 12
    assert summary_line(typed_frame) == "12 findings from 11 publications"


# --- a valid file gives the typed frame of the contract ------------------------------------------------------

def test_columns_are_schema_columns_then_derived(typed_frame):
    assert list(typed_frame.columns) == list(schema.COLUMN_NAMES) + list(schema.DERIVED_COLUMNS)
    assert isinstance(typed_frame.index, pd.RangeIndex) and typed_frame.index[0] == 0


@pytest.mark.parametrize("column", list(schema.VOCABULARIES))
def test_categorical_columns_are_ordered_in_schema_order(typed_frame, column):
    dtype = typed_frame[column].dtype
    assert isinstance(dtype, pd.CategoricalDtype) and dtype.ordered
    assert list(dtype.categories) == schema.VOCABULARIES[column].codes


def test_numbers_are_nullable_and_typed(typed_frame):
    assert typed_frame["n_participants"].dtype == schema.INT_DTYPE
    assert typed_frame["dose_ug_per_day"].dtype == schema.FLOAT_DTYPE
    assert typed_frame["duration_months"].dtype == schema.FLOAT_DTYPE
    by_id = typed_frame.set_index("finding_id")
    assert by_id.at["mk4-fracture-2006", "n_participants"] == 7000
    assert by_id.at["mk4-fracture-2006", "dose_ug_per_day"] == 45000.0
    assert pd.isna(by_id.at["mk4-fracture-2006", "duration_months"])
    assert pd.isna(by_id.at["mixed-muscle-2022", "n_participants"])


def test_dates_become_first_of_month_or_year_and_year(typed_frame):
    assert pd.api.types.is_datetime64_any_dtype(typed_frame[schema.PUBLISHED_DATE])
    assert typed_frame[schema.YEAR].dtype == schema.INT_DTYPE
    by_id = typed_frame.set_index("finding_id")
    assert by_id.at["mk7-bmd-2013", schema.PUBLISHED_DATE] == pd.Timestamp("2013-09-01")
    assert by_id.at["mk4-fracture-2006", schema.PUBLISHED_DATE] == pd.Timestamp("2006-01-01")
    assert by_id.at["mk4-fracture-2006", schema.YEAR] == 2006
    assert by_id.at["review-2015", "published"] == ""
    assert pd.isna(by_id.at["review-2015", schema.PUBLISHED_DATE])
    assert pd.isna(by_id.at["review-2015", schema.YEAR])


def test_text_columns_are_strings_with_empty_for_missing(typed_frame):
    for column in TEXT_COLUMNS + ["finding_id", "study_id", "published", "doi", "url"]:
        values = typed_frame[column]
        assert not values.isna().any(), column
        assert all(isinstance(v, str) for v in values), column
    assert typed_frame.set_index("finding_id").at["covid-claim", "doi"] == ""


def test_load_findings_attaches_warnings_and_source(typed_frame):
    assert typed_frame.attrs["warnings"] == []
    assert typed_frame.attrs["source"] == "varied.csv"


def test_read_findings_returns_frame_and_warnings(findings_csv_text):
    result = read_findings(findings_csv_text.encode())
    assert isinstance(result, LoadResult)
    assert result.warnings == [] and len(result.frame) == 12


def test_header_only_file_is_an_empty_typed_table():
    frame = load_findings(build_csv([]).encode())
    assert len(frame) == 0
    assert list(frame.columns) == list(schema.COLUMN_NAMES) + list(schema.DERIVED_COLUMNS)
    assert frame["n_participants"].dtype == schema.INT_DTYPE
    assert summary_line(frame) == "0 findings from 0 publications"


def test_codes_ids_and_numbers_are_trimmed_but_text_is_not(make_csv):
    text = make_csv([{"design": " rct ", "finding_id": " a-1 ", "n_participants": " 12 ", "notes": "  spaced "}])
    row = load_findings(text.encode()).iloc[0]
    assert (row["design"], row["finding_id"], row["n_participants"], row["notes"]) == ("rct", "a-1", 12, "  spaced ")


def test_whole_numbers_written_with_decimals_or_sign_are_accepted(make_csv):
    frame = load_findings(make_csv([{"n_participants": "12.0"}, {"n_participants": "+7"}, {"n_participants": "1e3"}]).encode())
    assert frame["n_participants"].tolist() == [12, 7, 1000]


def test_fractional_dose_and_duration_are_kept(make_csv):
    row = load_findings(make_csv([{"dose_ug_per_day": "0.5", "duration_months": "1.5"}]).encode()).iloc[0]
    assert (row["dose_ug_per_day"], row["duration_months"]) == (0.5, 1.5)


# --- sources: paths, file-likes, bytes; encodings and line endings -------------------------------------------

def test_path_and_str_path_load_and_name_the_file(tmp_path, findings_csv_text):
    path = tmp_path / "findings.csv"
    path.write_text(findings_csv_text, encoding="utf-8")
    assert len(load_findings(path)) == len(load_findings(str(path))) == 12
    assert load_findings(path).attrs["source"] == str(path)


def test_bytesio_with_name_is_named_by_its_file_name(findings_csv_text, make_csv):
    upload = io.BytesIO(make_csv([{"design": "nope"}]).encode())
    upload.name = "/home/user/uploads/mine.csv"
    assert source_name(upload) == "mine.csv"
    assert only_problem(upload, name=None).file == "mine.csv"


def test_file_likes_and_bytes_load(findings_csv_text):
    assert len(load_findings(io.StringIO(findings_csv_text))) == 12
    assert len(load_findings(io.BytesIO(findings_csv_text.encode()))) == 12
    assert len(load_findings(findings_csv_text.encode())) == 12
    assert source_name(io.StringIO("")) == source_name(b"") == "uploaded file"


def test_file_like_already_read_still_loads_whole_content(findings_csv_text):
    upload = io.BytesIO(findings_csv_text.encode())
    upload.read()
    assert len(load_findings(upload)) == 12


def test_utf8_byte_order_mark_is_accepted(findings_csv_text):
    frame = load_findings(b"\xef\xbb\xbf" + findings_csv_text.encode())
    assert list(frame.columns)[0] == "finding_id" and len(frame) == 12
    assert len(load_findings(io.StringIO("\ufeff" + findings_csv_text))) == 12


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_windows_and_old_mac_line_endings_load(findings_csv_text, newline):
    assert len(load_findings(findings_csv_text.replace("\n", newline).encode())) == 12


def test_non_ascii_text_round_trips(make_csv):
    row = load_findings(make_csv([{"effect_size": "OR 0.72 (0.55–0.95)", "population": "Frauen ≥ 65, Zürich"}]).encode())
    assert row.iloc[0]["effect_size"] == "OR 0.72 (0.55–0.95)"
    assert row.iloc[0]["population"] == "Frauen ≥ 65, Zürich"


def test_quoted_cells_with_commas_quotes_and_newlines_load(make_csv):
    notes = 'Line one, with a comma\nline two with "quotes"'
    frame = load_findings(make_csv([{"notes": notes}, {}]).encode())
    assert frame.iloc[0]["notes"] == notes and len(frame) == 2


def test_blank_lines_are_ignored_but_rows_keep_spreadsheet_numbers(make_csv):
    lines = make_csv([{}, {}, {"design": "nope"}]).splitlines()
    text = "\n".join(lines[:2] + ["", ",,,"] + lines[2:]) + "\n\n"
    # header 1, row 2, blank 3, empty cells 4, rows 5 and 6: the bad design is in spreadsheet row 6
    assert_located(only_problem(text.encode()), 6, "design", "unknown value")


def test_rows_after_a_multiline_cell_keep_spreadsheet_numbers(make_csv):
    text = make_csv([{"notes": "a\nb\nc"}, {"doi": "nope"}])
    assert_located(only_problem(text.encode()), 3, "doi")


# --- each class of bad input: one error, located by file, row and column -------------------------------------

def test_missing_file_is_reported_by_name(tmp_path):
    path = tmp_path / "nowhere.csv"
    problem = only_problem(path, name=None)
    assert problem.file == str(path) and "not found" in str(problem) and str(path) in str(problem)


def test_directory_is_not_a_file(tmp_path):
    assert "not a file" in str(only_problem(tmp_path, name=None))


@pytest.mark.parametrize("data", [b"", b"   ", b"\n\n", b" \t\r\n  \n", "\ufeff".encode()], ids=repr)
def test_empty_or_whitespace_file(data):
    problem = only_problem(data)
    assert problem.file == FILE and "empty" in str(problem)


def test_latin1_file_is_not_utf8_and_the_cell_is_located(make_csv):
    data = make_csv([{}, {"population": "MARK"}]).encode().replace(b"MARK", "Frauen in München".encode("latin-1"))
    assert_located(only_problem(data), 3, "population", "not UTF-8", "CSV UTF-8")


def test_bad_bytes_in_the_header_are_located_on_row_1():
    data = b"finding_id,stud\xff_id\n"
    assert_located(only_problem(data), 1, "", "not UTF-8")


@pytest.mark.parametrize("delimiter, word", [(";", "semicolons"), ("\t", "tabs")])
def test_wrong_delimiter_is_named(make_csv, delimiter, word):
    text = make_csv([{"notes": "has, a comma"}, {}]).replace(",", delimiter)
    problem = only_problem(text.encode())
    assert_located(problem, 1, "", "missing required columns", word, "comma-separated")


def test_missing_required_column_is_named_and_other_rows_still_checked(make_csv):
    columns = [c for c in schema.COLUMN_NAMES if c != "design"]
    text = make_csv([{}, {"doi": "nope"}], columns=columns)
    header, bad_doi = problems_of(text.encode()).problems
    assert_located(header, 1, "", "missing required column: design")
    assert_located(bad_doi, 3, "doi", "not a bare DOI")


def test_duplicated_column_is_a_problem(make_csv):
    text = make_csv([{}], columns=list(schema.COLUMN_NAMES) + ["design"])
    assert_located(only_problem(text.encode()), 1, "design", "appears 2 times")


@pytest.mark.parametrize("reserved", list(schema.DERIVED_COLUMNS))
def test_extra_column_with_a_derived_name_is_a_problem(make_csv, reserved):
    assert_located(only_problem(make_csv([{reserved: "1999"}]).encode()), 1, reserved, "reserved")


def test_ragged_rows_are_all_reported(make_csv):
    lines = make_csv([{}, {}, {}, {}]).splitlines()
    lines[2] += ",surplus"  # row 3: one field too many
    lines[4] = lines[4].rsplit(",", 2)[0]  # row 5: two fields too few
    error = problems_of("\n".join(lines).encode())
    assert [(p.row, p.column) for p in error.problems] == [(3, ""), (5, "")]
    columns = len(schema.COLUMN_NAMES)
    assert f"{columns + 1} fields but the header has {columns}" in str(error.problems[0])
    assert f"{columns - 2} fields but the header has {columns}" in str(error.problems[1])


@pytest.mark.parametrize("ragged", ["short", "long"])
def test_a_ragged_row_does_not_hide_the_problems_of_the_other_rows(make_csv, ragged):
    lines = make_csv([{"design": "ecological"}, {}, {}, {"k_form": "K9"}]).splitlines()
    lines[3] = lines[3].rsplit(",", 2)[0] if ragged == "short" else lines[3] + ",surplus"  # row 4
    error = problems_of("\n".join(lines).encode())
    assert error.total == len(error.problems) == 3, str(error)
    first, structure, last = error.problems
    assert_located(first, 2, "design", "unknown value", "ecological")
    assert_located(structure, 4, "", "fields but the header has", "missing comma" if ragged == "short" else "unquoted comma")
    assert_located(last, 5, "k_form", "unknown value", "K9")


def test_rows_after_a_ragged_row_keep_their_spreadsheet_numbers_in_duplicate_ids(make_csv):
    lines = make_csv([{"finding_id": "same"}, {}, {"finding_id": "same"}]).splitlines()
    lines[2] += ",surplus"  # row 3
    structure, duplicate = problems_of("\n".join(lines).encode()).problems
    assert structure.row == 3
    assert_located(duplicate, 4, "finding_id", "already used in row 2")


def test_one_surplus_field_on_every_row_is_not_taken_as_an_index(make_csv):
    # pandas would read a header one field short as "first column is the index" and shift every value
    text = "\n".join(line + "," if number else line for number, line in enumerate(make_csv([{}, {}]).splitlines()))
    error = problems_of(text.encode())
    assert [p.row for p in error.problems] == [2, 3]


def test_unclosed_quote_is_reported(make_csv):
    population = BASE_ROW["population"]
    text = make_csv([{}, {}]).replace(f",{population},", f',"{population},', 1)
    assert f',"{population},' in text
    problem = problems_of(text.encode()).problems[0]
    assert problem.row == 2 and "quote" in str(problem)


def test_unnamed_empty_columns_from_trailing_commas_are_dropped_with_a_warning(make_csv):
    text = "\n".join(line + "," for line in make_csv([{}, {}]).splitlines())
    result = read_findings(text.encode())
    assert list(result.frame.columns) == list(schema.COLUMN_NAMES) + list(schema.DERIVED_COLUMNS)
    assert len(result.warnings) == 1 and "no name" in str(result.warnings[0])


def test_unnamed_column_with_values_is_a_problem(make_csv):
    header, row = make_csv([{}]).splitlines()
    text = f"{header},\n{row},x\n"
    assert_located(only_problem(text.encode()), 1, "", "no name")


@pytest.mark.parametrize("column", list(schema.VOCABULARIES))
def test_unknown_category_in_each_categorical_column(column):
    problem = only_problem(one_bad_cell(column, "bogus").encode())
    assert_located(problem, 3, column, "unknown value", "'bogus'", *schema.VOCABULARIES[column].codes)


def test_category_codes_are_case_sensitive():
    assert_located(only_problem(one_bad_cell("design", "RCT").encode()), 3, "design", "unknown value")


@pytest.mark.parametrize("column", [c.name for c in schema.COLUMNS if c.required])
def test_required_value_missing(column):
    assert_located(only_problem(one_bad_cell(column, "  ").encode()), 3, column, "required")


@pytest.mark.parametrize("value", ["2019-13", "2019-00", "19-05", "2019/05", "1700", "1700-01", "2019-5",
                                   "May 2019", "2019-05-01", "20190", "２０１９"])
def test_bad_dates(value):
    assert_located(only_problem(one_bad_cell("published", value).encode()), 3, "published",
                   "not a valid publication date", repr(value), "YYYY-MM")


@pytest.mark.parametrize("column, value, message", [
    ("n_participants", "abc", "not a number"),
    ("n_participants", "12 people", "not a number"),
    ("dose_ug_per_day", "1,5", "not a number"),
    ("dose_ug_per_day", "180µg", "not a number"),
    ("duration_months", "nan", "not a number"),
    ("duration_months", "inf", "not a number"),
    ("dose_ug_per_day", "1e999", "not a number"),
    ("n_participants", "١٢", "not a number"),
    ("n_participants", "-3", "must not be negative"),
    ("dose_ug_per_day", "-0.5", "must not be negative"),
    ("duration_months", "-12", "must not be negative"),
    ("n_participants", "12.5", "not a whole number"),
    ("n_participants", "0.1", "not a whole number"),
    ("n_participants", "1e30", "too large"),
])
def test_bad_numbers(column, value, message):
    assert_located(only_problem(one_bad_cell(column, value).encode()), 3, column, message, repr(value))


def test_duplicate_finding_id_names_the_first_row():
    text = build_csv([{"finding_id": "same"}, {}, {"finding_id": "same"}, {"finding_id": "same"}])
    error = problems_of(text.encode())
    assert [p.row for p in error.problems] == [4, 5]
    for problem in error.problems:
        assert_located(problem, problem.row, "finding_id", "duplicate finding_id", "row 2", "'same'")


def test_duplicate_finding_id_ignores_surrounding_spaces():
    error = problems_of(build_csv([{"finding_id": "same"}, {"finding_id": " same "}]).encode())
    assert [(p.row, p.column) for p in error.problems] == [(3, "finding_id")]


@pytest.mark.parametrize("value", ["BAD ID", "Upper", "-leading-dash", "ümlaut", "a/b"])
def test_bad_identifier(value):
    assert_located(only_problem(one_bad_cell("study_id", value).encode()), 3, "study_id", "not a valid identifier")


@pytest.mark.parametrize("value", ["http://example.org", "javascript:alert(1)", "JAVASCRIPT:alert(1)",
                                   "ftp://example.org/x", "https://", "https:///path", "https://exa mple.org",
                                   "www.example.org", "//example.org", "data:text/html,<b>x</b>",
                                   'https://example.org/"onmouseover="x', "https://example.org/<script>"])
def test_non_https_or_malformed_url(value):
    assert_located(only_problem(one_bad_cell("url", value).encode()), 3, "url", "https://", repr(value))


@pytest.mark.parametrize("value", ["https://example.org", "https://example.org/a?b=c#d", "https://x.org:8443/p",
                                   "https://de.wikipedia.org/wiki/Phyllochinon_(Vitamin_K1)",
                                   "https://pubmed.ncbi.nlm.nih.gov/12345678/"])
def test_good_urls(value):
    assert load_findings(one_bad_cell("url", value).encode())["url"].iloc[1] == value


@pytest.mark.parametrize("value", ["https://doi.org/10.1000/xyz", "doi:10.1000/xyz", "1000/xyz", "10.1000",
                                   "10.12/x", "10.1000/ spaced", "DOI 10.1000/xyz"])
def test_malformed_doi(value):
    assert_located(only_problem(one_bad_cell("doi", value).encode()), 3, "doi", "not a bare DOI", repr(value))


@pytest.mark.parametrize("value", ["10.1000/xyz", "10.1016/j.bone.2019.05.010", "10.1002/(SICI)1097-4636(199607)"])
def test_good_dois(value):
    assert load_findings(one_bad_cell("doi", value).encode())["doi"].iloc[1] == value


@pytest.mark.parametrize("value", ["", "   ", "\t"])
def test_empty_headline(value):
    assert_located(only_problem(one_bad_cell("headline", value).encode()), 3, "headline", "required")


def test_long_values_are_shortened_in_messages():
    problem = only_problem(one_bad_cell("design", "x" * 500).encode())
    assert len(problem.value) <= 80 and problem.value.endswith("…")


# --- every problem in one error ------------------------------------------------------------------------------

def test_all_problems_of_a_file_come_in_one_error_in_row_then_column_order():
    text = build_csv([
        {"finding_id": "dup"},
        {"design": "rtc", "doi": "https://doi.org/10.1/x"},
        {"finding_id": "dup", "published": "2019-13"},
        {"headline": "", "n_participants": "-1", "url": "http://example.org"},
        {"outcome": "bones"},
    ])
    error = problems_of(text.encode())
    located = [(p.row, p.column) for p in error.problems]
    assert located == [(3, "design"), (3, "doi"), (4, "finding_id"), (4, "published"), (5, "headline"),
                       (5, "n_participants"), (5, "url"), (6, "outcome")]
    assert error.total == len(error.problems) == 8
    message = str(error)
    assert message.startswith("8 problems found:")
    assert all(str(p) in message for p in error.problems)


def test_a_huge_number_of_problems_lists_the_first_ones_and_counts_all():
    bad_rows = MAX_PROBLEMS + 50
    text = build_csv([{"design": "bad", "k_form": "bad"} for _ in range(bad_rows)])
    error = problems_of(text.encode())
    assert error.total == 2 * bad_rows
    assert len(error.problems) == MAX_PROBLEMS
    assert error.problems[0].row == 2 and error.problems[-1].row == 2 + MAX_PROBLEMS // 2 - 1
    assert f"and {2 * bad_rows - MAX_PROBLEMS} more not listed" in str(error)


def test_findings_error_is_a_value_error_with_problems():
    error = problems_of(b"")
    assert isinstance(error, ValueError) and error.total == 1 and isinstance(error.problems[0], Problem)


def test_the_problems_table_has_one_labelled_row_per_problem_and_counts_the_rest():
    problem = Problem("unknown value", FILE, 3, "design", "rtc", "rct, trial")
    table = FindingsError([problem], total=3).table()
    assert list(table.columns) == list(PROBLEM_LABELS.values())
    assert table.iloc[0].tolist() == [FILE, 3, "design", "rtc", "rct, trial", "unknown value"]
    assert table.iloc[1].tolist()[2:] == ["", "", "", "… and 2 more problems not listed"]
    assert pd.isna(table.iloc[1][PROBLEM_LABELS["row"]])


def test_an_empty_problem_list_gives_an_empty_table_with_the_columns():
    table = problems_table([])
    assert table.empty and list(table.columns) == list(PROBLEM_LABELS.values())
    assert table[PROBLEM_LABELS["row"]].dtype == schema.INT_DTYPE


# --- extra columns --------------------------------------------------------------------------------------------

def test_unknown_extra_column_is_kept_and_reported_as_a_warning(make_csv):
    result = read_findings(make_csv([{"curator": "AB"}, {"curator": "'=1"}]).encode(), name="x.csv")
    assert result.frame["curator"].tolist() == ["AB", "=1"]
    assert list(result.frame.columns)[-3:] == ["curator", *schema.DERIVED_COLUMNS]
    (warning,) = result.warnings
    assert "curator" in str(warning) and warning.file == "x.csv" and warning.row == 1
    (attached,) = load_findings(make_csv([{"curator": "AB"}]).encode()).attrs["warnings"]
    assert "unknown column kept as extra: curator" in attached


def test_thousands_of_unknown_columns_give_one_short_warning_that_counts_them(make_csv):
    extra = [f"extra_{number:04d}_" + "x" * 60 for number in range(5000)]  # names longer than the note shows
    result = read_findings(make_csv([dict.fromkeys(extra, "v")]).encode(), name="wide.csv")
    assert result.frame.shape[1] == len(schema.COLUMN_NAMES) + len(extra) + len(schema.DERIVED_COLUMNS)
    (warning,) = result.warnings
    assert len(str(warning)) < 400, str(warning)
    assert warning.message.startswith("5,000 unknown columns kept as extra: extra_0000_")
    assert warning.message.endswith("… and 4,995 more")
    assert "extra_0004_" in warning.message and "extra_0005_" not in warning.message


def test_a_few_unknown_columns_are_all_named(make_csv):
    (warning,) = read_findings(make_csv([{"curator": "AB", "reviewer": "CD"}]).encode()).warnings
    assert warning.message == "2 unknown columns kept as extra: curator, reviewer"


@pytest.mark.parametrize("header", ["2024", "2024-01-01", "1.5"])
def test_extra_column_with_a_number_as_name_keeps_its_text(make_csv, header):
    frame = load_findings(make_csv([{header: "007"}, {header: "1.50"}]).encode())
    assert frame[header].tolist() == ["007", "1.50"]


def test_reordered_columns_load_in_schema_order(make_csv):
    columns = list(reversed(schema.COLUMN_NAMES))
    frame = load_findings(make_csv([{}], columns=columns).encode())
    assert list(frame.columns[: len(columns)]) == list(schema.COLUMN_NAMES)


# --- hostile text is data, never markup; exported formulas round-trip ----------------------------------------

@pytest.mark.parametrize("value", [
    "<script>alert('x')</script>",
    '=HYPERLINK("https://evil.example","click")',
    "[click me](javascript:alert(1))",
    "**bold** _it_ `code` # heading",
    "<img src=x onerror=alert(1)>",
    "@SUM(1+1)",
    "line\nbreak",
])
@pytest.mark.parametrize("column", TEXT_COLUMNS)
def test_hostile_strings_in_text_columns_load_unchanged(column, value):
    assert load_findings(one_bad_cell(column, value).encode())[column].iloc[1] == value


@pytest.mark.parametrize("character", FORMULA_CHARACTERS)
@pytest.mark.parametrize("column", TEXT_COLUMNS)
def test_neutralised_formula_is_restored(column, character):
    original = f"{character}1+1 x"
    loaded = load_findings(one_bad_cell(column, NEUTRALISING_PREFIX + original).encode())
    assert loaded[column].iloc[1] == original


@pytest.mark.parametrize("value", ["'hello", "'", "''=1", "x'=1", "don't"])
def test_apostrophe_not_before_a_formula_character_is_kept(value):
    assert load_findings(one_bad_cell("notes", value).encode())["notes"].iloc[1] == value


def test_apostrophe_in_codes_is_not_stripped():
    assert_located(only_problem(one_bad_cell("design", "'=rct").encode()), 3, "design", "unknown value")


# --- the source file is only read -----------------------------------------------------------------------------

@pytest.mark.parametrize("overrides", [{}, {"design": "bad"}, {"curator": "x"}], ids=["valid", "invalid", "warning"])
def test_source_file_is_never_modified(tmp_path, make_csv, overrides):
    path = tmp_path / "findings.csv"
    path.write_bytes(b"\xef\xbb\xbf" + make_csv([overrides, {"notes": "'=1+1"}]).replace("\n", "\r\n").encode())
    old_mtime = 1_600_000_000
    os.utime(path, (old_mtime, old_mtime))
    before = path.read_bytes()
    try:
        load_findings(path)
    except FindingsError:
        pass
    assert path.read_bytes() == before
    assert path.stat().st_mtime == old_mtime
    assert sorted(p.name for p in tmp_path.iterdir()) == ["findings.csv"]


# --- property: any input gives a frame or the loader's own error ---------------------------------------------

def outcome_of(source) -> pd.DataFrame | FindingsError:
    """Load; anything but a typed frame or a FindingsError with located problems fails the test."""
    try:
        frame = load_findings(source, name="fuzz.csv")
    except FindingsError as error:
        assert error.problems and error.total >= len(error.problems)
        assert all(isinstance(p, Problem) and p.file == "fuzz.csv" for p in error.problems)
        assert str(error)
        return error
    assert list(frame.columns[: len(schema.COLUMN_NAMES)]) == list(schema.COLUMN_NAMES)
    assert frame["n_participants"].dtype == schema.INT_DTYPE
    for column in TEXT_COLUMNS:
        assert not frame[column].isna().any()
    return frame


FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CSV_ALPHABET = st.sampled_from(list(',;\t"\'\n\r =+-@.0123456789abz-_/:ÿé\x00\ufeff') + list(schema.COLUMN_NAMES[:3]))


@FUZZ
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_give_a_frame_or_findings_error(data):
    outcome_of(data)


@FUZZ
@given(st.lists(CSV_ALPHABET, max_size=300).map("".join))
def test_csv_like_text_gives_a_frame_or_findings_error(text):
    outcome_of(io.StringIO(text))


@FUZZ
@given(st.text(max_size=500))
def test_arbitrary_text_gives_a_frame_or_findings_error(text):
    outcome_of(io.StringIO(text))


CELL = st.one_of(
    st.text(st.sampled_from(list('09-.e+ ,"\'=\n\rhtps:/10xyzK')), max_size=12),
    st.sampled_from([code for vocabulary in schema.VOCABULARIES.values() for code in vocabulary.codes]),
    st.text(max_size=8),
)


@FUZZ
@given(st.lists(st.fixed_dictionaries({name: CELL for name in schema.COLUMN_NAMES}), max_size=6))
def test_valid_header_with_random_cells_gives_a_frame_or_findings_error(rows):
    outcome = outcome_of(build_csv(rows).encode())
    if isinstance(outcome, pd.DataFrame):
        assert len(outcome) == sum(any(row.values()) for row in rows)


@settings(FUZZ, max_examples=100)
@given(st.lists(st.text(max_size=20), min_size=1, max_size=5))
def test_exported_text_round_trips(texts):
    """Text neutralised the OWASP way (apostrophe before a leading formula character) loads back as written."""
    def neutralised(text: str) -> str:
        return NEUTRALISING_PREFIX + text if text[:1] in FORMULA_CHARACTERS else text

    texts = [t for t in texts if not (t.startswith(NEUTRALISING_PREFIX) and t[1:2] in FORMULA_CHARACTERS)]
    rows = [{"notes": neutralised(text), "population": neutralised(text)} for text in texts]
    frame = load_findings(build_csv(rows).encode())
    assert frame["notes"].tolist() == frame["population"].tolist() == texts
