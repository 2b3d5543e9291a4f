import io
import zipfile

import pandas as pd
import pytest

from kviz import schema, upload
from kviz.export import csv_bytes
from kviz.loader import FORMULA_CHARACTERS, MAX_PROBLEMS, NEUTRALISING_PREFIX, PROBLEM_LABELS, FindingsError, load_findings
from kviz.upload import DataChoice, Selection
from tests.findings_csv import HOSTILE_TEXTS, TEXT_COLUMNS, findings_csv, hostile_csv, row, valid_csv


def problems_of(data: bytes, name: str = "mine.csv") -> pd.DataFrame:
    with pytest.raises(FindingsError) as raised:
        upload.load_upload(data, name)
    return raised.value.table()


@pytest.fixture
def bundled() -> pd.DataFrame:
    return load_findings(valid_csv(3, prefix="bundled"), name="findings.csv")


def test_template_has_the_schema_header_and_one_valid_example_row():
    template = upload.template_csv()
    assert template.startswith(b"\xef\xbb\xbf"), "Excel needs the byte-order mark to read µ correctly"
    loaded = upload.load_upload(template, upload.TEMPLATE_FILE_NAME)
    assert list(loaded.frame.columns[: len(schema.COLUMN_NAMES)]) == list(schema.COLUMN_NAMES)
    assert len(loaded.frame) == 1 and not loaded.warnings
    assert csv_bytes(loaded.frame).decode().splitlines()[1] == template.decode("utf-8-sig").splitlines()[1]


def test_a_valid_upload_loads_typed_rows_under_its_own_name():
    data = valid_csv(4)
    loaded = upload.load_upload(data, "C:\\Users\\ana\\journal-club.csv")
    assert loaded.name == "journal-club.csv"
    assert loaded.frame.attrs["source"] == "journal-club.csv"
    assert loaded.frame["finding_id"].tolist() == ["up-0", "up-1", "up-2", "up-3"]
    assert loaded.frame["design"].dtype == pd.CategoricalDtype(schema.DESIGN.codes, ordered=True)
    assert loaded.digest == upload.digest(data) != upload.digest(valid_csv(5))


def test_unknown_columns_are_kept_and_reported_as_warnings():
    loaded = upload.load_upload(findings_csv([row(0, reviewer="AB")], schema.COLUMN_NAMES + ("reviewer",)), "x.csv")
    assert loaded.frame["reviewer"].tolist() == ["AB"]
    assert [w.message for w in loaded.warnings] == ["unknown column kept as extra: reviewer"]
    assert loaded.frame.attrs["warnings"] == [str(w) for w in loaded.warnings]


def test_every_problem_of_a_bad_file_is_listed_with_row_column_value_and_what_is_allowed():
    rows = [
        row(0, design="ecological"),
        row(1, published="May 2019"),
        row(2, url="javascript:alert(1)", doi="https://doi.org/10.1/x"),
        row(3, n_participants="-5"),
        row(4, finding_id="up-0"),
    ]
    table = problems_of(findings_csv(rows))
    assert list(table.columns) == list(PROBLEM_LABELS.values())
    found = set(zip(table["Row"], table["Column"], table["Value"]))
    assert found == {
        (2, "design", "ecological"),
        (3, "published", "May 2019"),
        (4, "doi", "https://doi.org/10.1/x"),
        (4, "url", "javascript:alert(1)"),
        (5, "n_participants", "-5"),
        (6, "finding_id", "up-0"),
    }
    assert (table["File"] == "mine.csv").all()
    design = table[table["Column"] == "design"].iloc[0]
    assert design["Allowed"] == ", ".join(schema.DESIGN.codes)


def test_a_file_over_the_size_limit_is_refused_before_parsing():
    table = problems_of(b"x" * (upload.MAX_UPLOAD_BYTES + 1))
    assert table["Problem"].tolist() == [f"the file is 20.1 MB; the limit is {upload.MAX_UPLOAD_MB} MB"]


def test_a_file_exactly_at_the_size_limit_is_not_refused_for_its_size():
    padding = upload.MAX_UPLOAD_BYTES - len(findings_csv([row(0, notes="")]))
    data = findings_csv([row(0, notes="x" * padding)])
    assert len(data) == upload.MAX_UPLOAD_BYTES
    assert len(upload.load_upload(data, "big.csv").frame) == 1


def test_more_rows_than_the_limit_are_refused_with_the_count():
    data = b"finding_id\n" + b"a\n" * (upload.MAX_UPLOAD_ROWS + 1)
    assert problems_of(data)["Problem"].tolist() == ["the file has 200,001 rows; the limit is 200,000"]


def test_line_breaks_inside_quoted_cells_do_not_count_as_rows():
    notes = "line\n" * (upload.MAX_UPLOAD_ROWS + 5)
    loaded = upload.load_upload(findings_csv([row(0, notes=notes)]), "long-notes.csv")
    assert loaded.frame["notes"].iloc[0] == notes


def _xlsx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as workbook:
        workbook.writestr("[Content_Types].xml", "<Types/>")
        workbook.writestr("xl/workbook.xml", "<workbook/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (_xlsx_bytes(), "Excel workbook (.xlsx)"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "PNG image"),
        (b"%PDF-1.7\n", "PDF document"),
        (valid_csv(1).decode().encode("utf-16"), "UTF-16 text"),
        (b"finding_id\x00,study_id\n", "binary data"),
    ],
)
def test_files_that_are_not_csv_text_get_one_clear_message(data, kind):
    (message,) = problems_of(data, "findings.csv")["Problem"]
    assert message.startswith("this is not a CSV file") and kind in message
    assert upload.SAVE_AS_CSV_HINT in message


