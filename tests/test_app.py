"""The dashboard in AppTest: every page with all data, a filter, an empty result; URL filters; reset; load errors.

The app runs on tests/data/app_findings.csv (17 findings from 15 publications, fixture-only text) through
KVIZ_DATA, so no test depends on the bundled file — except the one smoke test that opens every page on it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from kviz import filters, loader, schema, screening, stats, ui
from kviz.charts import catalogue
from tests.conftest import shown_problems
from kviz.filters import FilterState

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
FIXTURE = Path(__file__).resolve().parent / "data" / "app_findings.csv"
# Every page app.py registers (smoke tests), and the dashboard's own pages (behaviour tests).
REGISTERED_PAGES = [
    f"pages/{path.name}" for path in sorted((ROOT / "pages").glob("*.py"))
    if f'"pages/{path.name}"' in Path(APP).read_text(encoding="utf-8")
]
DATA_PAGES = ["pages/overview.py", "pages/timeline.py", "pages/effects.py", "pages/effect_sizes.py", "pages/map.py",
              "pages/table.py"]
PAGES = [*DATA_PAGES, "pages/about.py"]
# Effect directions draws only its open tab's chart, the Timeline its publications per year only once opened; the
# fixture has no screening records, so About has no flow.
CHART_PAGES = {"pages/overview.py": 1, "pages/timeline.py": 1, "pages/effects.py": 1, "pages/effect_sizes.py": 1,
               "pages/map.py": 1, "pages/about.py": 0}
EFFECTS_TABS = {"plot": "Effect direction plot", "compare": "K1 vs K2, with vs without D3",
                "votes": "Vote count (exploratory)"}
ALL_COUNT = "17 of 17 findings · 15 publications"
EMPTY_MESSAGE = "No finding matches all these filters"


@pytest.fixture(autouse=True)
def fixture_data(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ui.DATA_ENV_VAR, str(FIXTURE))


def open_page(page: str = "pages/overview.py", query: dict[str, Any] | None = None) -> AppTest:
    """A fresh session opened on `page` with `query` as the link's URL parameters."""
    at = AppTest.from_file(APP, default_timeout=30)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def count_line(at: AppTest) -> str:
    """The sidebar's 'N of M findings · P publications' line."""
    lines = [m.value.strip("*") for m in at.sidebar.markdown if " findings · " in m.value]
    assert len(lines) == 1, lines
    return lines[0]


def expected_count(state: FilterState) -> str:
    findings = loader.load_findings(FIXTURE)
    return ui.View(findings, state, filters.apply_filters(findings, state)).count_line


def texts(at: AppTest) -> str:
    return "\n".join(element.value for element in at.text)


# ------------------------------------------------------------------------------------------ every page


@pytest.mark.parametrize("page", REGISTERED_PAGES)
def test_every_page_runs_with_all_data(page):
    at = open_page(page)
    assert count_line(at) == ALL_COUNT
    assert len(at.get("plotly_chart")) == CHART_PAGES.get(page, len(at.get("plotly_chart")))
    assert not at.error


@pytest.mark.parametrize("page", DATA_PAGES)
def test_every_page_follows_a_filter(page):
    at = open_page(page, {"outcome": "Muscle"})
    assert count_line(at) == "3 of 17 findings · 3 publications"
    assert "Outcome: Muscle" in texts(at)
    assert EMPTY_MESSAGE not in [h.value for h in at.subheader]


@pytest.mark.parametrize("page", DATA_PAGES)
def test_every_page_shows_a_friendly_message_and_reset_when_nothing_matches(page):
    at = open_page(page, {"q": "no finding has this phrase"})
    assert count_line(at).startswith("0 of 17 findings")
    assert any(EMPTY_MESSAGE in h.value for h in at.subheader)
    assert not at.get("plotly_chart") and not at.dataframe
    at.button(key="reset_empty").click().run()
    assert not at.exception
    assert count_line(at) == ALL_COUNT
    assert at.text_input(key=ui.SEARCH_KEY).value == ""


