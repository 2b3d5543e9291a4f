"""Figure builders: trace types, schema categories, orders, colours and symbols, labels instead of codes,
escaped data strings, empty frames, and bounded output for large frames."""

from __future__ import annotations

import functools
import io
import re

import pandas as pd
import plotly.graph_objects as go
import pytest

from kviz import figures, schema, stats, synthetic
from kviz.loader import load_findings

from conftest import BASE_ROW

SUBTITLE = "Filters: Search: “<b>natto</b> & more”"
ESCAPED_SUBTITLE = "Filters: Search: “&lt;b&gt;natto&lt;/b&gt; &amp; more”"
HOSTILE = "<script>alert('x')</script><img src=x onerror=alert(1)> & <b>bold</b>"

BUILDERS = {
    "timeline": figures.timeline,
    "timeline by design": functools.partial(figures.timeline, y="design"),
    "publications per year": figures.publications_per_year,
    "direction summary": figures.direction_summary,
    "effect direction plot": figures.effect_direction_plot,
    "direction counts K1 vs K2": functools.partial(figures.direction_counts, split="k_family"),
    "direction counts with vs without D3": functools.partial(figures.direction_counts, split="d3"),
    "vote count": functools.partial(figures.vote_count, min_publications=1),
    "evidence map": figures.evidence_map,
}
builders = pytest.mark.parametrize("build", BUILDERS.values(), ids=BUILDERS.keys())
# Codes that would give themselves away if shown (plain words such as 'benefit' are also their labels' words).
RAW_CODES = sorted({code for v in schema.VOCABULARIES.values() for code in v.codes if "_" in code})


@pytest.fixture
def frame_of(make_csv):
    """Typed frame from partial rows (each row a dict of overrides on conftest's valid base row)."""
    return lambda rows: load_findings(io.StringIO(make_csv(rows)))


@pytest.fixture(scope="module")
def big_frame():
    """100,000 synthetic findings, loaded like real data."""
    return load_findings(synthetic.generate(100_000, seed=1).to_csv(index=False).encode(), name="big.csv")


def visible_texts(fig: go.Figure) -> list[str]:
    """Every string a reader can see: title, axis titles and ticks, annotations, legend, bar text, hover."""
    layout = fig.layout
    texts = [layout.title.text or ""]
    for axis in [value for key, value in layout.to_plotly_json().items() if key.startswith(("xaxis", "yaxis"))]:
        texts += [str(t) for t in axis.get("ticktext", [])] + [str(axis.get("title", {}).get("text", ""))]
    texts += [a.text or "" for a in layout.annotations]
    for trace in fig.data:
        texts += [trace.name or "", (trace.legendgrouptitle.text or "") if "legendgrouptitle" in trace else ""]
        for attribute in ("text", "hovertext", "hovertemplate", "x", "y"):
            value = getattr(trace, attribute, None)
            if isinstance(value, str):
                texts.append(value)
            elif value is not None:
                texts += [v for v in value if isinstance(v, str)]
    return texts


def point_traces(fig: go.Figure) -> list:
    """Traces that draw something (legend-only entries have x = [None])."""
    return [t for t in fig.data if t.x is not None and any(v is not None for v in t.x)]


def points(fig: go.Figure) -> int:
    return sum(len(t.x) for t in point_traces(fig))


def hover_texts(fig: go.Figure) -> list[str]:
    return [h for t in fig.data if t.hovertext is not None for h in t.hovertext]


# ------------------------------------------------------------------------------------------ every builder


@builders
def test_builder_returns_a_titled_slide_ready_figure(build, typed_frame):
    fig = build(typed_frame, subtitle=SUBTITLE)
    assert isinstance(fig, go.Figure)
    assert point_traces(fig)
    assert ESCAPED_SUBTITLE in fig.layout.title.text
    # The look is explicit layout, not only a template, so a page theme cannot shrink or grey it.
    layout = fig.layout
    assert layout.font.size >= 14 and layout.title.font.size >= 20 and layout.legend.font.size >= 14
    assert layout.paper_bgcolor == layout.plot_bgcolor == "#FFFFFF"
    assert layout.xaxis.tickfont.size >= 14 and layout.xaxis.tickfont.color == layout.font.color
    assert layout.template.layout.font.size == layout.font.size


