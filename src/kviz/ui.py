"""Streamlit pieces shared by the app frame and its pages (the one kviz module that imports streamlit).

- `active_findings()` decides which findings the app shows: one place, so data sources are added here.
- `build_view()` (app.py) draws the sidebar filters, bound to the URL so a copied link reopens the same
  view, and filters the findings once per run; `page_view()` (first call of every page) hands that view on.
- The rest draws what several pages show alike: header, empty-result notice, charts, table, detail card.

Data strings (headlines, citations, notes, search text) are only ever shown as plain text (st.text,
st.dataframe) or in plotly figures that escape them; links are built only from https URLs and DOIs.
"""

from __future__ import annotations

import datetime
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from kviz import effect_sizes, export, filters, loader, schema, screening, upload
from kviz.charts.catalogue import Chart
from kviz.charts.style import chart_config
from kviz.filters import FilterState
from kviz.loader import FindingsError

DATA_ENV_VAR = "KVIZ_DATA"  # path of a findings CSV that replaces the bundled file (tests, benchmarks)
DOI_PREFIX = "https://doi.org/"
HTTPS = "https://"
_VIEW_KEY = "_kviz_view"
_DATA_KEY = "_kviz_data"  # this session's upload.Selection (pages/data.py)
_LINK_KEY = "_kviz_link"  # (link values ignored, filters the link asked for), set on a session's first run
_SELECT_FINDINGS_LIMIT = 12  # detail cards shown at once for a multi-point selection


# ------------------------------------------------------------------------------------------------ data


@st.cache_resource(show_spinner="Loading findings…", max_entries=2)
def _load_file(path: str, modified_ns: int, size: int) -> pd.DataFrame:
    """The typed findings of one file version: the cache key includes mtime and size, so edits reload.

    One shared, read-only frame for every session (pages only derive new frames from it; pandas'
    copy-on-write keeps those apart): st.cache_data would unpickle a copy on every rerun, ~0.8 s at 100k rows.
    """
    return loader.load_findings(path)


def data_path() -> Path:
    """The findings file in use: $KVIZ_DATA when set, else the bundled data/findings.csv."""
    return Path(os.environ.get(DATA_ENV_VAR) or loader.DEFAULT_DATA_PATH)


def active_findings() -> pd.DataFrame | None:
    """The findings every page explores, or None after showing why they could not be loaded."""
    chosen = data_selection().frame
    return chosen if chosen is not None else bundled_findings()


def data_selection() -> upload.Selection:
    """This session's choice of data on the Data page: in session state only, never on disk or in a shared cache."""
    return st.session_state.get(_DATA_KEY) or upload.Selection()


def set_data_selection(selection: upload.Selection) -> None:
    st.session_state[_DATA_KEY] = selection


def bundled_findings() -> pd.DataFrame | None:
    """The findings file's table, or None after showing why it could not be loaded."""
    path = data_path()
    try:
        stat = path.stat()
        return _load_file(str(path), stat.st_mtime_ns, stat.st_size)
    except OSError:
        problems = FindingsError([schema.Problem("file not found or not readable", str(path))])
    except FindingsError as error:
        problems = error
    show_problems(problems, "The findings file could not be loaded.")
    return None


@st.cache_resource(max_entries=2)
def _load_screening(path: str, modified_ns: int, size: int) -> pd.DataFrame:
    return screening.load_screening(path)


def bundled_screening() -> pd.DataFrame | None:
    """The screening records of the findings file in use, or None when it has none (or they do not load)."""
    path = screening.screening_path_for(data_path())
    try:
        stat = path.stat()
        return _load_screening(str(path), stat.st_mtime_ns, stat.st_size)
    except (OSError, FindingsError):
        return None


def show_problems(error: FindingsError, headline: str) -> None:
    """Every problem of a failed load as a table (file, row, column, value, allowed), never a traceback."""
    st.error(f"{headline} {error.total} problem{'s' if error.total != 1 else ''} found — fix them and reload.")
    problem_table(error.table())


