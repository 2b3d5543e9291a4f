"""`python -m kviz export` and `report`: the app's filters on the command line, same bytes as the app."""

from __future__ import annotations

import datetime
import subprocess
import sys
from pathlib import Path
from typing import Callable

import pytest

from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from kviz import cli, export, filters, synthetic, ui
from kviz.filters import FilterState, apply_filters, caption
from kviz.loader import load_findings, read_findings

TODAY = datetime.date.today()
APP = str(Path(__file__).resolve().parents[1] / "app.py")


@pytest.fixture
def data_file(tmp_path: Path, findings_csv_text: str) -> Path:
    path = tmp_path / "findings.csv"
    path.write_text(findings_csv_text, encoding="utf-8")
    return path


def run(*argv: str) -> int:
    return cli.main(list(argv))


def expected_csv(data_file: Path, state: FilterState, excel: bool = False) -> bytes:
    table = load_findings(data_file)
    return export.csv_bytes(apply_filters(table, state), excel=excel)


# --- options to FilterState ---------------------------------------------------------------------------


def state_of(*argv: str) -> FilterState:
    return cli.filter_state(cli.build_parser().parse_args(["export", *argv]))


def test_no_options_is_the_unfiltered_state():
    assert state_of() == FilterState()


def test_every_option_maps_to_the_apps_filter_state():
    state = state_of(
        "--k-form", "K2", "--k2-subtype", "MK-7", "--d3", "with_d3", "--outcome", "fracture", "--design", "rct",
        "--direction", "benefit", "--years", "2011-2020", "--search", "natto", "--exclude-untraced",
    )
    assert state == FilterState(
        k_forms=("K2",), k2_subtypes=("MK-7",), d3=("with_d3",), outcomes=("fracture",), designs=("rct",),
        directions=("benefit",), years=(2011, 2020), include_untraced=False, search="natto",
    )


def test_repeats_and_comma_lists_combine_and_codes_match_case_insensitively():
    assert state_of("--outcome", "muscle,FRACTURE", "--outcome", "bone_density", "--k-form", "k1,k2") == FilterState(
        outcomes=("bone_density", "fracture", "muscle"), k_forms=("K1", "K2")
    )