def test_hostile_text_loads_unchanged_and_exports_neutralised():
    loaded = upload.load_upload(hostile_csv(), "hostile.csv")
    for column in TEXT_COLUMNS:
        assert loaded.frame[column].tolist() == list(HOSTILE_TEXTS)
    exported = pd.read_csv(io.BytesIO(csv_bytes(loaded.frame)), dtype=str, keep_default_na=False)
    for column in TEXT_COLUMNS:
        for original, cell in zip(HOSTILE_TEXTS, exported[column]):
            formula = original.startswith(FORMULA_CHARACTERS)
            assert cell == (NEUTRALISING_PREFIX + original if formula else original)
    assert upload.load_upload(csv_bytes(loaded.frame), "again.csv").frame[list(TEXT_COLUMNS)].equals(
        loaded.frame[list(TEXT_COLUMNS)]
    )


def test_combining_appends_the_upload_and_keeps_every_column_type(bundled):
    mine = upload.load_upload(findings_csv([row(0, reviewer="AB")], schema.COLUMN_NAMES + ("reviewer",)), "mine.csv")
    combined = upload.combine(bundled, mine)
    assert combined["finding_id"].tolist() == ["bundled-0", "bundled-1", "bundled-2", "up-0"]
    assert combined.index.tolist() == [0, 1, 2, 3]
    pd.testing.assert_series_equal(combined.dtypes.drop("reviewer"), bundled.dtypes)
    assert combined["reviewer"].tolist() == ["", "", "", "AB"]
    assert combined.attrs["source"] == "findings.csv + mine.csv"
    assert combined.attrs["warnings"] == ["mine.csv, row 1: unknown column kept as extra: reviewer"]


def test_clashing_finding_ids_block_the_combination_and_are_each_named(bundled):
    mine = upload.load_upload(findings_csv([row(0), row(1, finding_id="bundled-2"), row(2, finding_id="bundled-0")]), "mine.csv")
    with pytest.raises(FindingsError) as raised:
        upload.combine(bundled, mine)
    table = raised.value.table()
    assert table[["File", "Column", "Value"]].values.tolist() == [
        ["mine.csv", "finding_id", "bundled-2"],
        ["mine.csv", "finding_id", "bundled-0"],
    ]
    assert table["Row"].isna().all(), "the finding_id locates the row; a guessed row number could be wrong"


def test_many_clashes_are_counted_in_full_but_listed_up_to_the_limit():
    many = MAX_PROBLEMS + 50
    mine = upload.load_upload(valid_csv(many), "mine.csv")
    error = upload.clashes(mine.frame, mine)
    assert error is not None and error.total == many and len(error.problems) == MAX_PROBLEMS
    table = error.table()
    assert len(table) == MAX_PROBLEMS + 1
    assert table["Problem"].iloc[-1].startswith("… and 50 more problems not listed")
    assert pd.isna(table["Row"].iloc[-1])


def test_choosing_an_upload_loads_the_file_and_explores_it_alone_or_combined(bundled):
    data = valid_csv(2)
    alone = upload.select(Selection(), DataChoice.UPLOADED, bundled, (data, "mine.csv"))
    assert alone.choice is DataChoice.UPLOADED and alone.frame is alone.upload.frame
    assert alone.upload.name == "mine.csv" and len(alone.frame) == 2
    combined = upload.select(alone, DataChoice.COMBINED, bundled)
    assert combined.upload is alone.upload, "no new file: the loaded upload is reused"
    assert len(combined.frame) == 5


def test_the_same_file_again_is_not_reloaded_and_a_new_one_replaces_it(bundled):
    first = upload.select(Selection(), DataChoice.UPLOADED, bundled, (valid_csv(2), "mine.csv"))
    again = upload.select(first, DataChoice.COMBINED, bundled, (valid_csv(2), "mine.csv"))
    assert again.upload is first.upload
    replaced = upload.select(first, DataChoice.UPLOADED, bundled, (valid_csv(3), "other.csv"))
    assert replaced.upload.name == "other.csv" and len(replaced.frame) == 3


def test_going_back_to_the_bundled_findings_always_works_and_keeps_the_upload(bundled):
    loaded = upload.select(Selection(), DataChoice.UPLOADED, bundled, (valid_csv(2), "mine.csv"))
    back = upload.select(loaded, DataChoice.BUNDLED, bundled, (b"\x89PNG", "broken.csv"))
    assert back.choice is DataChoice.BUNDLED and back.frame is None and back.upload is loaded.upload


@pytest.mark.parametrize("choice", [DataChoice.UPLOADED, DataChoice.COMBINED])
def test_an_upload_choice_without_an_upload_is_a_problem_not_a_crash(bundled, choice):
    with pytest.raises(FindingsError, match="no file has been uploaded"):
        upload.select(Selection(), choice, bundled)


def test_a_failed_choice_raises_without_building_a_selection(bundled):
    loaded = upload.select(Selection(), DataChoice.UPLOADED, bundled, (valid_csv(2), "mine.csv"))
    clashing = (valid_csv(1, prefix="bundled"), "clash.csv")
    with pytest.raises(FindingsError, match="already used by the bundled findings"):
        upload.select(loaded, DataChoice.COMBINED, bundled, clashing)
    assert upload.select(loaded, DataChoice.UPLOADED, bundled, clashing).upload.name == "clash.csv"


def test_every_choice_has_a_distinct_label_and_a_description():
    labels = [choice.label for choice in DataChoice]
    assert len(set(labels)) == len(DataChoice) and all(choice.description for choice in DataChoice)