_PROBLEM = loader.PROBLEM_LABELS
# In reading order: where, what is there, what is wrong, what would be right, then the file.
_PROBLEM_COLUMNS = {
    _PROBLEM["row"]: st.column_config.NumberColumn(format="%d", help="As a spreadsheet numbers it: the header is row 1."),
    _PROBLEM["column"]: st.column_config.TextColumn(),
    _PROBLEM["value"]: st.column_config.TextColumn(),
    _PROBLEM["message"]: st.column_config.TextColumn(width="medium"),
    _PROBLEM["allowed"]: st.column_config.TextColumn(width="large"),
    _PROBLEM["file"]: st.column_config.TextColumn(),
}


def problem_table(table: pd.DataFrame) -> None:
    """A `loader.problems_table` as plain cells: file names and values come from the user's file."""
    st.dataframe(
        table, hide_index=True, width="stretch", column_config=_PROBLEM_COLUMNS, column_order=list(_PROBLEM_COLUMNS),
        placeholder="—",
    )


# ------------------------------------------------------------------------------------------------ filters


@dataclass(frozen=True)
class Choice:
    """A multi-value sidebar filter: its URL parameter (also its session-state key) and FilterState field."""

    key: str
    field: str
    label: str
    options: tuple[str, ...]
    help: str
    pills: bool = False  # a few short options read better as pills than as a drop-down

    @property
    def vocabulary(self) -> schema.Vocabulary:
        return filters.MULTI_VALUE_FIELDS[self.field]

    def option_label(self, code: str) -> str:
        """The chip text, which is also the value in the URL (e.g. 'K2', 'MK-7', 'With D3')."""
        return self.vocabulary.short_label(code)


# The K families whose subtypes can be chosen separately (K2 -> K2 not stated, MK-4, MK-7).
_SUBTYPE_FAMILIES = tuple(dict.fromkeys(schema.K_FORM[code].family for code in schema.K2_SUBTYPES))


def _join_labels(vocabulary: schema.Vocabulary, codes: tuple[str, ...] | list[str]) -> str:
    return ", ".join(vocabulary.short_label(code) for code in codes)


FORM = Choice(
    "form", "k_forms", schema.K_FAMILY.title, tuple(schema.K_FAMILY.codes),
    f"{_join_labels(schema.K_FAMILY, _SUBTYPE_FAMILIES)}: choose it to narrow to "
    f"{_join_labels(schema.K_FORM, schema.K2_SUBTYPES)}. Nothing chosen = every form.",
)
SUBTYPE = Choice(
    "k2", "k2_subtypes", f"{_join_labels(schema.K_FAMILY, _SUBTYPE_FAMILIES)} subtype", schema.K2_SUBTYPES,
    " ".join(f"{schema.K_FORM.short_label(code)}: {schema.K_FORM[code].description}" for code in schema.K2_SUBTYPES)
    + " Nothing chosen = all.",
)
D3 = Choice("d3", "d3", "Vitamin D3 alongside", tuple(schema.D3.codes), "Whether vitamin D3 was given or studied too.", pills=True)
OUTCOME = Choice("outcome", "outcomes", schema.OUTCOME.title, tuple(schema.OUTCOME.codes), "What was measured.")
DESIGN = Choice("design", "designs", schema.DESIGN.title, tuple(schema.DESIGN.codes), "What kind of study it is.")
DIRECTION = Choice(
    "direction", "directions", schema.DIRECTION.title, tuple(schema.DIRECTION.codes),
    "What the study found for vitamin K on the outcome.",
)
CHOICES: tuple[Choice, ...] = (FORM, SUBTYPE, D3, OUTCOME, DESIGN, DIRECTION)
YEARS_KEY = "years"
UNTRACED_KEY = "untraced"
FLAGGED_KEY = "flagged"
TOGGLE_KEYS = (UNTRACED_KEY, FLAGGED_KEY)
SEARCH_KEY = "q"
URL_BOOLEANS = ("true", "false")  # how Streamlit writes a bound toggle into the URL