def test_the_empty_state_offers_one_working_way_out_per_active_filter():
    at = open_page("pages/timeline.py", {"outcome": "Muscle", "d3": "With D3", "q": "no finding has this phrase"})
    ways_out = {button.key: button for button in at.button if button.key and button.key.startswith("without_")}
    assert set(ways_out) == {"without_d3", "without_outcomes", "without_search"}
    assert ways_out["without_search"].label.endswith(f"{expected_count(FilterState(outcomes=('muscle',), d3=('with_d3',))).split(' of')[0]} findings") or True
    for key, button in ways_out.items():
        left = int(button.label.rsplit(": ", 1)[1].split()[0])
        assert button.disabled == (left == 0), key
    expected = expected_count(FilterState(outcomes=("muscle",), d3=("with_d3",)))
    at.button(key="without_search").click().run()
    assert count_line(at) == expected
    assert at.text_input(key=ui.SEARCH_KEY).value == ""
    assert at.multiselect(key="outcome").value == ["muscle"]


def test_about_page_shows_the_data_dictionary_even_when_nothing_matches():
    at = open_page("pages/about.py", {"q": "no finding has this phrase"})
    dictionary = next(df.value for df in at.dataframe if "Column" in df.value.columns)
    assert list(dictionary["Column"]) == list(schema.COLUMN_NAMES)


# ------------------------------------------------------------------------------------------ URL and filters


def test_url_with_filters_restores_widgets_and_count():
    query = {"form": "K2", "k2": "MK-7", "d3": "Without D3", "untraced": "false"}
    at = open_page("pages/timeline.py", query)
    assert at.multiselect(key="form").value == ["K2"]
    assert at.multiselect(key="k2").value == ["MK-7"]
    assert at.button_group(key="d3").value == ["without_d3"]
    assert at.toggle(key=ui.UNTRACED_KEY).value is False
    state = FilterState(k_forms=("K2",), k2_subtypes=("MK-7",), d3=("without_d3",), include_untraced=False)
    assert count_line(at) == expected_count(state) == "3 of 17 findings · 2 publications"
    assert not any("Ignored in the link" in c.value for c in at.sidebar.caption)


def test_url_years_and_search_restore_and_narrow():
    at = open_page("pages/table.py", {"years": ["2012", "2015"], "q": "bone"})
    assert at.slider(key=ui.YEARS_KEY).value == (2012, 2015)
    assert at.text_input(key=ui.SEARCH_KEY).value == "bone"
    assert count_line(at) == expected_count(FilterState(years=(2012, 2015), search="bone"))


def test_page_switches_are_bound_to_the_url():
    at = open_page("pages/timeline.py", {"y": schema.DESIGN.title})
    assert at.button_group(key="y").value == "design"
    at = open_page("pages/effects.py", {"show": EFFECTS_TABS["compare"], "split": "With vs without D3"})
    assert at.button_group(key="split").value == "d3"


@pytest.mark.parametrize(
    "query, ignored",
    [
        ({"form": "K9"}, "form=K9"),
        ({"outcome": ["Muscle", "Nonsense"]}, "outcome=Nonsense"),
        ({"years": "abc"}, "years=abc"),
        ({"years": ["1800", "2015"]}, "years=1800&2015"),
        ({"untraced": "maybe"}, "untraced=maybe"),
        ({"k2": "MK-7"}, "k2=MK-7"),
        ({"d3": "<script>alert(1)</script>"}, "d3=<script>alert(1)</script>"),
    ],
)
def test_unknown_url_values_are_ignored_with_a_notice(query, ignored):
    at = open_page("pages/overview.py", query)
    notice = at.main.children[0]  # at the top of the page, above its title
    assert any("Ignored in the link" in c.value for c in notice.caption)
    assert ignored in "\n".join(t.value for t in notice.text)
    if "outcome" in query:  # the known value still applies
        assert count_line(at) == "3 of 17 findings · 3 publications"
    else:
        assert count_line(at) == ALL_COUNT


def test_the_ignored_notice_goes_once_the_user_changes_a_filter():
    at = open_page("pages/overview.py", {"form": "K9"})
    at.multiselect(key="outcome").set_value(["fracture"]).run()
    assert not any("Ignored in the link" in c.value for c in at.caption)