@builders
def test_builder_shows_labels_never_raw_codes(build, typed_frame):
    texts = " ".join(visible_texts(build(typed_frame, subtitle="")))
    shown = [code for code in RAW_CODES if re.search(rf"\b{re.escape(code)}\b", texts)]
    assert not shown


@builders
def test_builder_names_categories_by_label(build, typed_frame):
    """Axis ticks, legend entries and category values are labels: no code that is not also a label."""
    fig = build(typed_frame, subtitle="")
    labels = {figures.escape(c.label) for v in schema.VOCABULARIES.values() for c in v.categories}
    codes_only = {code for v in schema.VOCABULARIES.values() for code in v.codes} - labels
    structural = [t.name for t in fig.data] + [t.y for t in fig.data if isinstance(t.y, str)]
    structural += [v for t in fig.data if t.y is not None and not isinstance(t.y, str) for v in t.y if isinstance(v, str)]
    structural += list(fig.layout.xaxis.ticktext or ()) + list(fig.layout.yaxis.ticktext or ())
    assert not set(structural) & codes_only


@builders
def test_builder_on_an_empty_frame_shows_a_message_and_no_axes(build, typed_frame):
    fig = build(typed_frame.iloc[:0], subtitle=SUBTITLE)
    assert not fig.data
    assert [a.text for a in fig.layout.annotations] == [figures.NO_DATA_MESSAGE]
    assert fig.layout.xaxis.visible is False and fig.layout.yaxis.visible is False
    assert ESCAPED_SUBTITLE in fig.layout.title.text


@builders
def test_builder_escapes_data_strings(build, frame_of):
    hostile = {column: HOSTILE for column in ("headline", "citation", "dose_text", "population", "notes")}
    frame = frame_of([
        dict(hostile, study_id="a", direction="benefit"),
        dict(hostile, study_id="b", direction="harm", k_form="K1", d3="yes"),
        dict(hostile, study_id="c", direction="no_effect", outcome="fracture"),
    ])
    texts = visible_texts(build(frame, subtitle=HOSTILE))
    assert not [t for t in texts if re.search(r"<script|<img|<b>bold", t)]
    assert any("&lt;script&gt;" in t for t in texts)


@builders
def test_builder_stays_bounded_on_a_large_frame(build, big_frame):
    fig = build(big_frame, subtitle=SUBTITLE)
    assert point_traces(fig)
    if build is figures.timeline or getattr(build, "func", None) is figures.timeline:
        assert points(fig) == figures.TIMELINE_MAX_POINTS  # a sample: see the timeline tests
        return
    assert points(fig) <= 2 * len(schema.OUTCOME.codes) * len(schema.DIRECTION.codes) * len(schema.DESIGN.codes)
    assert len(fig.data) <= 40


# ------------------------------------------------------------------------------------------------ timeline


def test_timeline_beyond_its_limit_draws_a_stable_sample_and_says_so(big_frame):
    fig = figures.timeline(big_frame)
    ids = [c[0] for t in point_traces(fig) for c in t.customdata]
    assert len(ids) == len(set(ids)) == figures.TIMELINE_MAX_POINTS
    assert set(ids) <= set(big_frame["finding_id"])
    dated = int(big_frame[schema.PUBLISHED_DATE].notna().sum())
    assert f"A random sample of {figures.TIMELINE_MAX_POINTS:,} of the {dated:,} dated findings" in fig.layout.title.text
    again = [c[0] for t in point_traces(figures.timeline(big_frame)) for c in t.customdata]
    assert sorted(again) == sorted(ids)  # the same view draws the same markers on every rerun
    assert len(fig.to_json()) < 3_000_000


def test_timeline_marks_every_dated_finding_once_with_its_id(typed_frame):
    fig = figures.timeline(typed_frame)
    ids = [c[0] for t in point_traces(fig) for c in t.customdata]
    dated = typed_frame[typed_frame[schema.PUBLISHED_DATE].notna()]
    assert sorted(ids) == sorted(dated["finding_id"])
    assert "2 undated findings not shown" in fig.layout.title.text


