"""Filtering the findings table: one immutable state object in, a DataFrame out.

The app's sidebar, the URL, the command-line export and the report all build a `FilterState` and call
`apply_filters`, so the same filters always give the same rows. An empty selection means "no
constraint" (all values), which keeps URLs short: only active filters appear in them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from kviz import schema

MULTI_VALUE_FIELDS: dict[str, schema.Vocabulary] = {
    "k_forms": schema.K_FAMILY,
    "k2_subtypes": schema.K_FORM,
    "d3": schema.D3,
    "outcomes": schema.OUTCOME,
    "designs": schema.DESIGN,
    "directions": schema.DIRECTION,
}
# A search is a few words, not a document: longer text is cut here (every word costs a pass over the table).
MAX_SEARCH_CHARACTERS = 200
MAX_SEARCH_WORDS = 12


@dataclass(frozen=True)
class FilterState:
    """The active filters. Empty tuples mean 'all'."""

    k_forms: tuple[str, ...] = ()  # families: K1, K2, mixed, unspecified, none
    k2_subtypes: tuple[str, ...] = ()  # narrows the K2 family: K2 (not stated), MK-4, MK-7
    d3: tuple[str, ...] = ()
    outcomes: tuple[str, ...] = ()
    designs: tuple[str, ...] = ()
    directions: tuple[str, ...] = ()
    years: tuple[int, int] | None = None
    include_untraced: bool = True
    include_flagged: bool = True  # findings under an integrity concern or retracted (schema.FLAGGED)
    search: str = ""
    # Not a filter: direction charts, vote counts and the evidence map also count what is not evidence about vitamin K
    # (reviews, opinion, untraced claims, vitamin D only), marked as such.
    count_non_evidence: bool = False

    def __post_init__(self) -> None:
        for name, vocabulary in MULTI_VALUE_FIELDS.items():
            allowed = schema.K2_SUBTYPES if name == "k2_subtypes" else vocabulary.codes
            values = tuple(dict.fromkeys(getattr(self, name)))  # drop repeats, keep order
            unknown = [v for v in values if v not in allowed]
            if unknown:
                raise ValueError(f"unknown {name} value(s) {unknown}; allowed: {', '.join(allowed)}")
            # Canonical order, so equal selections compare (and name files) equally.
            object.__setattr__(self, name, tuple(v for v in allowed if v in values))
        if self.years is not None:
            start, end = (int(y) for y in self.years)
            object.__setattr__(self, "years", (min(start, end), max(start, end)))
        words = self.search[:MAX_SEARCH_CHARACTERS].split()[:MAX_SEARCH_WORDS]
        object.__setattr__(self, "search", " ".join(words))

    @property
    def is_default(self) -> bool:
        return self == FilterState()


def filter_masks(frame: pd.DataFrame, state: FilterState) -> dict[str, np.ndarray]:
    """One boolean mask per active filter, keyed by its FilterState field: a row passes when it passes them all.

    Kept apart so the sidebar can count, for each filter, what the other filters leave (`option_counts`).
    """
    masks: dict[str, np.ndarray] = {}
    if state.k_forms:
        masks["k_forms"] = _is_one_of(frame["k_form"], [c for f in state.k_forms for c in schema.k_forms_of_family(f)])
    if state.k2_subtypes:  # narrows the K2 family only: other families pass
        other_families = [c for c in schema.K_FORM.codes if c not in schema.K2_SUBTYPES]
        masks["k2_subtypes"] = _is_one_of(frame["k_form"], [*other_families, *state.k2_subtypes])
    for name, column in FACET_COLUMNS.items():
        if name not in ("k_forms", "k2_subtypes") and getattr(state, name):
            masks[name] = _is_one_of(frame[column], getattr(state, name))
    if state.years is not None:
        start, end = state.years
        masks["years"] = frame[schema.YEAR].between(start, end).fillna(False).to_numpy(dtype=bool)
    if not state.include_untraced:
        masks["include_untraced"] = ~_is_one_of(frame["source_match"], (schema.UNTRACED,))
    if not state.include_flagged:
        masks["include_flagged"] = ~is_flagged(frame)
    if state.search:
        masks["search"] = _matches_text(frame, state.search).to_numpy(dtype=bool)
    return masks


def _all_of(masks: dict[str, np.ndarray], length: int, leave_out: str = "") -> np.ndarray:
    keep = np.ones(length, dtype=bool)
    for name, mask in masks.items():
        if name != leave_out:
            keep &= mask
    return keep


def apply_filters(frame: pd.DataFrame, state: FilterState, masks: dict[str, np.ndarray] | None = None) -> pd.DataFrame:
    """The rows of `frame` that pass every active filter, in their original order (`masks`: from filter_masks)."""
    return frame[_all_of(filter_masks(frame, state) if masks is None else masks, len(frame))]


# The column each multi-value filter reads (k_forms reads the family of k_form).
FACET_COLUMNS: dict[str, str] = {
    "k_forms": "k_form", "k2_subtypes": "k_form", "d3": "d3", "outcomes": "outcome", "designs": "design",
    "directions": "direction",
}


def option_counts(frame: pd.DataFrame, state: FilterState,
                  masks: dict[str, np.ndarray] | None = None) -> dict[str, dict[str, int]]:
    """Per multi-value filter and option: the findings left by choosing only that option, the other filters as they are.

    Equal to len(apply_filters(frame, replace(state, **{field: (option,)}))) for every option (tests check this).
    """
    masks = filter_masks(frame, state) if masks is None else masks
    counts: dict[str, dict[str, int]] = {}
    for field, column in FACET_COLUMNS.items():
        values = frame[column]
        codes = values.cat.codes.to_numpy()[_all_of(masks, len(frame), leave_out=field)]
        per_category = np.bincount(codes[codes >= 0], minlength=len(values.cat.categories))
        per_code = dict(zip(values.cat.categories, per_category.tolist()))
        if field == "k_forms":
            counts[field] = {family: sum(per_code.get(c, 0) for c in schema.k_forms_of_family(family))
                             for family in schema.K_FAMILY.codes}
        elif field == "k2_subtypes":  # a subtype narrows K2 only: the other chosen families' rows stay
            others = sum(n for code, n in per_code.items() if code not in schema.K2_SUBTYPES)
            counts[field] = {code: int(per_code.get(code, 0)) + others for code in schema.K2_SUBTYPES}
        else:
            counts[field] = {code: int(per_code.get(code, 0)) for code in MULTI_VALUE_FIELDS[field].codes}
    return counts


def is_flagged(frame: pd.DataFrame) -> np.ndarray:
    """Whether each finding is retracted or under an integrity concern."""
    return _is_one_of(frame["integrity"], schema.FLAGGED)


def _is_one_of(column: pd.Series, codes: tuple[str, ...] | list[str]) -> np.ndarray:
    """Whether each value is one of `codes`, read off the categorical codes through a lookup table."""
    categories = column.cat.categories
    wanted = np.zeros(len(categories) + 1, dtype=bool)  # the extra last slot is for missing values (code -1)
    wanted[[categories.get_loc(code) for code in codes if code in categories]] = True
    return wanted[column.cat.codes.to_numpy()]


def _matches_text(frame: pd.DataFrame, text: str) -> pd.Series:
    """Case-insensitive literal match of every word of `text` in any searchable column.

    Column by column, so a word never matches across two columns, and without building lower-cased copies
    (pyarrow matches case-insensitively in place: 1M rows about 3× faster).
    """
    found = pd.Series(True, index=frame.index)
    for word in text.lower().split():
        in_any_column = pd.Series(False, index=frame.index)
        for column in schema.TEXT_SEARCH_COLUMNS:
            in_any_column |= frame[column].str.contains(word, case=False, regex=False).fillna(False).astype(bool)
        found &= in_any_column
    return found


def _described(state: FilterState) -> list[tuple[str, str]]:
    """(FilterState field, words) for each active filter, in sidebar order; k_forms stands for both K form filters."""
    parts: list[tuple[str, str]] = []
    if state.k_forms or state.k2_subtypes:
        forms = [schema.K_FAMILY.label(f) for f in state.k_forms] or ["any form"]
        if state.k2_subtypes:
            forms.append("K2 subtypes: " + ", ".join(schema.K_FORM.label(s) for s in state.k2_subtypes))
        parts.append(("k_forms", "Vitamin K: " + "; ".join(forms)))
    if state.d3:
        parts.append(("d3", " or ".join(schema.D3.label(v) for v in state.d3)))
    for name, vocabulary in (("outcomes", schema.OUTCOME), ("designs", schema.DESIGN), ("directions", schema.DIRECTION)):
        selected = getattr(state, name)
        if selected:
            parts.append((name, f"{vocabulary.title}: " + ", ".join(vocabulary.label(v) for v in selected)))
    if state.years is not None:
        parts.append(("years", f"Published {state.years[0]}–{state.years[1]}"))
    if not state.include_untraced:
        parts.append(("include_untraced", "Traced studies only"))
    if not state.include_flagged:
        parts.append(("include_flagged", "Without retracted or questioned studies"))
    if state.search:
        parts.append(("search", f"Search: “{state.search}”"))
    return parts


def describe(state: FilterState) -> list[str]:
    """Human-readable active filters, e.g. ['K2: MK-7', 'With D3', 'Outcome: Fracture']."""
    parts = [words for _, words in _described(state)]
    if state.count_non_evidence:
        parts.append("Counting reviews, opinion and untraced claims too")
    return parts


@dataclass(frozen=True)
class Relaxation:
    """One active filter taken away: what it was, and the state without it."""

    field: str  # the FilterState field cleared ("k_forms" clears k2_subtypes too)
    words: str  # the filter as `describe` names it
    state: FilterState


def relaxations(state: FilterState) -> list[Relaxation]:
    """Each active filter removed in turn: the ways out of an empty result."""
    cleared = {"k_forms": dict(k_forms=(), k2_subtypes=())}
    return [Relaxation(field, words, replace(state, **cleared.get(field, {field: getattr(FilterState(), field)})))
            for field, words in _described(state)]


def caption(state: FilterState) -> str:
    """One line naming the active filters, for chart captions and titles."""
    parts = describe(state)
    return "Filters: " + " · ".join(parts) if parts else "All findings (no filters)"


def slug(state: FilterState) -> str:
    """File-name fragment naming the active filters, e.g. 'K2_with-D3_fracture' (empty when unfiltered)."""
    tokens: list[str] = []
    tokens += list(state.k_forms) + list(state.k2_subtypes)
    tokens += [schema.D3[v].slug or v for v in state.d3]
    tokens += list(state.outcomes) + list(state.designs) + list(state.directions)
    if state.years is not None:
        tokens.append(f"{state.years[0]}-{state.years[1]}")
    if not state.include_untraced:
        tokens.append("traced")
    if not state.include_flagged:
        tokens.append("unflagged")
    if state.count_non_evidence:
        tokens.append("count-all")
    words = ("".join(ch for ch in w if ch.isalnum()) for w in state.search.split())
    search_token = "-".join(w for w in words if w)[:30].strip("-")
    if search_token:  # a search of punctuation only, e.g. "((", names no file
        tokens.append("search-" + search_token)
    return "_".join(t for t in tokens if t)


def year_bounds(frame: pd.DataFrame) -> tuple[int, int] | None:
    """The first and last publication year in a table, or None when no row is dated."""
    years = frame[schema.YEAR].dropna()
    if years.empty:
        return None
    return int(years.min()), int(years.max())


def newest_first(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows by publication date, newest first, undated last; rows of one date keep their file order."""
    return frame.sort_values(schema.PUBLISHED_DATE, ascending=False, na_position="last", kind="stable")
