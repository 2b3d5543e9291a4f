"""Filtering: every field of FilterState, how fields combine, text search, canonical state, and the texts
(caption, describe, slug) that name a filter in titles and file names."""

from __future__ import annotations

import io
from dataclasses import replace

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kviz import filters, schema
from kviz.filters import (
    MULTI_VALUE_FIELDS, FilterState, apply_filters, caption, describe, option_counts, relaxations, slug, year_bounds,
)
from kviz.loader import load_findings

FIELD_COLUMNS = {"d3": "d3", "outcomes": "outcome", "designs": "design", "directions": "direction"}


def ids(frame) -> list[str]:
    return frame["finding_id"].tolist()


@pytest.fixture
def frame_of(make_csv):
    """Typed frame from partial rows (each row a dict of overrides on conftest's valid base row)."""
    return lambda rows: load_findings(io.StringIO(make_csv(rows)))


@pytest.fixture
def text_frame(frame_of):
    """Rows whose searchable columns each hold one distinctive word."""
    return frame_of([
        {"finding_id": "in-headline", "headline": "Natto and bone", "citation": "", "population": "", "notes": ""},
        {"finding_id": "in-citation", "headline": "x", "citation": "Knapen MHJ (2013) [Osteoporos Int]", "population": "", "notes": ""},
        {"finding_id": "in-population", "headline": "x", "citation": "", "population": "Haemodialysis patients", "notes": ""},
        {"finding_id": "in-notes", "headline": "x", "citation": "", "population": "", "notes": "Association only (not causal)."},
        {"finding_id": "in-effect-size", "headline": "x", "citation": "", "population": "", "notes": "", "effect_size": "natto"},
    ])


# ------------------------------------------------------------------------------------------- single fields


def test_default_state_keeps_every_row_in_order(typed_frame):
    state = FilterState()
    assert state.is_default
    assert ids(apply_filters(typed_frame, state)) == ids(typed_frame)


@pytest.mark.parametrize("family", schema.K_FAMILY.codes)
def test_k_form_family_selects_its_forms(family, typed_frame):
    kept = apply_filters(typed_frame, FilterState(k_forms=(family,)))
    assert set(kept["k_form"].astype(str)) == set(schema.k_forms_of_family(family)) & set(typed_frame["k_form"].astype(str))
    assert len(kept) == typed_frame["k_form"].isin(schema.k_forms_of_family(family)).sum()


def test_k2_family_means_k2_mk4_and_mk7(typed_frame):
    kept = apply_filters(typed_frame, FilterState(k_forms=("K2",)))
    assert set(kept["k_form"].astype(str)) == {"K2", "MK-4", "MK-7"}


@pytest.mark.parametrize("subtype", schema.K2_SUBTYPES)
def test_k2_subtype_narrows_the_k2_family(subtype, typed_frame):
    kept = apply_filters(typed_frame, FilterState(k_forms=("K2",), k2_subtypes=(subtype,)))
    assert not kept.empty and set(kept["k_form"].astype(str)) == {subtype}


def test_k2_subtypes_leave_other_families_alone(typed_frame):
    kept = apply_filters(typed_frame, FilterState(k_forms=("K1", "K2"), k2_subtypes=("MK-4", "MK-7")))
    assert set(kept["k_form"].astype(str)) == {"K1", "MK-4", "MK-7"}
    # Without a family chosen every family counts, with K2 narrowed to the chosen subtypes.
    alone = apply_filters(typed_frame, FilterState(k2_subtypes=("MK-7",)))
    assert set(alone["k_form"].astype(str)) == set(typed_frame["k_form"].astype(str)) - {"K2", "MK-4"}


@pytest.mark.parametrize("field", FIELD_COLUMNS)
def test_each_value_of_a_category_field_selects_exactly_its_rows(field, typed_frame):
    column = FIELD_COLUMNS[field]
    for code in MULTI_VALUE_FIELDS[field].codes:
        kept = apply_filters(typed_frame, FilterState(**{field: (code,)}))
        assert ids(kept) == ids(typed_frame[typed_frame[column] == code])


@pytest.mark.parametrize("field", FIELD_COLUMNS)
def test_several_values_of_one_field_are_alternatives(field, typed_frame):
    column = FIELD_COLUMNS[field]
    codes = tuple(MULTI_VALUE_FIELDS[field].codes[:2])
    kept = apply_filters(typed_frame, FilterState(**{field: codes}))
    assert ids(kept) == ids(typed_frame[typed_frame[column].isin(codes)])


