"""The Data page (pages/data.py) in AppTest: uploads, refusals, combining, session isolation, hostile input.

The app runs on a small bundled table written to a temporary file (KVIZ_DATA), so no test depends on
data/findings.csv. What the user sees is asserted: the status line, the sidebar count, the problem table.
"""

import io
import json
import tomllib
from pathlib import Path
from typing import Any, Iterator

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from streamlit import config as streamlit_config
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1 import app_test as app_test_module

from tests.conftest import shown_problems
from kviz import export, loader, schema, ui, upload
from kviz.export import csv_bytes
from kviz.loader import FORMULA_CHARACTERS, NEUTRALISING_PREFIX
from kviz.upload import DataChoice
from tests.findings_csv import HOSTILE_TEXTS, TEXT_COLUMNS, findings_csv, hostile_csv, row, valid_csv

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app.py"
DATA_PAGE = "pages/data.py"
PAGES = sorted(f"pages/{path.name}" for path in (ROOT / "pages").glob("*.py"))
BUNDLED_ROWS = 4
BUNDLED = findings_csv(
    [row(i, finding_id=f"bundled-{i}", study_id=f"bundled-study-{i}", published=f"{2010 + 3 * i}-01") for i in range(BUNDLED_ROWS)]
)
BUNDLED_STATUS = f"findings.csv (bundled) — {BUNDLED_ROWS} findings from {BUNDLED_ROWS} publications"
# Markers of hostile text: none may reach an element that renders Markdown or HTML.
HOSTILE_MARKERS = ("<script", "<img", "javascript:", "evil.example", "HYPERLINK", "onerror")
# Elements whose text is never interpreted (plotly specs are checked string by string instead).
INERT_TYPES = {"text", "code", "arrow_data_frame", "dataframe", "json", "plotly_chart"}


@pytest.fixture(autouse=True)
def bundled_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "findings.csv"
    path.write_bytes(BUNDLED)
    monkeypatch.setenv(ui.DATA_ENV_VAR, str(path))
    return path


def open_page(page: str = DATA_PAGE, query: dict[str, Any] | None = None) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def upload_file(at: AppTest, name: str, data: bytes) -> AppTest:
    at.file_uploader[0].set_value((name, data, "text/csv")).run()
    assert not at.exception, at.exception
    return at


def choose(at: AppTest, choice: DataChoice) -> AppTest:
    at.radio(key="data_choice").set_value(choice).run()
    assert not at.exception, at.exception
    return at


def status(at: AppTest) -> str:
    """The page's 'now exploring' line: source and counts."""
    return at.main.text[0].value


def sidebar_count(at: AppTest) -> str:
    return at.sidebar.markdown[0].value


def problem_table(at: AppTest) -> pd.DataFrame:
    return shown_problems(at)


def test_the_page_starts_on_the_bundled_findings_with_upload_choices_disabled():
    at = open_page()
    assert status(at) == BUNDLED_STATUS
    assert sidebar_count(at) == f"**{BUNDLED_ROWS} of {BUNDLED_ROWS} findings · {BUNDLED_ROWS} publications**"
    assert at.radio(key="data_choice").value is DataChoice.BUNDLED and at.radio(key="data_choice").disabled
    (uploader,) = at.file_uploader
    # Any type is accepted, so a wrong one is refused on screen with what it is and how to save it as CSV.
    assert uploader.allowed_type == [] and uploader.proto.max_upload_size_mb == upload.MAX_UPLOAD_MB
    assert [b.label for b in at.get("download_button")] == ["Download the template"]
    assert [link.proto.page for link in at.get("page_link")] == ["about"]  # the About page's URL path


def test_a_valid_upload_becomes_the_data_of_every_page():
    at = upload_file(open_page(), "journal club.csv", valid_csv(3))
    assert [s.value for s in at.success] == ["Loaded: 3 findings from 3 publications."]
    assert status(at) == "journal club.csv — 3 findings from 3 publications"
    assert sidebar_count(at) == "**3 of 3 findings · 3 publications**"
    assert at.radio(key="data_choice").value is DataChoice.UPLOADED and not at.radio(key="data_choice").disabled
    at.switch_page("pages/table.py").run()
    assert at.dataframe[0].value["finding_id"].tolist() == ["up-0", "up-1", "up-2"]