def test_timeline_colour_is_direction_and_symbol_is_design(typed_frame):
    fig = figures.timeline(typed_frame)
    by_id = typed_frame.set_index("finding_id")
    for trace in point_traces(fig):
        directions = {str(by_id.at[c[0], "direction"]) for c in trace.customdata}
        designs = {str(by_id.at[c[0], "design"]) for c in trace.customdata}
        assert len(directions) == len(designs) == 1
        assert trace.marker.color == schema.DIRECTION.colours[directions.pop()]
        assert trace.marker.symbol == schema.DESIGN.symbols[designs.pop()]
        assert trace.type == "scatter"
    legend = [t.name for t in fig.data if t.showlegend is not False]
    present_directions = [c for c in schema.DIRECTION.codes if c in set(typed_frame["direction"].astype(str))]
    present_designs = [c for c in schema.DESIGN.codes if c in set(typed_frame.dropna(subset=[schema.PUBLISHED_DATE])["design"].astype(str))]
    assert legend == schema.labelled("direction", present_directions) + schema.labelled("design", present_designs)


@pytest.mark.parametrize("axis", figures.TIMELINE_AXES)
def test_timeline_rows_are_labels_in_schema_order(axis, typed_frame):
    fig = figures.timeline(typed_frame, y=axis)
    dated = typed_frame[typed_frame[schema.PUBLISHED_DATE].notna()]
    present = set(dated[axis].astype(str))
    order = figures.outcome_order(present) if axis == "outcome" else [c for c in schema.DESIGN.codes if c in present]
    assert list(fig.layout.yaxis.ticktext) == [figures.escape(label) for label in schema.labelled(axis, order)]
    assert order[: len(schema.KEY_OUTCOMES)] == list(schema.KEY_OUTCOMES) or axis == "design"


def test_timeline_spreads_findings_of_one_row_and_month(frame_of):
    fig = figures.timeline(frame_of([{"study_id": f"s{i}", "published": "2019-05"} for i in range(4)]))
    ys = sorted(y for t in point_traces(fig) for y in t.y)
    assert len(set(ys)) == 4
    assert max(abs(y) for y in ys) <= figures.JITTER_SPAN / 2 + 1e-9


def test_timeline_hover_names_the_finding(typed_frame):
    fig = figures.timeline(typed_frame)
    hover = next(h for h in hover_texts(fig) if "MK-7 slowed bone loss" in h)
    first_author = BASE_ROW["citation"].split(",")[0]
    for expected in ("Randomised trial", "K2 as MK-7", BASE_ROW["dose_text"], "244", first_author):
        assert expected in hover


def test_timeline_of_undated_findings_only_says_so(frame_of):
    fig = figures.timeline(frame_of([{"published": ""}, {"published": ""}]))
    assert not fig.data
    assert "publication date" in fig.layout.annotations[0].text
    assert "2 undated findings not shown" in fig.layout.title.text


def test_timeline_rejects_an_unknown_axis(typed_frame):
    with pytest.raises(ValueError, match="outcome, design"):
        figures.timeline(typed_frame, y="k_form")


def test_timeline_uses_webgl_and_few_traces_for_many_findings(big_frame):
    fig = figures.timeline(big_frame)
    drawn = point_traces(fig)
    assert {t.type for t in drawn} == {"scattergl"}
    assert len(fig.data) <= len(schema.DIRECTION.codes) * (len(schema.DESIGN.codes) + 1) + len(schema.DESIGN.codes)
    assert points(fig) == figures.TIMELINE_MAX_POINTS


# ----------------------------------------------------------------------------------- publications per year


def test_publications_per_year_counts_distinct_publications_by_form(typed_frame):
    fig = figures.publications_per_year(typed_frame)
    bars = [t for t in fig.data if t.type == "bar"]
    present = [c for c in schema.K_FORM.codes if c in set(typed_frame.dropna(subset=[schema.YEAR])["k_form"].astype(str))]
    assert [t.name for t in bars] == [figures.escape(schema.K_FORM.label(c)) for c in present]
    assert [t.marker.color for t in bars] == [schema.K_FORM.colours[c] for c in present]
    totals = {}
    for trace in bars:
        for year, count in zip(trace.x, trace.y):
            totals[year] = totals.get(year, 0) + count
    dated = typed_frame.dropna(subset=[schema.YEAR])
    expected = dated.groupby(schema.YEAR)["study_id"].nunique()
    assert {y: c for y, c in totals.items() if c} == {int(y): c for y, c in expected.items()}
    assert "2 undated publications not shown" in fig.layout.title.text