def test_fields_combine_with_and(typed_frame):
    kept = apply_filters(typed_frame, FilterState(k_forms=("K2",), d3=("without_d3",), outcomes=("bone_density", "bone_markers")))
    assert ids(kept) == ["mk7-bmd-2013"]


def test_filters_do_not_change_the_input(typed_frame):
    before = typed_frame.copy()
    apply_filters(typed_frame, FilterState(k_forms=("K1",), search="bone", years=(2000, 2010)))
    assert typed_frame.equals(before)


# ----------------------------------------------------------------------------------------------------- years


def test_years_are_inclusive(typed_frame):
    kept = apply_filters(typed_frame, FilterState(years=(2013, 2019)))
    assert ids(kept) == ["mk7-bmd-2013", "mk7-quality-2013", "k1-cv-2019", "mk4-cells-2017"]


def test_a_year_range_leaves_out_undated_rows(typed_frame):
    undated = set(typed_frame.loc[typed_frame[schema.YEAR].isna(), "finding_id"])
    assert undated == {"review-2015", "covid-claim"}
    kept = apply_filters(typed_frame, FilterState(years=(1900, 2100)))
    assert set(ids(kept)) == set(ids(typed_frame)) - undated
    assert undated <= set(ids(apply_filters(typed_frame, FilterState())))


def test_year_only_dates_count_for_their_year(typed_frame):
    assert ids(apply_filters(typed_frame, FilterState(years=(2006, 2006)))) == ["mk4-fracture-2006"]


def test_reversed_years_are_put_in_order():
    assert FilterState(years=(2020, 2010)).years == (2010, 2020)
    assert FilterState(years=[2010, 2020]) == FilterState(years=(2010, 2020))


# -------------------------------------------------------------------------------------------------- untraced


def test_untraced_claims_can_be_left_out(typed_frame):
    kept = apply_filters(typed_frame, FilterState(include_untraced=False))
    assert ids(kept) == ids(typed_frame[typed_frame["source_match"] != schema.UNTRACED])
    assert {"covid-claim", "vascular-2020"}.isdisjoint(ids(kept))
    assert "probable" in set(kept["source_match"].astype(str))


def test_retracted_and_questioned_findings_can_be_left_out(typed_frame):
    kept = apply_filters(typed_frame, FilterState(include_flagged=False))
    assert {"mk4-fracture-2006", "mixed-muscle-2022"}.isdisjoint(ids(kept))
    assert len(kept) == len(typed_frame) - 2
    assert describe(FilterState(include_flagged=False)) == ["Without retracted or questioned studies"]
    assert slug(FilterState(include_flagged=False)) == "unflagged"


# ---------------------------------------------------------------------------------------------------- search


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("natto", ["in-headline"]),
        ("knapen", ["in-citation"]),
        ("haemodialysis", ["in-population"]),
        ("causal", ["in-notes"]),
        ("NATTO", ["in-headline"]),
        ("nAtTo BoNe", ["in-headline"]),
        ("natto patients", []),
        ("  natto  ", ["in-headline"]),
    ],
)
def test_search_looks_in_headline_citation_population_and_notes(search, expected, text_frame):
    assert ids(apply_filters(text_frame, FilterState(search=search))) == expected


@pytest.mark.parametrize(("search", "expected"), [("(2013)", ["in-citation"]), ("[osteoporos", ["in-citation"]),
                                                  ("(not", ["in-notes"]), (".", ["in-notes"]),
                                                  ("*", []), ("\\", []), ("+", []), ("a|b", []), ("(", ["in-citation", "in-notes"])])
def test_search_treats_regex_characters_literally(search, expected, text_frame):
    assert ids(apply_filters(text_frame, FilterState(search=search))) == expected


def test_search_words_may_sit_in_different_columns(frame_of):
    frame = frame_of([{"finding_id": "split", "headline": "Natto study", "population": "Japanese women"}])
    assert ids(apply_filters(frame, FilterState(search="natto japanese"))) == ["split"]
    # ...but a word never matches across the boundary between two columns.
    assert ids(apply_filters(frame, FilterState(search="studyjapanese"))) == []


def test_blank_search_is_no_constraint(typed_frame):
    state = FilterState(search="   ")
    assert state.search == "" and state.is_default
    assert len(apply_filters(typed_frame, state)) == len(typed_frame)