def filter_defaults(findings: pd.DataFrame) -> dict[str, Any]:
    """Session-state value of every filter widget when nothing is filtered (what Reset restores)."""
    defaults: dict[str, Any] = {choice.key: [] for choice in CHOICES}
    bounds = filters.year_bounds(findings)
    if bounds is not None:
        defaults[YEARS_KEY] = bounds
    defaults.update(dict.fromkeys(TOGGLE_KEYS, True))
    defaults[SEARCH_KEY] = ""
    return defaults


def _reset_filters(defaults: dict[str, Any]) -> None:
    for key, value in defaults.items():
        st.session_state[key] = value


def reset_button(view: "View", key: str, **kwargs: Any) -> None:
    """A button that sets every filter back to 'all findings' (the URL follows the widgets)."""
    st.button(
        "Reset filters", key=key, icon=":material/restart_alt:", on_click=_reset_filters,
        args=(filter_defaults(view.findings),), disabled=view.state.is_default, **kwargs,
    )


def _ignored_url_values(bounds: tuple[int, int] | None) -> list[str]:
    """'key=value' for link values no filter accepts: Streamlit drops them, the sidebar says so.

    Subtypes without their family are dropped here (their widget is not drawn, so nothing would).
    """
    ignored = []
    subtypes = st.query_params.get_all(SUBTYPE.key)
    family_chosen = set(st.query_params.get_all(FORM.key)) & {FORM.option_label(f) for f in _SUBTYPE_FAMILIES}
    if subtypes and not family_chosen:
        ignored += [f"{SUBTYPE.key}={v} (choose {_join_labels(schema.K_FAMILY, _SUBTYPE_FAMILIES)} first)" for v in subtypes]
        del st.query_params[SUBTYPE.key]
    for choice in CHOICES:
        allowed = {choice.option_label(code) for code in choice.options}
        ignored += [f"{choice.key}={v}" for v in st.query_params.get_all(choice.key) if v and v not in allowed]
    years = st.query_params.get_all(YEARS_KEY)
    if years and (bounds is None or len(years) != 2 or not all(_year_within(v, bounds) for v in years)):
        ignored.append(f"{YEARS_KEY}={'&'.join(years)}")
    ignored += [f"{key}={v}" for key in TOGGLE_KEYS for v in st.query_params.get_all(key) if v.lower() not in URL_BOOLEANS]
    return ignored


def _year_within(text: str, bounds: tuple[int, int]) -> bool:
    return text.strip().isdigit() and bounds[0] <= int(text) <= bounds[1]


def _choice_widget(choice: Choice) -> list[str]:
    common = dict(format_func=choice.option_label, key=choice.key, help=choice.help, bind="query-params")
    if choice.pills:
        return st.pills(choice.label, choice.options, selection_mode="multi", **common)
    return st.multiselect(choice.label, choice.options, placeholder="All", **common)


def _sidebar_filters(findings: pd.DataFrame) -> FilterState:
    """Draw the filters in the sidebar and return the state they describe."""
    bounds = filters.year_bounds(findings)
    opened_from_link = _LINK_KEY not in st.session_state  # a session's first run: the URL comes from a link
    ignored = _ignored_url_values(bounds) if opened_from_link else []
    values: dict[str, Any] = {}
    for choice in CHOICES:
        if choice is SUBTYPE and not set(values[FORM.field]) & set(_SUBTYPE_FAMILIES):
            continue  # subtypes only narrow their family: offered once the family is chosen
        values[choice.field] = tuple(_choice_widget(choice))
    years = None
    if bounds is not None and bounds[0] < bounds[1]:
        chosen = st.slider("Published", *bounds, value=bounds, step=1, key=YEARS_KEY, bind="query-params",
                           help="Years of publication. Narrowing them leaves out undated findings.")
        years = None if tuple(chosen) == bounds else tuple(chosen)
    include_untraced = st.toggle(
        "Include untraced claims", value=True, key=UNTRACED_KEY, bind="query-params",
        help="Claims from the Vitamin D Life list for which no study could be identified.",
    )
    include_flagged = st.toggle(
        "Include retracted or questioned studies", value=True, key=FLAGGED_KEY, bind="query-params",
        help="Findings from publications that were retracted or are under an expression of concern. They are "
        "marked wherever they appear; switch this off to leave them out.",
    )
    search = st.text_input(
        "Search", key=SEARCH_KEY, bind="query-params", icon=":material/search:",
        placeholder="Words in headline, citation, population, notes",
    )
    state = FilterState(**values, years=years, include_untraced=include_untraced, include_flagged=include_flagged,
                        search=search or "")
    if opened_from_link:
        st.session_state[_LINK_KEY] = (ignored, state)
    return state


