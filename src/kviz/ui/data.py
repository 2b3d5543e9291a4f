"""Which findings the app shows (bundled file, $KVIZ_DATA or this session's upload), and how a failed load reads."""

from __future__ import annotations

import os
import re
from contextlib import suppress
from functools import partial
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from streamlit.runtime import Runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx
from streamlit.runtime.state import SafeSessionState

from kviz import data_version, loader, memory, schema, screening, upload
from kviz.charts.flow import search_flow
from kviz.loader import FindingsError

DATA_ENV_VAR = "KVIZ_DATA"  # path of a findings CSV that replaces the bundled file (tests, benchmarks)
_DATA_KEY = "_kviz_data"  # this session's upload.Selection (pages/data.py)
# While an upload is explored the URL says so (?data=My+upload+only, see data_indicator).
UPLOAD_IN_URL = "data"
_UPLOAD_LOST_KEY = "_kviz_upload_lost"

memory.use_returnable_allocators()  # once per server process, on its first run: before any upload is parsed


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
    st.session_state.pop(_UPLOAD_LOST_KEY, None)


@st.cache_resource
def _upload_release_watch() -> memory.ReleaseWatch:
    return memory.ReleaseWatch(is_alive=Runtime.instance().is_active_session)


def release_upload_when_tab_closes() -> None:
    """A session that holds a file ends when its tab's connection closes, and its memory goes back to the system.

    Streamlit otherwise keeps a closed session, with the file it holds and the table parsed from it (together about
    five times the file's size), for server.disconnectedSessionTTL (120 s), so that a dropped connection can resume;
    its server loop also keeps the last session it served until another visitor comes; and the freed pages stay
    with the process. Twenty visitors uploading in a meeting would hold gigabytes. The price: a tab whose connection
    drops starts a new session, and `upload_lost_notice` asks for the file again. Sessions without an upload keep
    Streamlit's resume (everything they show is in the URL anyway).
    """
    context = get_script_run_ctx()
    if context is None or not Runtime.exists():  # AppTest: no server, no sessions to end
        return
    Runtime.instance().mark_session_nonresumable(context.session_id)
    _upload_release_watch().watch(context.session_id, partial(_forget_session_state, context.session_state))


def _forget_session_state(state: SafeSessionState) -> None:
    """Drop an ended session's values (its upload, the table parsed from it, the view built on it): Streamlit's
    server loop keeps the last session it served until the next visitor comes, and with it whatever the session
    state still holds. (A page's callbacks keep that page's globals alive too: the Data page keeps no table in
    them.)"""
    for key in list(state.filtered_state):
        with suppress(KeyError):  # gone meanwhile: nothing to drop
            del state[key]


def data_indicator() -> None:
    """Say in the sidebar which findings are shown, and keep it in the URL (?data=My+upload+only) while an upload is
    explored: a session that starts from such a URL without the upload (a server restart, another replica, a
    shared link) then knows the upload is not here (`upload_lost_notice`). A widget bound to the URL, because page
    navigation keeps only those parameters."""
    selection = data_selection()
    if selection.choice is upload.DataChoice.BUNDLED:
        # This session's own indicator leaves the URL with its widget; a URL that says "upload" from elsewhere is a
        # lost upload.
        if UPLOAD_IN_URL in st.query_params and UPLOAD_IN_URL not in st.session_state:
            del st.query_params[UPLOAD_IN_URL]
            st.session_state[_UPLOAD_LOST_KEY] = True
        return
    if UPLOAD_IN_URL not in st.session_state:  # the widget's first run: it binds, but writes the URL only later
        st.query_params[UPLOAD_IN_URL] = selection.choice.label
    st.session_state[UPLOAD_IN_URL] = selection.choice  # what is really shown, whatever the link said
    st.segmented_control(
        "Data", [selection.choice], format_func=lambda choice: choice.label, key=UPLOAD_IN_URL, bind="query-params",
        disabled=True, help="Change it on the Data page.",
    )
    st.page_link("pages/data.py", label="Change or remove the upload", icon=":material/upload_file:")


