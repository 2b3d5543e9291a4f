"""The sidebar: filter widgets bound to the URL (so a copied link reopens the same view), how many findings each
option would leave, and the View every page reads. app.py calls `build_view()` on every run."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from kviz import filters, schema
from kviz.filters import FilterState
from kviz.ui.data import active_findings, data_indicator, data_token

_VIEW_KEY = "_kviz_view"
_LINK_KEY = "_kviz_link"  # (link values ignored, filters the link asked for), set on a session's first run


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
        """The chip text, which is also the value in the URL (e.g. 'K2', 'MK-7', 'With D3'): so never a count."""
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
D3 = Choice("d3", "d3", "Vitamin D3 alongside", tuple(schema.D3.codes), "What people were given besides vitamin K.",
            pills=True)
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
COUNT_ALL_KEY = "count_all"
SEARCH_KEY = "q"
URL_BOOLEANS = ("true", "false")  # how Streamlit writes a bound toggle into the URL
# The widget keys behind each FilterState field that `filters.relaxations` may clear.
FIELD_KEYS: dict[str, tuple[str, ...]] = {
    **{choice.field: (choice.key,) for choice in CHOICES}, "k_forms": (FORM.key, SUBTYPE.key),
    "years": (YEARS_KEY,), "include_untraced": (UNTRACED_KEY,), "include_flagged": (FLAGGED_KEY,), "search": (SEARCH_KEY,),
}
_TOGGLES = {  # key: (label, default, help)
    UNTRACED_KEY: ("Include untraced claims", True,
                   "Claims from the Vitamin D Life list for which no study could be identified."),
    FLAGGED_KEY: ("Include retracted or questioned studies", True,
                  "Findings from publications that were retracted or are under an expression of concern. They are "
                  "marked wherever they appear; switch this off to leave them out."),
    COUNT_ALL_KEY: ("Count reviews, opinion and untraced claims", False,
                    "Direction charts, the vote count and the evidence map count only evidence about vitamin K: "
                    "primary studies and meta-analyses in which vitamin K was given or measured. Switch this on to "
                    "count narrative reviews, opinion, untraced claims and vitamin D-only trials too, hatched."),
}


def filter_defaults(findings: pd.DataFrame) -> dict[str, Any]:
    """Session-state value of every filter widget when nothing is filtered (what Reset restores)."""
    defaults: dict[str, Any] = {choice.key: [] for choice in CHOICES}
    bounds = filters.year_bounds(findings)
    if bounds is not None:
        defaults[YEARS_KEY] = bounds
    defaults.update({key: default for key, (_, default, _) in _TOGGLES.items()})
    defaults[SEARCH_KEY] = ""
    return defaults


def reset_widgets(defaults: dict[str, Any], keys: tuple[str, ...] | None = None) -> None:
    """Set the filter widgets (all, or those of `keys`) back to their defaults; the URL follows the widgets."""
    for key, value in defaults.items():
        if keys is None or key in keys:
            st.session_state[key] = value


def reset_button(view: View, key: str, **kwargs: Any) -> None:
    """A button that sets every filter back to 'all findings'."""
    st.button(
        "Reset filters", key=key, icon=":material/restart_alt:", on_click=reset_widgets,
        args=(filter_defaults(view.findings),), disabled=view.state.is_default, **kwargs,
    )


def _ignored_url_values(bounds: tuple[int, int] | None) -> list[str]:
    """'key=value' for link values no filter accepts: Streamlit drops them, the page says so.

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
    ignored += [f"{key}={v}" for key in _TOGGLES for v in st.query_params.get_all(key) if v.lower() not in URL_BOOLEANS]
    return ignored


def _year_within(text: str, bounds: tuple[int, int]) -> bool:
    return text.strip().isdigit() and bounds[0] <= int(text) <= bounds[1]


def _choice_widget(choice: Choice) -> list[str]:
    common = dict(format_func=choice.option_label, key=choice.key, help=choice.help, bind="query-params")
    if choice.pills:
        return st.pills(choice.label, choice.options, selection_mode="multi", **common)
    return st.multiselect(choice.label, choice.options, placeholder="All", **common)


def count_caption(choice: Choice, counts: dict[str, int]) -> str:
    """'K1 85 · K2 60 · …': what choosing each option would leave (schema labels and numbers only)."""
    return " · ".join(f"{choice.option_label(code)} **{counts[code]:,}**" for code in choice.options)


def _toggle(key: str) -> bool:
    label, default, help = _TOGGLES[key]
    return st.toggle(label, value=default, key=key, bind="query-params", help=help)