@pytest.mark.parametrize(
    ("text", "years"), [("2015", (2015, 2015)), ("2020-2011", (2011, 2020)), (" 2011-2020 ", (2011, 2020))]
)
def test_years_accept_one_year_or_a_range(text, years):
    assert state_of("--years", text).years == years


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--k-form", "K3"], "argument --k-form: unknown value 'K3'; allowed: K1, K2, mixed, unspecified, none"),
        (["--k2-subtype", "MK-9"], "allowed: K2, MK-4, MK-7"),
        (["--d3", "maybe"], "allowed: with_d3, without_d3, d3_only, k_and_d_status, not_reported"),
        (["--outcome", "muscle,bones"], "unknown value 'bones'; allowed: bone_density, fracture, muscle"),
        (["--design", "rct,"], "unknown value ''"),
        (["--direction", "good"], "allowed: benefit, no_effect, mixed, harm, not_applicable"),
        (["--years", "recent"], "expected YEAR or FIRST-LAST (e.g. 2011-2020), got 'recent'"),
        (["--colour", "red"], "unrecognized arguments: --colour red"),
    ],
)
def test_bad_options_exit_2_with_the_allowed_values(capsys, argv, message):
    with pytest.raises(SystemExit) as exit_info:
        run("export", *argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_help_lists_every_filter_with_its_values(capsys):
    with pytest.raises(SystemExit):
        run("export", "--help")
    help_text = capsys.readouterr().out
    for option in [*cli.FILTER_OPTIONS.values(), "--years", "--search", "--exclude-untraced", "--excel", "--output"]:
        assert option in help_text
    assert "bone_density: Bone density" in help_text


# --- export -------------------------------------------------------------------------------------------


def test_export_to_a_file_writes_the_apps_bytes(capsys, tmp_path, data_file):
    output = tmp_path / "out.csv"
    assert run("export", "--data", str(data_file), "--k-form", "K2", "--d3", "with_d3", "-o", str(output)) == 0
    assert output.read_bytes() == expected_csv(data_file, FilterState(k_forms=("K2",), d3=("with_d3",)))
    streams = capsys.readouterr()
    assert streams.out.strip() == str(output)
    assert streams.err.startswith("1 of 12 findings · Filters: Vitamin K: K2")


def test_export_to_stdout(capfdbinary, data_file):
    assert run("export", "--data", str(data_file), "--outcome", "muscle", "--excel", "-o", "-") == 0
    assert capfdbinary.readouterr().out == expected_csv(data_file, FilterState(outcomes=("muscle",)), excel=True)


def test_export_without_output_names_the_file_after_the_filters(capsys, tmp_path, data_file, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert run("export", "--data", str(data_file), "--k-form", "K2", "--d3", "with_d3", "--outcome", "muscle") == 0
    name = f"kviz_K2_with-D3_muscle_{TODAY.isoformat()}.csv"
    assert capsys.readouterr().out.strip() == name
    assert (tmp_path / name).read_bytes() == expected_csv(
        data_file, FilterState(k_forms=("K2",), d3=("with_d3",), outcomes=("muscle",))
    )


def test_exported_file_passes_validate(capsys, tmp_path, data_file):
    output = tmp_path / "out.csv"
    assert run("export", "--data", str(data_file), "--exclude-untraced", "-o", str(output)) == 0
    assert run("validate", str(output)) == 0
    assert "OK: 10 findings from 9 publications" in capsys.readouterr().out
    assert read_findings(output).warnings == []


def test_empty_result_still_writes_the_header_and_warns(capsys, tmp_path, data_file):
    output = tmp_path / "none.csv"
    assert run("export", "--data", str(data_file), "--search", "nothing matches this", "-o", str(output)) == 0
    assert load_findings(output).empty
    assert "warning: no findings match these filters" in capsys.readouterr().err


def test_bad_data_file_exits_1_with_the_loaders_problems(capsys, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("just,a,header\n", encoding="utf-8")
    assert run("export", "--data", str(bad), "-o", str(tmp_path / "out.csv")) == 1
    assert "missing required columns" in capsys.readouterr().err
    assert not (tmp_path / "out.csv").exists()


def test_unwritable_output_exits_1(capsys, tmp_path, data_file):
    assert run("export", "--data", str(data_file), "-o", str(tmp_path / "missing-folder" / "out.csv")) == 1
    assert "error: cannot write" in capsys.readouterr().err


def test_validate_still_works(capsys, data_file):
    assert run("validate", str(data_file)) == 0
    assert capsys.readouterr().out.strip() == "OK: 12 findings from 11 publications"


def test_module_entry_point_runs_in_a_fresh_process(tmp_path, data_file):
    output = tmp_path / "out.csv"
    result = subprocess.run(
        [sys.executable, "-m", "kviz", "export", "--data", str(data_file), "--design", "rct", "-o", str(output)],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert output.read_bytes() == expected_csv(data_file, FilterState(designs=("rct",)))
    bad = subprocess.run(
        [sys.executable, "-m", "kviz", "export", "--design", "ecological"], capture_output=True, text=True, timeout=120
    )
    assert bad.returncode == 2 and "allowed: meta_analysis, rct" in bad.stderr


# --- report -------------------------------------------------------------------------------------------


def test_report_writes_the_html_report(capsys, tmp_path, data_file, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert run("report", "--data", str(data_file), "--k-form", "K1") == 0
    name = f"kviz_K1_{TODAY.isoformat()}_report.html"
    assert capsys.readouterr().out.strip() == name
    text = (tmp_path / name).read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    assert 'id="finding-k1-bmd-2008"' in text and 'id="finding-mk7-bmd-2013"' not in text


def test_export_with_labels_writes_the_apps_csv_with_labels(tmp_path, data_file):
    output = tmp_path / "labelled.csv"
    assert run("export", "--data", str(data_file), "--outcome", "muscle", "--labels", "-o", str(output)) == 0
    rows = load_findings(data_file)
    assert output.read_bytes() == export.labelled_csv_bytes(apply_filters(rows, FilterState(outcomes=("muscle",))))


def test_report_counts_everything_only_when_asked(tmp_path, data_file):
    default, everything = tmp_path / "default.html", tmp_path / "all.html"
    assert run("report", "--data", str(data_file), "-o", str(default)) == 0
    assert run("report", "--data", str(data_file), "--count-all", "-o", str(everything)) == 0
    assert "Counting reviews, opinion and untraced claims too" in everything.read_text(encoding="utf-8")
    assert "Counting reviews, opinion and untraced claims too" not in default.read_text(encoding="utf-8")


def test_report_rejects_bad_filters_like_export(capsys):
    with pytest.raises(SystemExit) as exit_info:
        run("report", "--d3", "perhaps")
    assert exit_info.value.code == 2
    assert "allowed: with_d3, without_d3, d3_only, k_and_d_status, not_reported" in capsys.readouterr().err


# --- the app's download and the command line give the same file ------------------------------------------


def url_query(state: FilterState) -> dict[str, list[str]]:
    """The link the app's sidebar writes for `state` (values are the filter chips' labels)."""
    query = {c.key: [c.option_label(code) for code in getattr(state, c.field)] for c in ui.CHOICES}
    if state.years:
        query[ui.YEARS_KEY] = [str(year) for year in state.years]
    if not state.include_untraced:
        query[ui.UNTRACED_KEY] = ["false"]
    if state.search:
        query[ui.SEARCH_KEY] = [state.search]
    return {key: values for key, values in query.items() if values}


def cli_options(state: FilterState) -> list[str]:
    """The `python -m kviz export` options for `state`."""
    options = [part for field, option in cli.FILTER_OPTIONS.items() for code in getattr(state, field)
               for part in (option, code)]  # fmt: skip
    if state.years:
        options += ["--years", "{}-{}".format(*state.years)]
    if not state.include_untraced:
        options.append("--exclude-untraced")
    if state.search:
        options += ["--search", state.search]
    return options


@pytest.fixture
def app_downloads(monkeypatch) -> dict[str, Callable[[], bytes]]:
    """File name -> the bytes a click on that download button sends to the browser (made on demand, as on click).

    Records what the app hands to Streamlit's media file manager, for files given as data or as a callable.
    """
    files: dict[str, Callable[[], bytes]] = {}
    add, add_deferred = MediaFileManager.add, MediaFileManager.add_deferred

    def recording_add(self, path_or_data, mimetype, coordinates, file_name=None, **kwargs):
        if file_name:
            files[file_name] = lambda: path_or_data
        return add(self, path_or_data, mimetype, coordinates, file_name, **kwargs)

    def recording_add_deferred(self, data_callable, mimetype, coordinates, file_name=None, **kwargs):
        if file_name:
            files[file_name] = data_callable
        return add_deferred(self, data_callable, mimetype, coordinates, file_name, **kwargs)

    monkeypatch.setattr(MediaFileManager, "add", recording_add)
    monkeypatch.setattr(MediaFileManager, "add_deferred", recording_add_deferred)
    return files


APP_CASES = {
    "all": FilterState(),
    "k2-mk7-without-d3": FilterState(k_forms=("K2",), k2_subtypes=("MK-7",), d3=("without_d3",)),
    "outcomes-designs": FilterState(outcomes=("bone_density", "muscle"), designs=("rct", "meta_analysis")),
    "years-traced-search": FilterState(years=(2010, 2020), include_untraced=False, search="bone"),
}


@pytest.mark.parametrize("case", list(APP_CASES))
def test_app_download_and_cli_export_are_identical(case, app_downloads, tmp_path, monkeypatch, data_file):
    state = APP_CASES[case]
    assert not apply_filters(load_findings(data_file), state).empty, "the table page offers downloads only then"
    monkeypatch.setenv(ui.DATA_ENV_VAR, str(data_file))
    at = AppTest.from_file(APP, default_timeout=60)
    for key, values in url_query(state).items():
        at.query_params[key] = values
    at.switch_page("pages/table.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert caption(state) in "\n".join(t.value for t in at.text), "the link's filters reached the app"

    monkeypatch.chdir(tmp_path)
    for excel in (False, True):
        name = export.export_filename(state, TODAY, excel=excel)
        assert run("export", "--data", str(data_file), *cli_options(state), *(["--excel"] if excel else [])) == 0
        assert app_downloads[name]() == (tmp_path / name).read_bytes()
    assert len(load_findings(app_downloads[export.export_filename(state, TODAY)]())) == len(
        apply_filters(load_findings(data_file), state)
    )


def test_a_paged_table_still_downloads_every_row(app_downloads, tmp_path, monkeypatch):
    path = tmp_path / "many.csv"
    synthetic.write_csv(path, ui.TABLE_PAGE_ROWS * 2 + 7, seed=3)
    all_ids = list(load_findings(path)["finding_id"])
    newest_ids = list(filters.newest_first(load_findings(path))["finding_id"])  # the table's order
    monkeypatch.setenv(ui.DATA_ENV_VAR, str(path))
    at = AppTest.from_file(APP, default_timeout=60)
    at.switch_page("pages/table.py").run()
    assert list(at.dataframe[0].value["finding_id"]) == newest_ids[: ui.TABLE_PAGE_ROWS]
    assert f"Rows 1–{ui.TABLE_PAGE_ROWS:,} of {len(all_ids):,}" in [c.value for c in at.caption]
    at.get("pagination")[0].set_value(3).run()
    assert list(at.dataframe[0].value["finding_id"]) == newest_ids[2 * ui.TABLE_PAGE_ROWS :]
    downloaded = load_findings(app_downloads[export.export_filename(FilterState(), TODAY)]())
    assert list(downloaded["finding_id"]) == all_ids
