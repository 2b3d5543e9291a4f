"""Data: explore the bundled findings, your own CSV, or both; an upload stays in this browser session only.

Loading and choosing happen in widget callbacks, which run before app.py draws the sidebar, so every part
of the page and the sidebar shows the new data in the same run. `kviz.upload.select` builds the new
selection completely before it replaces the old one: a failed upload changes nothing but the message.
File names and cell values come from the user, so they are shown with st.text and st.dataframe only.
"""

import streamlit as st

from kviz import loader, schema, ui, upload
from kviz.loader import FindingsError
from kviz.upload import DataChoice

CHOICE_KEY = "data_choice"
OUTCOME_KEY = "_kviz_upload_outcome"  # what the last action did: loaded (with warnings) or refused (with problems)
FILE_WIDGET_VERSION_KEY = "_kviz_upload_widget_version"  # a new version empties the file box


def _file_key() -> str:
    return f"upload_file_{st.session_state.get(FILE_WIDGET_VERSION_KEY, 0)}"


def _apply(choice: DataChoice, announce: bool) -> None:
    """Switch to `choice` (loading the file in the box if it is new), or keep everything and say why not."""
    current = ui.data_selection()
    bundled = ui.bundled_findings()
    if bundled is None:
        return  # the bundled file's own problems are on screen
    file = st.session_state.get(_file_key())
    try:
        selection = upload.select(current, choice, bundled, (file.getvalue(), file.name) if file else None)
    except FindingsError as error:
        count = f"{error.total:,} problem{'s' if error.total != 1 else ''} found"
        headline = f"Not loaded: {count}. Fix the file and upload it again." if announce else f"Cannot show {choice.label}: {count}."
        st.session_state[OUTCOME_KEY] = {"refused": error, "headline": f"{headline} You are still exploring: {current.choice.label}."}
        st.session_state[CHOICE_KEY] = current.choice
        return
    ui.set_data_selection(selection)
    st.session_state[OUTCOME_KEY] = {"loaded": selection.upload} if announce else None


def _on_file_change() -> None:
    if st.session_state.get(_file_key()) is None:  # the file was taken out of the box: nothing to load
        st.session_state[OUTCOME_KEY] = None
        return
    ui.release_upload_when_tab_closes()
    current = ui.data_selection().choice
    # Uploading means "show me my file": from the bundled findings, go to the upload alone.
    _apply(DataChoice.UPLOADED if current is DataChoice.BUNDLED else current, announce=True)


def _on_choice_change() -> None:
    _apply(st.session_state[CHOICE_KEY], announce=False)


def _remove_upload() -> None:
    ui.set_data_selection(upload.Selection())
    st.session_state[OUTCOME_KEY] = None
    st.session_state[FILE_WIDGET_VERSION_KEY] = st.session_state.get(FILE_WIDGET_VERSION_KEY, 0) + 1


def _source_text(selection: upload.Selection) -> str:
    bundled = f"{ui.data_path().name} (bundled)"
    if selection.upload is None or selection.choice is DataChoice.BUNDLED:
        return bundled
    if selection.choice is DataChoice.UPLOADED:
        return selection.upload.name
    return f"{bundled} + {selection.upload.name}"


def _page() -> None:
    """The page, in a function: its callbacks above outlive the run (Streamlit keeps them with the widgets), and
    with them this module's globals, which must not hold the upload's table."""
    view = ui.page_view(
        "Data",
        "Explore your own list of studies — a journal club's, a review team's — with the same charts and filters. "
        "An upload stays in **this browser session only**: it is not saved on the server, it does not change the "
        "bundled findings, and no other user sees it. Close the tab and it is gone.",
        shows_findings=False,
    )
    selection = ui.data_selection()

    with st.container(border=True):
        st.markdown(f"**Now exploring:** {selection.choice.label}")
        st.text(f"{_source_text(selection)} — {loader.summary_line(view.findings)}")
        if selection.upload is not None:
            st.button("Remove my upload", icon=":material/delete:", on_click=_remove_upload,
                      help="Forget the uploaded file and go back to the bundled findings.")

    st.header("Upload a findings CSV", divider="gray")
    upload_column, help_column = st.columns([3, 2], gap="large")
    with help_column:
        st.markdown(
            f"Same columns as the bundled file, comma-separated, saved as UTF-8. Up to **{upload.MAX_UPLOAD_MB} MB** "
            f"and **{upload.MAX_UPLOAD_ROWS:,} rows**. Links must start with `https://`; DOIs are bare (`10.…`)."
        )
        st.download_button(
            "Download the template", upload.template_csv(), upload.TEMPLATE_FILE_NAME, mime="text/csv",
            icon=":material/download:", on_click="ignore",
            help="The header and one example row: fill in your findings below it.",
        )
        st.page_link("pages/about.py", label="Data dictionary: every column and code", icon=":material/menu_book:")
    with upload_column:
        st.file_uploader(
            # Any file type: the browser's own refusal of a wrong type is easy to miss; kviz says on screen what the
            # file is (an Excel workbook, a PDF…) and how to save it as CSV.
            "Findings CSV", type=None, max_upload_size=upload.MAX_UPLOAD_MB, key=_file_key(),
            on_change=_on_file_change, help="Checked in full before it is used: any problem is listed below.",
        )

    outcome = st.session_state.get(OUTCOME_KEY)
    if outcome and "refused" in outcome:
        st.error(outcome["headline"], icon=":material/error:")  # labels and counts only: no file name, no cell value
        ui.problem_table(outcome["refused"].table())
    elif outcome and "loaded" in outcome:
        loaded: upload.Upload = outcome["loaded"]
        st.success(f"Loaded: {loader.summary_line(loaded.frame)}.", icon=":material/check_circle:")
        if loaded.warnings:
            st.warning("Loaded with notes:", icon=":material/warning:")
            ui.problem_table(loader.problems_table(loaded.warnings))

    st.header("What to explore", divider="gray")
    st.session_state[CHOICE_KEY] = selection.choice  # the radio always shows what is really active
    st.radio(
        "Findings shown on every page",
        list(DataChoice),
        format_func=lambda choice: choice.label,
        captions=[choice.description for choice in DataChoice],
        key=CHOICE_KEY,
        on_change=_on_choice_change,
        disabled=selection.upload is None,
        help=None if selection.upload else "Upload a file first to explore it alone or with the bundled findings.",
    )
    with st.expander("Required columns"):
        st.markdown(
            "Every row needs a value in: " + ", ".join(f"`{c.name}`" for c in schema.COLUMNS if c.required) + ". "
            "Other columns may be empty. Columns that are not in the data dictionary are kept, and listed as a note."
        )


_page()