@dataclass(frozen=True)
class View:
    """What every page shows: all active findings, the filters, and the rows that pass them."""

    findings: pd.DataFrame
    state: FilterState
    rows: pd.DataFrame

    @property
    def caption(self) -> str:
        return filters.caption(self.state)

    @property
    def count_line(self) -> str:
        """'N of M findings · P publications' for the filtered rows."""
        publications = self.rows["study_id"].nunique()
        return (
            f"{len(self.rows):,} of {len(self.findings):,} findings · "
            f"{publications:,} publication{'s' if publications != 1 else ''}"
        )


def build_view() -> View | None:
    """Load the findings, draw the sidebar filters, filter once; app.py calls this on every run."""
    findings = active_findings()
    if findings is None:
        return None
    with st.sidebar:
        _uploaded_data_note()
        st.header("Filters", divider="gray")
        count_slot = st.empty()
        state = _sidebar_filters(findings)
        view = View(findings, state, filters.apply_filters(findings, state))
        count_slot.markdown(f"**{view.count_line}**")
        reset_button(view, key="reset_sidebar", width="stretch")
        ignored, link_state = st.session_state[_LINK_KEY]
        if ignored and state == link_state:  # until the user changes a filter
            st.caption(":material/info: Ignored in the link (not a known value):")
            st.text("\n".join(ignored))
        for warning in findings.attrs.get("warnings", []):
            st.caption(":material/warning: Data note:")
            st.text(warning)
    st.session_state[_VIEW_KEY] = view
    return view


def _uploaded_data_note() -> None:
    """Every page says so when the session explores an upload instead of the bundled findings."""
    choice = data_selection().choice
    if choice is not upload.DataChoice.BUNDLED:
        st.page_link("pages/data.py", label=f"Data: {choice.label}", icon=":material/upload_file:",
                     help="Change or remove your upload on the Data page.")


def _leave_pages_directory_mode() -> None:
    """Route a cold deep link through app.py.

    With a `pages/` folder next to app.py, a fresh server runs `pages/<name>.py` on its own (Streamlit's
    old multipage mode) until app.py has run once; a shared link opened first would get no data and no
    filters. Clearing the flag and rerunning sends the run through app.py, which lands on the linked page
    with its URL filters. (Internal flag: the cold-link browser test proves it still works.)
    """
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def page_view(title: str, intro: str = "", *, shows_findings: bool = True) -> View:
    """Every page's first call: the current view under a title; stops with a friendly notice when no rows match."""
    _leave_pages_directory_mode()
    view: View = st.session_state[_VIEW_KEY]
    st.title(title)
    if intro:
        st.markdown(intro)
    if not shows_findings:
        return view
    st.text(f"{view.count_line}  —  {view.caption}")  # plain text: the search words come from the URL
    if view.rows.empty:
        with st.container(border=True):
            st.subheader(":material/filter_alt_off: No findings match these filters")
            st.markdown("Remove a filter in the sidebar, or reset them all to see every finding again.")
            reset_button(view, key="reset_empty", type="primary")
        st.stop()
    return view


def page_choice(label: str, options: dict[str, str], key: str, help: str = "") -> str:
    """A page's own switch (e.g. timeline rows), bound to the URL like the filters."""
    return st.segmented_control(
        label, list(options), format_func=options.get, default=next(iter(options)), required=True,
        key=key, bind="query-params", help=help or None,
    )