def test_publications_per_year_writes_totals_only_while_they_fit(typed_frame, frame_of):
    totals = [t for t in figures.publications_per_year(typed_frame).data if t.type == "scatter"]
    assert len(totals) == 1 and "1" in totals[0].text
    span = figures.MAX_LABELLED_YEARS + 1
    crowded = figures.publications_per_year(frame_of([{"study_id": f"s{i}", "published": str(1950 + i)} for i in range(span)]))
    assert {t.type for t in crowded.data} == {"bar"}


def test_publication_on_several_forms_counts_once_as_several_forms(frame_of):
    fig = figures.publications_per_year(frame_of([{"study_id": "a", "k_form": "K1"}, {"study_id": "a", "k_form": "MK-4"}]))
    bars = [t for t in fig.data if t.type == "bar"]
    assert [t.name for t in bars] == [schema.K_FORM.label(figures.SEVERAL_FORMS)]
    assert list(bars[0].y) == [1]


# ---------------------------------------------------------------------------------------- direction summary


def test_direction_summary_counts_publications_for_the_key_outcomes(typed_frame):
    fig = figures.direction_summary(typed_frame)
    assert [t.name for t in fig.data] == schema.labelled("direction", schema.EFFECT_DIRECTIONS)
    assert [t.marker.color for t in fig.data] == [schema.DIRECTION.colours[c] for c in schema.EFFECT_DIRECTIONS]
    key_labels = schema.labelled("outcome", schema.KEY_OUTCOMES)
    counts = {t.name: dict(zip(t.y, t.x)) for t in fig.data}
    assert all(list(t.y) == key_labels for t in fig.data)
    assert counts["Benefit"] == {"Bone density": 1, "Fracture": 1, "Muscle": 1}
    assert counts["No clear effect"]["Bone density"] == 1 and counts["Mixed"]["Muscle"] == 1
    assert sum(counts["Harm"].values()) == 0


def test_direction_summary_without_key_outcomes_says_so(frame_of):
    fig = figures.direction_summary(frame_of([{"outcome": "vascular"}]))
    assert not fig.data and "Bone density" in fig.layout.annotations[0].text


# ------------------------------------------------------------------------------------ effect direction plot


def test_effect_direction_plot_symbols_and_colours_are_the_schema_directions(typed_frame):
    fig = figures.effect_direction_plot(typed_frame)
    drawn = point_traces(fig)
    label_to_code = {schema.DIRECTION.label(c): c for c in schema.DIRECTION.codes}
    codes = [label_to_code[t.name] for t in drawn]
    assert codes == [c for c in schema.EFFECT_DIRECTIONS if c in codes]
    for trace, code in zip(drawn, codes):
        assert trace.marker.symbol == schema.DIRECTION.symbols[code]
        assert trace.marker.color == schema.DIRECTION.colours[code]
    assert {"triangle-up", "triangle-down"} <= {t.marker.symbol for t in drawn}


def test_effect_direction_plot_leaves_out_rows_without_a_direction(typed_frame):
    fig = figures.effect_direction_plot(typed_frame)
    studies = {c[0] for t in point_traces(fig) for c in t.customdata}
    assert studies == set(stats.effect_rows(typed_frame)["study_id"])
    assert schema.DIRECTION.label(stats.NO_EFFECT_STATED) not in [t.name for t in fig.data]


def test_effect_direction_plot_columns_start_with_the_key_outcomes(typed_frame):
    fig = figures.effect_direction_plot(typed_frame)
    ticks = list(fig.layout.xaxis.ticktext)
    assert ticks[:3] == [figures.escape(label) for label in schema.labelled("outcome", schema.KEY_OUTCOMES)]
    assert fig.layout.xaxis.side == "top"


def test_effect_direction_plot_groups_and_shades_rows_by_design(typed_frame):
    fig = figures.effect_direction_plot(typed_frame)
    designs = [c for c in schema.DESIGN.codes if c in set(stats.effect_rows(typed_frame)["design"].astype(str))]
    assert [s.fillcolor for s in fig.layout.shapes] == [schema.DESIGN.colours[c] for c in designs]
    labels = [a.text for a in fig.layout.annotations]
    assert [re.sub("<[^>]+>", " ", text).split() for text in labels] == [
        figures.escape(schema.DESIGN.label(c)).split() for c in designs
    ]
    tops = [s.y0 for s in fig.layout.shapes]
    assert tops == sorted(tops)