def _sidebar_filters(findings: pd.DataFrame) -> tuple[FilterState, dict[str, Any]]:
    """Draw the filters in the sidebar; return the state they describe and the slots for the option counts."""
    bounds = filters.year_bounds(findings)
    opened_from_link = _LINK_KEY not in st.session_state  # a session's first run: the URL comes from a link
    ignored = _ignored_url_values(bounds) if opened_from_link else []
    values: dict[str, Any] = {}
    count_slots: dict[str, Any] = {}
    for choice in CHOICES:
        if choice is SUBTYPE and not set(values[FORM.field]) & set(_SUBTYPE_FAMILIES):
            continue  # subtypes only narrow their family: offered once the family is chosen
        values[choice.field] = tuple(_choice_widget(choice))
        count_slots[choice.field] = st.empty()
    years = None
    if bounds is not None and bounds[0] < bounds[1]:
        chosen = st.slider("Published", *bounds, value=bounds, step=1, key=YEARS_KEY, bind="query-params",
                           help="Years of publication. Narrowing them leaves out undated findings.")
        years = None if tuple(chosen) == bounds else tuple(chosen)
    include_untraced, include_flagged = _toggle(UNTRACED_KEY), _toggle(FLAGGED_KEY)
    search = st.text_input(
        "Search", key=SEARCH_KEY, bind="query-params", icon=":material/search:",
        max_chars=filters.MAX_SEARCH_CHARACTERS,
        placeholder="Words in headline, citation, population, notes",
    )
    if len(search or "") >= filters.MAX_SEARCH_CHARACTERS or len((search or "").split()) > filters.MAX_SEARCH_WORDS:
        st.caption(f":material/info: A search uses its first {filters.MAX_SEARCH_WORDS} words and "
                   f"{filters.MAX_SEARCH_CHARACTERS} characters.")
    st.divider()
    count_all = _toggle(COUNT_ALL_KEY)
    state = FilterState(**values, years=years, include_untraced=include_untraced, include_flagged=include_flagged,
                        search=search or "", count_non_evidence=count_all)
    if opened_from_link:
        st.session_state[_LINK_KEY] = (ignored, state)
    return state, count_slots


@dataclass(frozen=True)
class View:
    """What every page shows: all active findings, the filters, and the rows that pass them."""

    findings: pd.DataFrame
    state: FilterState
    rows: pd.DataFrame
    data_token: str = ""  # names `findings` for caches shared between sessions (ui.data.data_token)

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

    @property
    def ignored_link_values(self) -> list[str]:
        """Values of the link this session opened with that no filter accepts, until the user changes a filter."""
        ignored, link_state = st.session_state.get(_LINK_KEY, ([], None))
        return ignored if self.state == link_state else []


# A chosen option's chip shows its whole label, wrapping onto a second line, instead of ending in '…'.
_WHOLE_CHIPS = """<style>
[data-testid="stSidebar"] [data-tag] { height: auto; max-width: 100%; }
[data-testid="stSidebar"] [data-tag] > span[title] { white-space: normal; overflow: visible; text-overflow: clip; }
</style>"""


def build_view() -> View | None:
    """Load the findings, draw the sidebar filters, filter once; app.py calls this on every run."""
    findings = active_findings()
    if findings is None:
        return None
    with st.sidebar:
        st.html(_WHOLE_CHIPS)
        data_indicator()
        st.header("Filters", divider="gray")
        count_slot = st.empty()
        state, count_slots = _sidebar_filters(findings)
        masks = filters.filter_masks(findings, state)
        view = View(findings, state, filters.apply_filters(findings, state, masks), data_token())
        for field, counts in filters.option_counts(findings, state, masks).items():
            if field in count_slots:
                choice = next(c for c in CHOICES if c.field == field)
                count_slots[field].caption(count_caption(choice, counts))
        count_slot.markdown(f"**{view.count_line}**")
        reset_button(view, key="reset_sidebar", width="stretch")
        _data_notes(findings.attrs.get("warnings", []))
    st.session_state[_VIEW_KEY] = view
    return view


DATA_NOTES_SHOWN = 3
DATA_NOTE_LENGTH = 160


def _data_notes(notes: list[str]) -> None:
    """What the loader noticed but accepted (e.g. extra columns): the first few, each short, and how many more, so a
    file with thousands of odd columns cannot fill the sidebar. Plain text: the notes quote the file."""
    if not notes:
        return
    st.caption(f":material/warning: {len(notes):,} data note{'s' if len(notes) != 1 else ''}:")
    shown = [note if len(note) <= DATA_NOTE_LENGTH else note[: DATA_NOTE_LENGTH - 1] + "…" for note in notes[:DATA_NOTES_SHOWN]]
    more = len(notes) - DATA_NOTES_SHOWN
    st.text("\n".join(shown + ([f"… and {more:,} more"] if more > 0 else [])))


def current_view() -> View:
    """The view app.py built in this run."""
    return st.session_state[_VIEW_KEY]


def rows_left(view: View, state: FilterState) -> int:
    """How many findings `state` would leave."""
    return len(filters.apply_filters(view.findings, state))


def has_view() -> bool:
    """Whether app.py has built a view in this session (a run that skipped app.py has none)."""
    return _VIEW_KEY in st.session_state