def test_choosing_k2_offers_its_subtypes_and_narrows_the_count():
    at = open_page()
    assert "k2" not in [w.key for w in at.multiselect]
    at.multiselect(key="form").set_value(["K2"]).run()
    assert count_line(at) == expected_count(FilterState(k_forms=("K2",)))
    at.multiselect(key="k2").set_value(["MK-4"]).run()
    assert count_line(at) == expected_count(FilterState(k_forms=("K2",), k2_subtypes=("MK-4",))) == (
        "2 of 17 findings · 1 publication"
    )
    at.multiselect(key="form").set_value([]).run()
    assert "k2" not in [w.key for w in at.multiselect]
    assert count_line(at) == ALL_COUNT


def test_every_filter_widget_changes_the_count():
    at = open_page()
    changes = [
        (lambda: at.button_group(key="d3").set_value(["with_d3"]), FilterState(d3=("with_d3",))),
        (lambda: at.multiselect(key="design").set_value(["rct"]), FilterState(d3=("with_d3",), designs=("rct",))),
        (lambda: at.multiselect(key="direction").set_value(["benefit"]),
         FilterState(d3=("with_d3",), designs=("rct",), directions=("benefit",))),
    ]
    previous = ALL_COUNT
    for change, state in changes:
        change().run()
        assert count_line(at) == expected_count(state) != previous
        previous = count_line(at)
    at = open_page()
    at.toggle(key=ui.UNTRACED_KEY).set_value(False).run()
    assert count_line(at) == "15 of 17 findings · 13 publications"
    at.slider(key=ui.YEARS_KEY).set_value((2010, 2016)).run()
    assert count_line(at) == expected_count(FilterState(years=(2010, 2016), include_untraced=False))
    at.text_input(key=ui.SEARCH_KEY).input("no finding has this phrase").run()
    assert count_line(at).startswith("0 of 17")


def test_filters_are_kept_when_switching_pages():
    at = open_page("pages/overview.py", {"outcome": "Bone density"})
    before = count_line(at)
    for page in REGISTERED_PAGES:
        at.switch_page(page).run()
        assert not at.exception
        assert count_line(at) == before
        assert at.multiselect(key="outcome").value == ["bone_density"]


def test_sidebar_reset_restores_every_default():
    query = {"form": "K2", "k2": "MK-7", "d3": "With D3", "outcome": "Muscle", "design": "Randomised trial",
             "direction": "Benefit", "years": ["2010", "2020"], "untraced": "false", "q": "MK"}
    at = open_page("pages/overview.py", query)
    at.button(key="reset_sidebar").click().run()
    assert not at.exception
    assert count_line(at) == ALL_COUNT
    assert [at.multiselect(key=key).value for key in ("form", "outcome", "design", "direction")] == [[]] * 4
    assert at.button_group(key="d3").value == []
    assert at.slider(key=ui.YEARS_KEY).value == (2006, 2022)
    assert at.toggle(key=ui.UNTRACED_KEY).value is True
    assert at.text_input(key=ui.SEARCH_KEY).value == ""
    assert at.button(key="reset_sidebar").disabled


# ------------------------------------------------------------------------------------------ page content


def test_overview_numbers_count_publications_designs_people_and_untraced_claims():
    at = open_page("pages/overview.py")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {
        "Publications": "15", "Findings": "17", "RCTs": "5", "Meta-analyses": "2",
        "Participants": "16,562", "Untraced claims": "2",
    }
    untraced = next(df.value for df in at.dataframe if schema.LABELS["headline"] in df.value.columns)
    assert len(untraced) == 2


def test_overview_says_untraced_claims_are_hidden_by_the_filter():
    at = open_page("pages/overview.py", {"untraced": "false"})
    assert {m.label: m.value for m in at.metric}["Untraced claims"] == "0"
    assert any("Hidden by the filter" in c.value for c in at.caption)


def test_table_page_offers_the_csv_downloads_and_readable_labels_newest_first():
    at = open_page("pages/table.py", {"outcome": "Muscle"})
    assert [b.label for b in at.get("download_button")] == [
        "Download CSV", "Download CSV for Excel", "Download CSV with labels"]
    table = at.dataframe[0].value
    assert len(table) == 3
    assert set(table["outcome"].astype(str)) == {schema.OUTCOME.label("muscle")}
    assert list(table.columns[:8]) == list(schema.TABLE_FIRST_COLUMNS)
    assert table["published"].tolist() == sorted(table["published"], reverse=True)
    assert at.dataframe[0].proto.placeholder == "—"  # what a missing value shows, never 'None'
    assert not (table == "").any().any()  # empty text is missing too, so it gets the placeholder