def test_effect_direction_plot_sizes_markers_by_sample_size(typed_frame):
    fig = figures.effect_direction_plot(typed_frame)
    by_study = stats.effect_rows(typed_frame).groupby("study_id")["n_participants"].max()
    for trace in point_traces(fig):
        for (study, _), size in zip(trace.customdata, trace.marker.size):
            n = by_study[study]
            assert size == schema.sample_size_band(None if pd.isna(n) else int(n))[1]
    legend = [t.name for t in fig.data if t.legendgroup == "size"]
    bands = [band[0] for band in schema.SAMPLE_SIZE_BANDS] + [schema.SAMPLE_SIZE_UNKNOWN[0]]
    assert legend == [figures.escape(band) for band in bands]


def test_effect_direction_plot_caps_to_the_most_recent_publications(frame_of):
    count = figures.MAX_EDP_PUBLICATIONS + 10
    rows = [{"study_id": f"s{i:03d}", "published": f"{1950 + i}-01", "citation": f"Author{i}, A title. J. {1950 + i}"}
            for i in range(count)]
    fig = figures.effect_direction_plot(frame_of(rows))
    assert f"the {figures.MAX_EDP_PUBLICATIONS} most recent of {count} publications" in fig.layout.title.text
    labels = list(fig.layout.yaxis.ticktext)
    assert len(labels) == figures.MAX_EDP_PUBLICATIONS
    assert f"Author{count - 1} {1950 + count - 1}" in labels and "Author0 1950" not in labels


def test_effect_direction_plot_labels_tell_publications_apart(frame_of):
    rows = [{"study_id": "a", "published": "2011-01", "citation": "Site page one"},
            {"study_id": "b", "published": "2011-05", "citation": "Site page two"},
            {"study_id": "c", "published": "", "citation": ""}]
    labels = list(figures.effect_direction_plot(frame_of(rows)).layout.yaxis.ticktext)
    assert sorted(labels) == ["Site page one 2011", "Site page two 2011", "c (undated)"]
    same = [{"study_id": s, "published": "2011-0" + m, "citation": "Vitamin D Life"} for s, m in (("x", "3"), ("y", "1"))]
    assert sorted(figures.effect_direction_plot(frame_of(same)).layout.yaxis.ticktext) == [
        "Vitamin D Life 2011a", "Vitamin D Life 2011b"
    ]


def test_effect_direction_plot_says_when_nothing_has_a_direction(frame_of):
    fig = figures.effect_direction_plot(frame_of([{"direction": "not_applicable"}]))
    assert not fig.data and "direction of effect" in fig.layout.annotations[0].text


# ----------------------------------------------------------------------------------------- direction counts


def bar_counts(fig: go.Figure, axis: str) -> dict[str, dict[str, int]]:
    """{direction label: {outcome label: count}} for the bars on one x axis ('x' or 'x2')."""
    return {t.name: dict(zip(t.y, t.x)) for t in fig.data if t.xaxis == axis}


def test_direction_counts_k1_against_the_whole_k2_family(typed_frame):
    fig = figures.direction_counts(typed_frame, split="k_family")
    assert [a.text for a in fig.layout.annotations] == [f"<b>{schema.K_FAMILY.label(f)}</b>" for f in schema.COMPARED_K_FAMILIES]
    assert {t.type for t in fig.data} == {"bar"} and len(fig.data) == 2 * len(schema.EFFECT_DIRECTIONS)
    k1, k2 = bar_counts(fig, "x"), bar_counts(fig, "x2")
    assert k1["No clear effect"]["Bone density"] == 1 and k1["Harm"]["Cardiovascular"] == 1
    # K2 = K2 (not stated) + MK-4 + MK-7: muscle (K2), fracture and bone markers (MK-4), bone density (MK-7).
    assert {o for o, n in k2["Benefit"].items() if n} == {"Muscle", "Fracture", "Bone markers", "Bone density",
                                                          "Bone quality &amp; strength"}
    assert sum(k2["Harm"].values()) == 0
    assert [t.name for t in fig.data if t.showlegend is not False] == schema.labelled("direction", schema.EFFECT_DIRECTIONS)
    assert "Not shown: 2 publications" in fig.layout.title.text