def test_a_search_is_cut_to_its_first_words_and_characters():
    many_words = " ".join(f"w{i}" for i in range(40))
    assert FilterState(search=many_words).search.split() == [f"w{i}" for i in range(filters.MAX_SEARCH_WORDS)]
    assert len(FilterState(search="x" * 5000).search) == filters.MAX_SEARCH_CHARACTERS
    assert FilterState(search="  natto \t  women ").search == "natto women"


def test_search_on_an_empty_frame(typed_frame):
    assert apply_filters(typed_frame.iloc[:0], FilterState(search="bone")).empty


# ------------------------------------------------------------------------------------------ canonical state


def test_values_are_kept_in_schema_order_without_repeats():
    state = FilterState(k_forms=["K2", "K1", "K2"], d3=("without_d3", "with_d3"), outcomes=("muscle", "bone_density"),
                        k2_subtypes=("MK-7", "MK-4"))
    assert state.k_forms == ("K1", "K2")
    assert state.d3 == ("with_d3", "without_d3")
    assert state.outcomes == ("bone_density", "muscle")
    assert state.k2_subtypes == ("MK-4", "MK-7")
    assert state == FilterState(k_forms=("K1", "K2"), d3=("with_d3", "without_d3"), outcomes=("bone_density", "muscle"),
                                k2_subtypes=("MK-4", "MK-7"))
    assert hash(state) == hash(FilterState(k_forms=("K1", "K2"), d3=("without_d3", "with_d3"), outcomes=("muscle", "bone_density"),
                                           k2_subtypes=("MK-4", "MK-7")))


@pytest.mark.parametrize(
    ("field", "value"),
    [("k_forms", "MK-7"), ("k_forms", "k1"), ("k2_subtypes", "K1"), ("k2_subtypes", "mixed"), ("d3", "maybe"),
     ("outcomes", "Bone density"), ("designs", "ecological"), ("directions", "positive")],
)
def test_unknown_values_are_refused_with_the_allowed_ones(field, value):
    with pytest.raises(ValueError, match=f"unknown {field}.*allowed: "):
        FilterState(**{field: (value,)})


# -------------------------------------------------------------------------------------- caption, describe, slug


def test_unfiltered_texts():
    assert describe(FilterState()) == []
    assert caption(FilterState()) == "All findings (no filters)"
    assert slug(FilterState()) == ""


def test_describe_names_each_active_filter_by_label():
    state = FilterState(
        k_forms=("K2",), k2_subtypes=("MK-7",), d3=("with_d3", "without_d3"), outcomes=("fracture",), designs=("rct",),
        directions=("no_effect",), years=(2010, 2020), include_untraced=False, search="natto women",
    )
    assert describe(state) == [
        "Vitamin K: K2 (menaquinones); K2 subtypes: K2 as MK-7",
        "K given with D3 or K given without D3",
        "Outcome: Fracture",
        "Study design: Randomised trial",
        "Direction of effect: No clear effect",
        "Published 2010–2020",
        "Traced studies only",
        "Search: “natto women”",
    ]
    assert caption(state) == "Filters: " + " · ".join(describe(state))
    assert slug(state) == "K2_MK-7_with-D3_without-D3_fracture_rct_no_effect_2010-2020_traced_search-natto-women"


def test_describe_subtypes_without_a_family():
    assert describe(FilterState(k2_subtypes=("MK-4",))) == ["Vitamin K: any form; K2 subtypes: K2 as MK-4"]


@pytest.mark.parametrize(
    ("search", "token"),
    [("natto", "search-natto"), ("(MK-7) & [D3]", "search-MK7-D3"), ("((", ""), ("*", ""),
     ("a" * 40, "search-" + "a" * 30), ("abc " + "d" * 40, "search-abc-" + "d" * 26)],
)
def test_slug_search_token_is_file_name_safe(search, token):
    assert slug(FilterState(search=search)) == token


def test_slug_of_d3_uses_the_schema_slugs():
    assert slug(FilterState(d3=tuple(schema.D3.codes))) == "_".join(schema.D3[code].slug for code in schema.D3.codes)


# -------------------------------------------------------------------------------------------------- year bounds


def test_year_bounds(typed_frame):
    assert year_bounds(typed_frame) == (2006, 2022)