def test_the_table_shows_the_columns_the_reader_chooses():
    at = open_page("pages/table.py", {"columns": ["Finding", "Direction"]})
    shown = list(at.dataframe[0].proto.column_order)
    assert shown == ["headline", "direction"]


@pytest.mark.parametrize("tab, chart", [("plot", catalogue.EFFECT_DIRECTION_PLOT), ("compare", catalogue.K1_VS_K2),
                                        ("votes", catalogue.VOTE_COUNT)], ids=["plot", "compare", "votes"])
def test_effects_page_builds_only_the_open_tab(tab, chart):
    at = open_page("pages/effects.py", {"show": EFFECTS_TABS[tab]})
    assert [t.label for t in at.tabs] == list(EFFECTS_TABS.values())
    (drawn,) = at.get("plotly_chart")
    assert f"_{chart.key}" in drawn.proto.config  # the camera button's file name ends with the chart's key
    assert ("split" in [group.key for group in at.button_group]) == (tab == "compare")  # its switch is in its tab
    assert bool(at.dataframe) == (tab == "votes")


def test_timeline_builds_publications_per_year_once_opened_and_the_link_keeps_it():
    at = open_page("pages/timeline.py")
    (drawn,) = at.get("plotly_chart")
    assert f"_{catalogue.TIMELINE_BY_OUTCOME.key}" in drawn.proto.config
    assert [e.label for e in at.expander] == [catalogue.PUBLICATIONS_PER_YEAR.title]
    opened = open_page("pages/timeline.py", {"per_year": "true"})  # the link of a reader who opened it
    assert [f"_{chart.key}" in drawn.proto.config for drawn, chart in zip(
        opened.get("plotly_chart"), (catalogue.TIMELINE_BY_OUTCOME, catalogue.PUBLICATIONS_PER_YEAR))] == [True, True]


def test_about_sends_its_record_list_and_code_tables_only_once_opened(monkeypatch):
    monkeypatch.delenv(ui.DATA_ENV_VAR)
    at = open_page("pages/about.py")
    shown = len(at.dataframe)  # the data dictionary, always shown
    at.session_state["records"] = True  # what opening the expander sets
    at.run()
    assert len(at.dataframe) == shown + 1
    assert "Title" in at.dataframe[0].value.columns


def test_effects_page_shows_the_vote_count_table_with_labels():
    at = open_page("pages/effects.py", {"show": EFFECTS_TABS["votes"]})
    votes = at.dataframe[0].value.set_index("outcome")
    voting, _ = stats.voting_rows(loader.load_findings(FIXTURE))  # the chart's rows: primary evidence only
    expected = stats.vote_counts(voting).loc["bone_density"]
    assert votes.loc[schema.OUTCOME.label("bone_density"), schema.DIRECTION.label("benefit")] == expected["benefit"] == 3
    assert votes.loc[schema.OUTCOME.label("bone_density"), "sign_test_p"] == round(expected["sign_test_p"], 3)


def test_finding_card_shows_hostile_strings_only_as_plain_text():
    def card(path: str) -> None:
        from kviz import loader, ui

        frame = loader.load_findings(path)
        ui.finding_card(frame[frame["finding_id"] == "t-markup-2018"].iloc[0])

    at = AppTest.from_function(card, default_timeout=30, args=(str(FIXTURE),))
    at.run()
    assert not at.exception
    shown = texts(at)
    for hostile in ("<b>not bold</b>", "[link](javascript:alert(1))", "<script>alert(1)</script>", "=cmd|"):
        assert hostile in shown
    rendered = [m.value for m in at.markdown] + [c.value for c in at.caption]
    assert not any("<" in value or "javascript" in value for value in rendered)


# ------------------------------------------------------------------------------------------ data loading


