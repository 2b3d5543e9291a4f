"""Findings shown one by one: the Evidence table (any page may list rows with it) and the detail card.

Data strings are only ever shown as plain text (st.text, st.dataframe cells); links are built only from https URLs
and DOIs.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pandas as pd
import streamlit as st

from kviz import effect_sizes, filters, schema

DOI_PREFIX = "https://doi.org/"
HTTPS = "https://"
MISSING = "—"
_SELECT_FINDINGS_LIMIT = 12  # detail cards shown at once for a multi-point selection
_ROW_HEIGHT = 35  # st.dataframe's default row (and header) height in pixels
# A table shows this many rows at a time: st.dataframe sends every row it is given to the browser
# (100k findings were ~36 MB), so larger results are paged. Downloads always hold every row.
TABLE_PAGE_ROWS = 500
COLUMNS_KEY = "columns"  # the Evidence table's chosen columns, in the URL
_COLUMN_LABELS = {**schema.LABELS, schema.EFFECT_TEXT: schema.EFFECT_TEXT_LABEL}
_COLUMN_WIDTHS = {"headline": "large", "citation": "large", "notes": "large", "population": "large",
                  schema.EFFECT_TEXT: "medium", "k_form": "medium"}


def doi_link(doi: str) -> str | None:
    """https://doi.org/<doi> for a bare DOI, else None."""
    return DOI_PREFIX + doi if doi else None


def https_link(url: str) -> str | None:
    """The URL when it is https, else None: no other scheme becomes a link."""
    return url if url.startswith(HTTPS) else None


def table_frame(rows: pd.DataFrame) -> pd.DataFrame:
    """The rows with readable category labels, the effect as text, link columns and None for every missing value
    (the table shows it as '—'), columns in schema.TABLE_ORDER."""
    table = rows[list(schema.COLUMN_NAMES)].copy()
    for name, vocabulary in schema.VOCABULARIES.items():
        table[name] = table[name].cat.rename_categories(vocabulary.labels)
    table[schema.EFFECT_TEXT] = effect_sizes.effect_texts(rows)
    table["doi"] = table["doi"].map(doi_link)
    table["url"] = table["url"].map(https_link)
    table["evidence_url"] = table["evidence_url"].map(https_link)
    text = [c.name for c in schema.COLUMNS if not c.is_number and c.name not in schema.VOCABULARIES] + [schema.EFFECT_TEXT]
    table[text] = table[text].astype(object).where(table[text].ne("") & table[text].notna(), None)
    return table[list(schema.TABLE_ORDER)].reset_index(drop=True)


def _column_config() -> dict[str, Any]:
    config: dict[str, Any] = {}
    for name in schema.TABLE_ORDER:
        column = schema.COLUMNS_BY_NAME.get(name)
        label, help = _COLUMN_LABELS[name], column.description if column else "Read from the numeric columns."
        if column and column.kind == "doi":
            config[name] = st.column_config.LinkColumn(label, help=help, display_text=r"https://doi\.org/(.+)")
        elif column and column.kind == "url":
            config[name] = st.column_config.LinkColumn(label, help=help, display_text=r"https://(?:www\.)?([^/]+)")
        elif column and column.is_number:
            config[name] = st.column_config.NumberColumn(label, help=help, format="localized")
        else:
            config[name] = st.column_config.TextColumn(label, help=help, width=_COLUMN_WIDTHS.get(name))
    return config


def column_chooser() -> list[str]:
    """A multiselect of the Evidence table's columns (bound to the URL), defaults first."""
    return st.multiselect(
        "Columns", list(schema.TABLE_ORDER), default=list(schema.TABLE_DEFAULT_COLUMNS), format_func=_COLUMN_LABELS.get,
        key=COLUMNS_KEY, bind="query-params", help="Which columns the table shows, in this order.",
        placeholder="Choose columns",
    )


def findings_table(rows: pd.DataFrame, key: str, max_height: int = 420,
                   columns: list[str] | tuple[str, ...] = schema.TABLE_DEFAULT_COLUMNS) -> pd.DataFrame:
    """An interactive table of findings, newest first, paged beyond TABLE_PAGE_ROWS; a click on any cell of a row
    selects it. Returns the selected row (at most one)."""
    rows = filters.newest_first(rows)
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
        table_frame(shown), key=f"{key}-{rows_digest}-{page}", hide_index=True, width="stretch", height=height,
        column_config=_column_config(), column_order=list(columns or schema.TABLE_DEFAULT_COLUMNS),
        placeholder=MISSING, on_select="rerun", selection_mode=["single-row", "single-cell"],
    )
    picked = event.selection.rows or [cell[0] for cell in event.selection.cells]
    return shown.iloc[picked[:1]]


# ------------------------------------------------------------------------------------------------ detail card


def _fact(label: str, value: str) -> None:
    with st.container(gap="xxsmall"):
        st.caption(label)
        st.text(value or MISSING)


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
            (schema.EFFECT_TEXT_LABEL, effect_sizes.effect_text(row)),
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