def test_direction_counts_with_against_without_d3(typed_frame):
    fig = figures.direction_counts(typed_frame, split="d3")
    assert [a.text for a in fig.layout.annotations] == [f"<b>{schema.D3.label(c)}</b>" for c in schema.COMPARED_D3]
    with_d3 = bar_counts(fig, "x")
    assert with_d3["Benefit"]["Muscle"] == 1 and with_d3["Mixed"]["Muscle"] == 1
    compared = typed_frame[typed_frame["d3"].isin(schema.COMPARED_D3)]
    present = set(stats.effect_rows(compared)["outcome"].astype(str))
    assert list(fig.data[0].y) == [figures.escape(label) for label in schema.labelled("outcome", figures.outcome_order(present))]


def test_direction_counts_rejects_an_unknown_split(typed_frame):
    with pytest.raises(ValueError, match="k_family, d3"):
        figures.direction_counts(typed_frame, split="design")


# ----------------------------------------------------------------------------------------------- vote count


def test_vote_count_shows_share_with_wilson_interval_and_sign_test(frame_of):
    rows = [{"study_id": f"b{i}", "direction": "benefit"} for i in range(8)]
    rows += [{"study_id": f"h{i}", "direction": "harm"} for i in range(2)]
    fig = figures.vote_count(frame_of(rows), subtitle=SUBTITLE)
    assert "exploratory" in fig.layout.title.text
    share = point_traces(fig)[0]
    assert list(share.y) == ["Bone density"] and share.x[0] == pytest.approx(0.8)
    low, high = stats.wilson_interval(8, 10)
    assert share.error_x.arrayminus[0] == pytest.approx(0.8 - low) and share.error_x.array[0] == pytest.approx(high - 0.8)
    assert "p = 0.109" in share.hovertext[0]
    assert any("8 of 10 show benefit · p = 0.109" in t for t in visible_texts(fig))


def test_vote_count_explains_when_no_outcome_qualifies(typed_frame):
    fig = figures.vote_count(typed_frame)
    assert not fig.data
    assert f"at least {stats.MIN_PUBLICATIONS} publications" in fig.layout.annotations[0].text
    assert "exploratory" in fig.layout.title.text


# --------------------------------------------------------------------------------------------- evidence map


def test_evidence_map_bubbles_count_publications_per_form_and_outcome(typed_frame):
    fig = figures.evidence_map(typed_frame)
    cells = {tuple(c): size for t in point_traces(fig) for c, size in zip(t.customdata, t.marker.size)}
    expected = typed_frame.groupby(["k_form", "outcome"], observed=True)["study_id"].nunique()
    assert cells == {(str(f), str(o)): n for (f, o), n in expected.items()}


def test_evidence_map_colour_is_share_showing_benefit(frame_of):
    rows = [{"study_id": "a", "k_form": "K1", "direction": "benefit"},
            {"study_id": "b", "k_form": "MK-7", "direction": "harm"},
            {"study_id": "c", "k_form": "K2", "direction": "not_applicable"}]
    fig = figures.evidence_map(frame_of(rows))
    fills = {tuple(c)[0]: colour for t in point_traces(fig) for c, colour in zip(t.customdata, t.marker.color)
             if not isinstance(t.marker.color, str)}
    assert fills == {"K1": schema.DIRECTION.colours[stats.BENEFIT].upper(), "MK-7": figures.NEUTRAL_FILL.upper()}
    no_direction = next(t for t in point_traces(fig) if isinstance(t.marker.color, str))
    assert no_direction.marker.symbol == schema.DIRECTION.symbols[stats.NO_EFFECT_STATED]
    assert no_direction.name == schema.DIRECTION.label(stats.NO_EFFECT_STATED)
    assert list(fig.layout.yaxis.ticktext) == schema.labelled("k_form", ["K1", "K2", "MK-7"])


# --------------------------------------------------------------------------------------------- chart config


def test_chart_config_is_slide_ready():
    config = figures.chart_config("kviz_timeline")
    assert config["displaylogo"] is False
    image = config["toImageButtonOptions"]
    assert image["format"] == "png" and image["scale"] >= 2 and image["filename"] == "kviz_timeline"
    assert figures.chart_config("x", image_format="svg")["toImageButtonOptions"]["format"] == "svg"


def test_chart_config_file_name_is_safe():
    assert figures.chart_config("kviz K2/with D3: “x”")["toImageButtonOptions"]["filename"] == "kviz-K2-with-D3-x"
    assert figures.chart_config("///")["toImageButtonOptions"]["filename"] == "kviz_chart"