def upload_lost_notice() -> None:
    """Until a file is uploaded again: the page says the upload it was opened with is not in this session."""
    if st.session_state.get(_UPLOAD_LOST_KEY) and data_selection().choice is upload.DataChoice.BUNDLED:
        st.warning(
            "**The uploaded file this page showed is not here.** An upload lives only in the browser session that "
            "made it, so it is gone after the server restarted or in a link opened elsewhere. You are seeing the "
            "bundled findings; upload the file again on the Data page to explore it.",
            icon=":material/cloud_off:",
        )


def _file_token(path: Path) -> str:
    """A file's path, modification time and size: an edited file is new data."""
    try:
        stat = path.stat()
        return f"{path}:{stat.st_mtime_ns}:{stat.st_size}"
    except OSError:
        return str(path)


def data_token() -> str:
    """Names the findings in use, for caches shared between sessions: the upload's content hash and the choice, or
    the bundled file's token (_file_token)."""
    bundled = _file_token(data_path())
    selection = data_selection()
    if selection.frame is None or selection.upload is None:
        return bundled
    return f"{selection.choice}:{selection.upload.digest}:{bundled if selection.choice is upload.DataChoice.COMBINED else ''}"


def bundled_findings() -> pd.DataFrame | None:
    """The findings file's table, or None after showing why it could not be loaded (naming the file, not its path:
    a server's directories are none of a visitor's business)."""
    path = data_path()
    try:
        stat = path.stat()
        return _load_file(str(path), stat.st_mtime_ns, stat.st_size)
    except OSError:
        problems = FindingsError([schema.Problem("file not found or not readable", path.name)])
    except FindingsError as error:
        problems = error
    show_problems(problems, f"The findings file {path.name} could not be loaded.")
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


@st.cache_data(max_entries=2, show_spinner=False)
def _search_flow_spec(files_token: str, _records: pd.DataFrame, _findings: pd.DataFrame) -> dict:
    return search_flow(screening.flow(_records, _findings)).to_dict()


def search_flow_figure(records: pd.DataFrame, findings: pd.DataFrame) -> go.Figure:
    """The bundled search's flow chart (About & method), drawn once per version of the findings and screening
    files for every session (see ui.page.shared_figure on why a dict is cached)."""
    path = data_path()
    token = f"{_file_token(path)}|{_file_token(screening.screening_path_for(path))}"
    return go.Figure(_search_flow_spec(token, records, findings), _validate=False)


def show_problems(error: FindingsError, headline: str) -> None:
    """Every problem of a failed load as a table (file, row, column, value, allowed), never a traceback."""
    st.error(f"{headline} {error.total} problem{'s' if error.total != 1 else ''} found — fix them and reload.")
    problem_table(error.table())


def problem_table(table: pd.DataFrame) -> None:
    """A `loader.problems_table` shown whole: every message and hint wraps instead of ending in '…'.

    st.table reads cells as Markdown, and file names and values come from the user's file: every cell is escaped to
    literal text, so a value can never become a link, an image or an icon."""
    shown = table.copy()
    shown[loader.PROBLEM_LABELS["file"]] = shown[loader.PROBLEM_LABELS["file"]].map(lambda name: Path(str(name)).name)
    cells = shown.astype(object).where(shown.notna(), "").astype(str).map(literal_markdown)
    st.table(cells.replace("", "—"), hide_index=True)


_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~:$=&^\"'%@/])")


def literal_markdown(text: str) -> str:
    """`text` with every Markdown, HTML, emoji/icon and LaTeX character backslash-escaped: it renders as written."""
    return _MARKDOWN_SPECIALS.sub(r"\\\1", text).replace("\n", " ")


def data_label() -> str:
    """Which data a chart shows, for its source line: 'data version 2 of 2 December 2026', or the upload's name."""
    selection = data_selection()
    stamp = data_version.read_version(data_path())
    bundled = f"data {stamp.label}" if stamp else f"data {data_path().name}"
    if selection.choice is upload.DataChoice.BUNDLED or selection.upload is None:
        return bundled
    name = selection.upload.name
    return f"{bundled} + {name}" if selection.choice is upload.DataChoice.COMBINED else f"data {name} (uploaded)"