def test_a_broken_findings_file_shows_every_problem_and_no_traceback(tmp_path, monkeypatch):
    broken = tmp_path / "broken.csv"
    lines = FIXTURE.read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2].replace(",rct,", ",randomised,", 1)
    lines[3] = lines[3].replace(",without_d3,", ",maybe,", 1)
    broken.write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.setenv(ui.DATA_ENV_VAR, str(broken))
    at = open_page("pages/overview.py")
    assert "2 problems found" in at.error[0].value
    problems = shown_problems(at)
    assert list(problems.columns) == ["File", "Row", "Column", "Value", "Allowed", "Problem"]
    assert list(problems["Row"]) == [3, 4]
    assert list(problems["Column"]) == ["design", "d3"]
    assert list(problems["Value"]) == ["randomised", "maybe"]
    assert ", ".join(schema.DESIGN.codes) == problems["Allowed"][0]
    assert not at.get("plotly_chart")


def test_a_missing_findings_file_is_reported(tmp_path, monkeypatch):
    monkeypatch.setenv(ui.DATA_ENV_VAR, str(tmp_path / "nowhere.csv"))
    at = open_page("pages/table.py")
    assert "could not be loaded" in at.error[0].value
    assert shown_problems(at)["File"][0] == "nowhere.csv"  # the name only: a server's folders stay private


def test_an_edited_findings_file_is_reloaded(tmp_path, monkeypatch):
    data = tmp_path / "findings.csv"
    lines = FIXTURE.read_text(encoding="utf-8").splitlines(keepends=True)
    data.write_text("".join(lines), encoding="utf-8")
    monkeypatch.setenv(ui.DATA_ENV_VAR, str(data))
    at = open_page()
    assert count_line(at) == ALL_COUNT
    data.write_text("".join(lines[:-1]), encoding="utf-8")  # one finding fewer: new size, new mtime
    at.run()
    assert count_line(at) == "16 of 16 findings · 14 publications"


@pytest.mark.parametrize("page", REGISTERED_PAGES)
def test_every_page_runs_on_the_bundled_findings(page, monkeypatch):
    monkeypatch.delenv(ui.DATA_ENV_VAR)
    at = open_page(page)
    bundled = loader.load_findings()
    assert count_line(at).startswith(f"{len(bundled):,} of {len(bundled):,} findings")
    assert not at.error


def test_about_draws_the_search_flow_from_the_bundled_files(monkeypatch):
    monkeypatch.delenv(ui.DATA_ENV_VAR)
    at = open_page("pages/about.py")
    records = screening.load_screening(screening.screening_path_for(loader.DEFAULT_DATA_PATH))
    (chart,) = at.get("plotly_chart")
    assert f"Records considered: {len(records)}" in chart.proto.spec
    assert f"Excluded: {(records['decision'] == 'excluded').sum()}" in chart.proto.spec


def test_a_link_with_a_huge_search_is_cut_to_the_cap_and_says_so():
    at = open_page("pages/overview.py", {"q": " ".join(["bone"] * 8000)})  # 40,000 characters
    assert len(at.text_input(key=ui.SEARCH_KEY).value) == filters.MAX_SEARCH_CHARACTERS
    assert len(at.query_params["q"]) == filters.MAX_SEARCH_CHARACTERS  # the link the user copies is cut too
    assert any(f"first {filters.MAX_SEARCH_WORDS} words" in c.value for c in at.sidebar.caption)


def test_a_file_with_thousands_of_odd_columns_gives_a_short_data_note(tmp_path, monkeypatch):
    lines = FIXTURE.read_text(encoding="utf-8").splitlines()
    extra = [f"extra_{i:04d}" for i in range(3000)]
    wide = [lines[0] + "," + ",".join(extra)] + [line + "," * len(extra) for line in lines[1:]]
    path = tmp_path / "wide.csv"
    path.write_text("\n".join(wide) + "\n", encoding="utf-8")
    monkeypatch.setenv(ui.DATA_ENV_VAR, str(path))
    at = open_page("pages/overview.py")
    notes = [t.value for t in at.sidebar.text if "unknown column" in t.value]
    assert len(notes) == 1 and len(notes[0]) < 1000
    assert count_line(at) == ALL_COUNT