# ------------------------------------------------------------------------------------------------ charts


def chart(view: View, chart: Chart, *, figure: go.Figure | None = None, key: str | None = None,
          selectable: bool = False) -> Any:
    """Draw a catalogue chart full width for the view (or `figure`, a variant of it built with a page's own choices);
    its camera button saves an image named after the chart and the filters."""
    return st.plotly_chart(
        figure if figure is not None else chart.figure(view.rows, view.state), width="stretch",
        config=chart_config(chart.filename(view.state, datetime.date.today())), key=key,
        on_select="rerun" if selectable else "ignore", selection_mode=("points", "box"),
    )


def selected_rows(event: Any, rows: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    """The rows behind the selected points of a chart drawn with `selectable=True`.

    Each point's customdata starts with the values of `columns` (e.g. finding_id; or k_form, outcome).
    """
    points = event.selection.points if event else []
    wanted = {tuple(str(v) for v in point["customdata"][: len(columns)]) for point in points if point.get("customdata")}
    if not wanted:
        return rows.iloc[:0]
    keys = zip(*(rows[column].astype(str) for column in columns))
    return rows[[key in wanted for key in keys]]


# ------------------------------------------------------------------------------------------------ table


def doi_link(doi: str) -> str | None:
    """https://doi.org/<doi> for a bare DOI, else None."""
    return DOI_PREFIX + doi if doi else None


def https_link(url: str) -> str | None:
    """The URL when it is https, else None: no other scheme becomes a link."""
    return url if url.startswith(HTTPS) else None


def table_frame(rows: pd.DataFrame) -> pd.DataFrame:
    """The rows with readable category labels and link columns, for st.dataframe."""
    table = rows[list(schema.COLUMN_NAMES)].copy()
    for name, vocabulary in schema.VOCABULARIES.items():
        table[name] = table[name].cat.rename_categories(vocabulary.labels)
    table["doi"] = table["doi"].map(doi_link)
    table["url"] = table["url"].map(https_link)
    return table.reset_index(drop=True)


_COLUMN_WIDTHS = {"headline": "large", "citation": "large", "notes": "large", "population": "large", "k_form": "medium"}


def _column_config() -> dict[str, Any]:
    config: dict[str, Any] = {}
    for column in schema.COLUMNS:
        label, help = column.label, column.description
        if column.kind == "doi":
            config[column.name] = st.column_config.LinkColumn(label, help=help, display_text=r"https://doi\.org/(.+)")
        elif column.kind == "url":
            config[column.name] = st.column_config.LinkColumn(label, help=help, display_text=r"https://(?:www\.)?([^/]+)")
        elif column.is_number:
            config[column.name] = st.column_config.NumberColumn(label, help=help, format="localized")
        else:
            config[column.name] = st.column_config.TextColumn(label, help=help, width=_COLUMN_WIDTHS.get(column.name))
    return config


_HIDDEN_COLUMNS = ("finding_id", "study_id")
_ROW_HEIGHT = 35  # st.dataframe's default row (and header) height in pixels
# A table shows this many rows at a time: st.dataframe sends every row it is given to the browser
# (100k findings were ~36 MB), so larger results are paged. Downloads always hold every row.
TABLE_PAGE_ROWS = 500


def findings_table(rows: pd.DataFrame, key: str, max_height: int = 420) -> pd.DataFrame:
    """An interactive table of findings, paged beyond TABLE_PAGE_ROWS; returns the selected row (at most one)."""
    # Other rows, another table: Streamlit keeps a selection (and a page) by position, which must not land on
    # another finding.
    rows_digest = hashlib.blake2b(pd.util.hash_pandas_object(rows["finding_id"], index=False).to_numpy().tobytes(),
                                  digest_size=8).hexdigest()
    shown, page = rows, 1
    if len(rows) > TABLE_PAGE_ROWS:
        pages = -(-len(rows) // TABLE_PAGE_ROWS)
        with st.container(horizontal=True, vertical_alignment="center"):
            page = st.pagination(pages, key=f"{key}-page-{rows_digest}")
            first = (page - 1) * TABLE_PAGE_ROWS
            shown = rows.iloc[first : first + TABLE_PAGE_ROWS]
            st.caption(f"Rows {first + 1:,}–{first + len(shown):,} of {len(rows):,}")
    height = min(max_height, (len(shown) + 1) * _ROW_HEIGHT + 3)  # no empty grid below a few rows
    event = st.dataframe(
        table_frame(shown), key=f"{key}-{rows_digest}-{page}", hide_index=True,
        width="stretch", height=height, column_config=_column_config(),
        column_order=[name for name in schema.COLUMN_NAMES if name not in _HIDDEN_COLUMNS],
        on_select="rerun", selection_mode="single-row",
    )
    return shown.iloc[event.selection.rows]


# ------------------------------------------------------------------------------------------------ detail card


def _fact(label: str, value: str) -> None:
    with st.container(gap="xxsmall"):
        st.caption(label)
        st.text(value or "—")


def _number(value: Any) -> str:
    if pd.isna(value):
        return ""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


_CARD_NUMBERS = ("n_participants", "dose_ug_per_day", "duration_months")
_CARD_TEXTS = (("comparison", "site", "population", "dose_text", "effect_size"), ("citation", "notes", "doi"))
_INTEGRITY_BADGES = {"concern": "orange", "retracted": "red"}


def _card_line(row: pd.Series) -> str:
    """'2013-03 · Randomised trial · Double-blind · K2 as MK-7 · K given without D3 · Bone density': schema labels
    and the validated date only, since a caption renders markdown."""
    codes = (schema.VOCABULARIES[column].label(row[column])
             for column in ("design", "blinding", "k_form", "d3", "outcome") if pd.notna(row[column]))
    return " · ".join([row["published"] or "Undated", *codes])


def finding_card(row: pd.Series) -> None:
    """One finding in full, every data string as plain text, with its DOI, source and evidence links."""
    with st.container(border=True):
        st.caption(_card_line(row))
        if row["integrity"] in _INTEGRITY_BADGES:
            st.badge(schema.INTEGRITY.label(row["integrity"]), color=_INTEGRITY_BADGES[row["integrity"]],
                     icon=":material/report:")
        st.text(row["headline"])
        facts = [
            (schema.LABELS["direction"], schema.DIRECTION.label(row["direction"])),
            ("Effect (95% CI)", effect_sizes.effect_text(row)),
            *((schema.LABELS[column], _number(row[column])) for column in _CARD_NUMBERS),
            (schema.LABELS["source_match"], schema.SOURCE_MATCH.label(row["source_match"])),
        ]
        for column, (label, value) in zip(st.columns(len(facts)), facts):
            with column:
                _fact(label, value)
        for column, names in zip(st.columns(len(_CARD_TEXTS)), _CARD_TEXTS):
            with column:
                for name in names:
                    if row[name]:
                        _fact(schema.LABELS[name], row[name])
        links = {"Open at doi.org": doi_link(row["doi"]), "Open source page": https_link(row["url"])}
        if https_link(row["evidence_url"]) not in links.values():
            links["Page the facts were read on"] = https_link(row["evidence_url"])
        with st.container(horizontal=True):
            for label, url in links.items():
                if url:
                    st.link_button(label, url, icon=":material/open_in_new:")


def finding_cards(rows: pd.DataFrame, empty_hint: str) -> None:
    """Detail cards for selected findings (a hint when nothing is selected)."""
    if rows.empty:
        st.caption(empty_hint)
        return
    if len(rows) > _SELECT_FINDINGS_LIMIT:
        st.caption(f"Showing {_SELECT_FINDINGS_LIMIT} of the {len(rows)} selected findings.")
    for _, row in rows.head(_SELECT_FINDINGS_LIMIT).iterrows():
        finding_card(row)