def test_a_file_with_several_problems_lists_them_all_and_keeps_the_previous_data():
    at = upload_file(open_page(), "good.csv", valid_csv(3))
    bad = findings_csv(
        [
            row(0, design="ecological"),
            row(1, published="May 2019"),
            row(2, url="javascript:alert(1)"),
            row(3, doi="doi:10.1/x", n_participants="many"),
            row(4, finding_id="Up 4", direction=""),
        ]
    )
    upload_file(at, "bad.csv", bad)
    (error,) = at.error
    assert error.value == "Not loaded: 7 problems found. Fix the file and upload it again. You are still exploring: My upload only."
    table = problem_table(at)
    assert set(zip(table["Row"], table["Column"])) == {
        (2, "design"), (3, "published"), (4, "url"), (5, "doi"), (5, "n_participants"), (6, "finding_id"), (6, "direction"),
    }
    assert (table["File"] == "bad.csv").all()
    assert table.loc[table["Column"] == "design", "Allowed"].tolist() == [", ".join(schema.DESIGN.codes)]
    assert status(at) == "good.csv — 3 findings from 3 publications"
    assert sidebar_count(at) == "**3 of 3 findings · 3 publications**"


def test_a_refused_first_upload_leaves_the_bundled_findings_in_place():
    at = upload_file(open_page(), "bad.csv", findings_csv([row(0, k_form="K3")]))
    assert problem_table(at)["Value"].tolist() == ["K3"]
    assert status(at) == BUNDLED_STATUS and at.radio(key="data_choice").disabled


def test_an_oversized_file_is_refused_with_the_limit():
    at = upload_file(open_page(), "huge.csv", b"x" * (upload.MAX_UPLOAD_BYTES + 1))
    assert problem_table(at)["Problem"].tolist() == [f"the file is 20.1 MB; the limit is {upload.MAX_UPLOAD_MB} MB"]
    assert status(at) == BUNDLED_STATUS


def _xlsx() -> bytes:
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as workbook:
        workbook.writestr("xl/workbook.xml", "<workbook/>")
    return buffer.getvalue()


@pytest.mark.parametrize(("data", "kind"), [(b"\x89PNG\r\n\x1a\n\x00\x00", "a PNG image"), (_xlsx(), "an Excel workbook")])
def test_a_file_that_is_not_csv_is_refused_with_what_it_looks_like(data, kind):
    at = upload_file(open_page(), "findings.csv", data)
    (message,) = problem_table(at)["Problem"]
    assert f"it looks like {kind}" in message
    assert status(at) == BUNDLED_STATUS


def test_combining_adds_the_upload_to_the_bundled_rows_and_going_back_keeps_the_upload():
    at = choose(upload_file(open_page(), "mine.csv", valid_csv(2)), DataChoice.COMBINED)
    assert status(at) == "findings.csv (bundled) + mine.csv — 6 findings from 6 publications"
    choose(at, DataChoice.BUNDLED)
    assert status(at) == BUNDLED_STATUS and not at.radio(key="data_choice").disabled
    choose(at, DataChoice.UPLOADED)
    assert status(at) == "mine.csv — 2 findings from 2 publications"


def test_clashing_finding_ids_block_the_combined_view_and_are_listed():
    at = upload_file(open_page(), "mine.csv", findings_csv([row(0), row(1, finding_id="bundled-2")]))
    choose(at, DataChoice.COMBINED)
    assert at.error[0].value == "Cannot show My upload + bundled: 1 problem found. You are still exploring: My upload only."
    assert problem_table(at)[["Column", "Value"]].values.tolist() == [["finding_id", "bundled-2"]]
    assert at.radio(key="data_choice").value is DataChoice.UPLOADED
    assert status(at) == "mine.csv — 2 findings from 2 publications"