def test_year_bounds_of_empty_and_undated_frames(typed_frame, frame_of):
    assert year_bounds(typed_frame.iloc[:0]) is None
    assert year_bounds(frame_of([{"published": ""}, {"published": ""}])) is None
    assert year_bounds(frame_of([{"published": ""}, {"published": "1999"}])) == (1999, 1999)


# -------------------------------------------------------------------------------------------- any combination


def _states() -> st.SearchStrategy[FilterState]:
    def subset(codes):
        return st.lists(st.sampled_from(codes), max_size=3).map(tuple)

    years = st.one_of(st.none(), st.tuples(st.integers(2000, 2025), st.integers(2000, 2025)))
    return st.builds(
        FilterState,
        k_forms=subset(schema.K_FAMILY.codes),
        k2_subtypes=subset(schema.K2_SUBTYPES),
        d3=subset(schema.D3.codes),
        outcomes=subset(schema.OUTCOME.codes),
        designs=subset(schema.DESIGN.codes),
        directions=subset(schema.DIRECTION.codes),
        years=years,
        include_untraced=st.booleans(),
        include_flagged=st.booleans(),
        search=st.sampled_from(["", "bone", "MK-7", "women k1", "(", "zzz"]),
    )


def _allowed_k_forms(state: FilterState) -> list[str] | None:
    """The spec of the two K form filters: families (all when none chosen), K2 narrowed to the chosen subtypes."""
    if not state.k_forms and not state.k2_subtypes:
        return None
    allowed = []
    for family in state.k_forms or schema.K_FAMILY.codes:
        members = schema.k_forms_of_family(family)
        if family == "K2" and state.k2_subtypes:
            members = [m for m in members if m in state.k2_subtypes]
        allowed += members
    return allowed


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(state=_states())
def test_every_kept_row_passes_every_filter_and_no_passing_row_is_dropped(state, typed_frame):
    kept = set(ids(apply_filters(typed_frame, state)))
    allowed_forms = _allowed_k_forms(state)
    for row in typed_frame.itertuples(index=False):
        text = " ".join([row.headline, row.citation, row.population, row.notes]).lower()
        passes = (
            (allowed_forms is None or row.k_form in allowed_forms)
            and all(not getattr(state, f) or getattr(row, c) in getattr(state, f) for f, c in FIELD_COLUMNS.items())
            and (state.years is None or (pd.notna(row.year) and state.years[0] <= row.year <= state.years[1]))
            and (state.include_untraced or row.source_match != schema.UNTRACED)
            and (state.include_flagged or row.integrity not in schema.FLAGGED)
            and all(word in text for word in state.search.lower().split())
        )
        assert (row.finding_id in kept) == passes, row.finding_id


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(state=_states())
def test_option_counts_are_what_choosing_that_option_alone_would_leave(state, typed_frame):
    counts = option_counts(typed_frame, state)
    assert set(counts) == set(MULTI_VALUE_FIELDS)
    for field, per_option in counts.items():
        for option, count in per_option.items():
            assert count == len(apply_filters(typed_frame, replace(state, **{field: (option,)}))), (field, option)


def test_option_counts_cover_every_option_even_when_none_is_left(typed_frame):
    counts = option_counts(typed_frame, FilterState(search="no finding says this"))
    assert counts["d3"] == dict.fromkeys(schema.D3.codes, 0)
    assert list(counts["k_forms"]) == schema.K_FAMILY.codes
    assert list(counts["k2_subtypes"]) == list(schema.K2_SUBTYPES)


def test_relaxations_take_away_one_active_filter_each():
    state = FilterState(k_forms=("K2",), k2_subtypes=("MK-7",), d3=("with_d3",), outcomes=("fracture",),
                        years=(2000, 2010), include_untraced=False, search="hip", count_non_evidence=True)
    ways_out = relaxations(state)
    assert [r.field for r in ways_out] == ["k_forms", "d3", "outcomes", "years", "include_untraced", "search"]
    assert [r.words for r in ways_out] == describe(state)[:-1]  # counting everything is not a filter
    assert ways_out[0].state == replace(state, k_forms=(), k2_subtypes=())
    assert ways_out[1].state == replace(state, d3=())
    assert ways_out[3].state == replace(state, years=None)
    assert ways_out[4].state == replace(state, include_untraced=True)
    assert ways_out[5].state == replace(state, search="")
    assert relaxations(FilterState(count_non_evidence=True)) == []
