"""Direction-of-effect charts: the key-outcome summary, direction counts and the vote count."""

from __future__ import annotations

import functools

import plotly.graph_objects as go
import pytest

from kviz import schema, stats
from kviz.charts import directions, style

from tests.charts.conftest import SUBTITLE, hover_texts, point_traces, points, visible_texts

# ---------------------------------------------------------------------------------------- direction summary


def test_direction_summary_counts_publications_for_the_key_outcomes(typed_frame):
    fig = directions.direction_summary(typed_frame)
    assert [t.name for t in fig.data] == schema.labelled("direction", schema.EFFECT_DIRECTIONS)
    assert [t.marker.color for t in fig.data] == [schema.DIRECTION.colours[c] for c in schema.EFFECT_DIRECTIONS]
    key_labels = schema.labelled("outcome", schema.KEY_OUTCOMES)
    counts = {t.name: dict(zip(t.y, t.x)) for t in fig.data}
    assert all(list(t.y) == key_labels for t in fig.data)
    assert counts["Benefit"] == {"Bone density": 1, "Fracture": 1, "Muscle": 1}
    assert counts["No clear effect"]["Bone density"] == 1 and counts["Mixed"]["Muscle"] == 1
    assert sum(counts["Harm"].values()) == 0


def test_direction_summary_without_key_outcomes_says_so(frame_of):
    fig = directions.direction_summary(frame_of([{"outcome": "vascular"}]))
    assert not fig.data and "Bone density" in fig.layout.annotations[0].text


# ----------------------------------------------------------------------------------------- direction counts


def bar_counts(fig: go.Figure, axis: str) -> dict[str, dict[str, int]]:
    """{direction label: {outcome label: count}} for the bars on one x axis ('x' or 'x2')."""
    return {t.name: dict(zip(t.y, t.x)) for t in fig.data if t.xaxis == axis}


def test_direction_counts_k1_against_the_whole_k2_family(typed_frame):
    fig = directions.direction_counts(typed_frame, split="k_family")
    assert [a.text for a in fig.layout.annotations] == [f"<b>{schema.K_FAMILY.label(f)}</b>" for f in schema.COMPARED_K_FAMILIES]
    assert {t.type for t in fig.data} == {"bar"} and len(fig.data) == 2 * len(schema.EFFECT_DIRECTIONS)
    k1, k2 = bar_counts(fig, "x"), bar_counts(fig, "x2")
    assert k1["No clear effect"]["Bone density"] == 1 and k1["Harm"]["Cardiovascular"] == 1
    # K2 = K2 (not stated) + MK-4 + MK-7: muscle (K2), fracture and bone markers (MK-4), bone density (MK-7).
    assert {o for o, n in k2["Benefit"].items() if n} == {"Muscle", "Fracture", "Bone markers", "Bone density",
                                                          "Bone quality &amp; strength"}
    assert sum(k2["Harm"].values()) == 0
    assert [t.name for t in fig.data if t.showlegend is not False] == schema.labelled("direction", schema.EFFECT_DIRECTIONS)
    assert "Not shown: 1 publication (Several forms)" in fig.layout.title.text  # only the forms that are there


def test_direction_counts_with_against_without_d3(typed_frame):
    fig = directions.direction_counts(typed_frame, split="d3")
    assert [a.text for a in fig.layout.annotations] == [f"<b>{schema.D3.label(c)}</b>" for c in schema.COMPARED_D3]
    with_d3 = bar_counts(fig, "x")
    assert with_d3["Benefit"]["Muscle"] == 1 and with_d3["Mixed"]["Muscle"] == 1
    compared = typed_frame[typed_frame["d3"].isin(schema.COMPARED_D3)]
    present = set(stats.effect_rows(compared)["outcome"].astype(str))
    assert list(fig.data[0].y) == [style.escape(label) for label in schema.labelled("outcome", style.outcome_order(present))]


def test_direction_counts_rejects_an_unknown_split(typed_frame):
    with pytest.raises(ValueError, match="k_family, d3"):
        directions.direction_counts(typed_frame, split="design")


# ----------------------------------------------------------------------------------------------- vote count


def test_vote_count_shows_share_with_wilson_interval_and_sign_test(frame_of):
    rows = [{"study_id": f"b{i}", "direction": "benefit"} for i in range(8)]
    rows += [{"study_id": f"h{i}", "direction": "harm"} for i in range(2)]
    fig = directions.vote_count(frame_of(rows), subtitle=SUBTITLE)
    assert "exploratory" in fig.layout.title.text
    share = point_traces(fig)[0]
    assert list(share.y) == ["Bone density"] and share.x[0] == pytest.approx(0.8)
    low, high = stats.wilson_interval(8, 10)
    assert share.error_x.arrayminus[0] == pytest.approx(0.8 - low) and share.error_x.array[0] == pytest.approx(high - 0.8)
    assert "p = 0.109" in share.hovertext[0]
    assert any("8 of 10 show benefit · p = 0.109" in t for t in visible_texts(fig))


def test_vote_count_explains_when_no_outcome_qualifies(typed_frame):
    fig = directions.vote_count(typed_frame)
    assert not fig.data
    assert f"at least {stats.MIN_PUBLICATIONS} primary studies" in fig.layout.annotations[0].text
    assert "exploratory" in fig.layout.title.text


def test_vote_count_pools_primary_studies_only_and_says_which(frame_of):
    rows = [{"study_id": f"b{i}", "direction": "benefit"} for i in range(5)]
    rows += [{"study_id": f"m{i}", "direction": "benefit", "design": "meta_analysis"} for i in range(3)]
    rows += [{"study_id": f"r{i}", "direction": "benefit", "design": "review"} for i in range(3)]
    rows += [{"study_id": f"d{i}", "direction": "harm", "k_form": "none", "d3": "d3_only"} for i in range(2)]
    fig = directions.vote_count(frame_of(rows))
    assert any("5 of 5 show benefit" in t for t in visible_texts(fig))  # no meta-analysis, review or D-only vote
    assert "meta-analyses do not vote" in fig.layout.title.text
    assert "Left out of the counts: 5 findings that are not evidence about vitamin K" in fig.layout.title.text
    everything = directions.vote_count(frame_of(rows), count_all=True)
    assert any("8 of 10 show benefit" in t for t in visible_texts(everything))  # reviews and D-only back; no meta


def test_direction_charts_count_no_vitamin_d_only_trial_or_opinion(frame_of):
    rows = [{"study_id": f"d{i}", "direction": "harm", "k_form": "none", "d3": "d3_only"} for i in range(3)]
    rows += [{"study_id": f"o{i}", "direction": "benefit", "design": "opinion", "source_match": "not_identified"}
             for i in range(3)]
    frame = frame_of(rows)
    for build in (directions.direction_summary, functools.partial(directions.direction_counts, split="d3"),
                  directions.vote_count):
        fig = build(frame)
        assert not fig.data, build
        assert "not evidence about vitamin K" in fig.layout.title.text
    summary = directions.direction_summary(frame, count_all=True)
    hatched = [t for t in summary.data if t.marker.pattern.shape == directions.HATCH]
    assert hatched and all(directions.NOT_EVIDENCE_NAME in t.name for t in hatched)