def test_removing_the_upload_returns_to_the_bundled_findings_and_empties_the_file_box():
    at = upload_file(open_page(), "mine.csv", valid_csv(2))
    (remove,) = [b for b in at.button if b.label == "Remove my upload"]
    remove.click().run()
    assert status(at) == BUNDLED_STATUS and at.radio(key="data_choice").disabled
    assert at.file_uploader[0].value is None
    assert not [b for b in at.button if b.label == "Remove my upload"]


def test_an_upload_stays_in_its_own_session_and_never_touches_the_disk(bundled_file: Path):
    files_before = {p: p.stat().st_mtime_ns for p in bundled_file.parent.iterdir()}
    repository_data = {p: p.read_bytes() for p in (ROOT / "data").iterdir() if p.is_file()}
    mine = upload_file(open_page(), "mine.csv", valid_csv(2))
    other = open_page()
    assert status(mine) == "mine.csv — 2 findings from 2 publications"
    assert status(other) == BUNDLED_STATUS
    assert sidebar_count(other) == f"**{BUNDLED_ROWS} of {BUNDLED_ROWS} findings · {BUNDLED_ROWS} publications**"
    assert {p: p.stat().st_mtime_ns for p in bundled_file.parent.iterdir()} == files_before
    assert {p: p.read_bytes() for p in (ROOT / "data").iterdir() if p.is_file()} == repository_data


# ------------------------------------------------------------------------------------------ hostile input


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def assert_rendered_inert(at: AppTest) -> None:
    """Hostile text only in plain-text elements; plotly strings HTML-escaped; no raw HTML anywhere."""
    for node in [*at.main, *at.sidebar]:
        proto = getattr(node, "proto", None)
        if proto is None:
            continue
        assert not getattr(proto, "allow_html", False), f"{node.type} renders raw HTML"
        if node.type == "plotly_chart":
            for text in _strings(json.loads(proto.spec)):
                assert "<script" not in text and "<img" not in text and "<a " not in text, text
        elif node.type == "link_button":
            assert proto.url.startswith("https://"), proto.url
        elif node.type not in INERT_TYPES:
            shown = str(proto)
            assert not [m for m in HOSTILE_MARKERS if m in shown], f"{node.type} shows hostile text: {shown[:300]}"


@pytest.mark.parametrize("page", PAGES)
def test_hostile_strings_in_every_text_column_are_displayed_inert_on_every_page(page):
    at = upload_file(open_page(), "hostile.csv", hostile_csv())
    at.switch_page(page).run()
    assert not at.exception, at.exception
    assert_rendered_inert(at)


def test_the_evidence_table_shows_hostile_strings_as_plain_cell_text():
    at = upload_file(open_page(), "hostile.csv", hostile_csv())
    at.switch_page("pages/table.py").run()
    table = at.dataframe[0].value
    for column in TEXT_COLUMNS:
        assert table[column].tolist() == list(HOSTILE_TEXTS)


def _cards(data: bytes) -> None:
    from kviz import ui, upload

    ui.finding_cards(upload.load_upload(data, "hostile.csv").frame, "nothing selected")


def test_detail_cards_show_hostile_strings_as_plain_text():
    at = AppTest.from_function(_cards, args=(hostile_csv(),), default_timeout=60).run()
    assert not at.exception, at.exception
    shown = [t.value for t in at.text]
    for text in HOSTILE_TEXTS:
        assert shown.count(text) >= len(TEXT_COLUMNS) - 1  # effect size, population, citation, notes, … and headline
    assert_rendered_inert(at)


def test_hostile_strings_are_exported_neutralised_from_the_evidence_table(monkeypatch: pytest.MonkeyPatch):
    """The bytes behind the table page's download buttons, whether made at once or on click."""
    downloads: dict[str, Any] = {}

    class RecordingFiles(app_test_module.MediaFileManager):
        def add(self, path_or_data, mimetype, coordinates, file_name=None, is_for_static_download=False):
            downloads[file_name or coordinates] = path_or_data
            return super().add(path_or_data, mimetype, coordinates, file_name, is_for_static_download)

        def add_deferred(self, data_callable, mimetype, coordinates, file_name=None, **kwargs):
            downloads[file_name or coordinates] = data_callable
            return super().add_deferred(data_callable, mimetype, coordinates, file_name, **kwargs)

    monkeypatch.setattr(app_test_module, "MediaFileManager", RecordingFiles)
    at = upload_file(open_page(), "hostile.csv", hostile_csv())
    downloads.clear()  # the Data page's template
    at.switch_page("pages/table.py").run()
    files = {name: data() if callable(data) else data for name, data in downloads.items() if name.endswith(".csv")}
    assert len(files) == 3, f"the table page offers three CSV downloads: {list(downloads)}"
    expected = [NEUTRALISING_PREFIX + t if t.startswith(FORMULA_CHARACTERS) else t for t in HOSTILE_TEXTS]
    for name, data in files.items():
        exported = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, encoding="utf-8-sig")
        labelled = name.endswith(f"_{export.LABELLED_SUFFIX}.csv")  # column titles, rows newest first
        for column in TEXT_COLUMNS:
            cells = exported[schema.LABELS[column] if labelled else column].tolist()
            assert (sorted(cells) if labelled else cells) == (sorted(expected) if labelled else expected), (name, column)
    assert csv_bytes(upload.load_upload(hostile_csv(), "hostile.csv").frame) in files.values()


# ------------------------------------------------------------------------------------------ URL parameters

URL_PARAMETERS = [choice.key for choice in ui.CHOICES] + [ui.YEARS_KEY, ui.UNTRACED_KEY, ui.SEARCH_KEY]
KNOWN_VALUES = [code for vocabulary in schema.VOCABULARIES.values() for code in vocabulary.codes] + ["true", "2013"]
values = st.one_of(st.text(max_size=30), st.sampled_from(KNOWN_VALUES))
parameters = st.dictionaries(
    st.one_of(st.sampled_from(URL_PARAMETERS), st.text(min_size=1, max_size=10)),
    st.one_of(values, st.lists(values, min_size=1, max_size=4)),
    max_size=6,
)


@pytest.mark.parametrize("page", PAGES)
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=parameters)
def test_random_url_parameters_never_raise(page, query):
    at = AppTest.from_file(str(APP), default_timeout=60)
    for key, value in query.items():
        at.query_params[key] = value
    at.switch_page(page).run()
    assert not at.exception, (query, at.exception)


# ------------------------------------------------------------------------------------------ server settings


def test_server_settings_match_the_upload_limit_and_keep_xsrf_protection():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] == upload.MAX_UPLOAD_MB
    assert config["server"]["enableXsrfProtection"] is True


def test_users_see_no_error_details_or_server_paths(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(ROOT)  # Streamlit reads .streamlit/config.toml from the working directory
    streamlit_config.get_config_options(force_reparse=True)
    at = AppTest.from_string(f"raise ValueError('cannot read {ROOT / 'data'}')").run()
    (shown,) = at.exception
    assert str(ROOT) not in shown.message and "ValueError" not in shown.message
    assert not list(shown.stack_trace)


# ------------------------------------------------------------------------------------------ an upload that is gone

LOST = "The uploaded file this page showed is not here"


def test_the_url_says_while_an_upload_is_explored():
    at = upload_file(open_page(), "mine.csv", valid_csv(2)).run()  # AppTest shows a bound value in the URL a run later
    assert at.query_params["data"] == DataChoice.UPLOADED.label
    assert at.sidebar.get("button_group")[0].value == DataChoice.UPLOADED  # the sidebar says which data is shown
    choose(at, DataChoice.BUNDLED)
    assert "data" not in at.query_params


def test_a_session_opened_on_a_lost_upload_says_so_until_the_file_is_uploaded_again():
    at = open_page("pages/timeline.py", {"data": DataChoice.UPLOADED.label, "outcome": "Fracture"})
    assert any(LOST in w.value for w in at.warning)  # e.g. after a server restart: the browser reconnects with its URL
    assert "data" not in at.query_params and at.query_params["outcome"] == "Fracture"
    at.switch_page(DATA_PAGE).run()
    assert any(LOST in w.value for w in at.warning)
    upload_file(at, "mine.csv", valid_csv(2))
    assert not any(LOST in w.value for w in at.warning)
