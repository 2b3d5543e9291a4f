"""Direction-of-effect charts: the key-outcome summary, K1 vs K2 / with vs without D3, and the vote count.

They count publications, not rows, and leave out rows whose direction is "no effect stated" (see `kviz.stats`). By
default they count only evidence about vitamin K (`stats.counted_rows`) and say in the subtitle what they leave
out; with `count_all` the rest comes back, hatched.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from kviz import schema, stats
from kviz.charts.style import (
    AXIS_COLOUR, BASE_FONT_SIZE, FACET_TITLE_SPACE, MUTED_TEXT_COLOUR, NO_DATA_MESSAGE, TEXT_COLOUR,
    count_axis, empty_figure, escape, marker_style, outcome_order, plural, slide_figure,
)

SUMMARY_COLUMN_X = 1.06  # where the vote count's "k of n show benefit · p" column starts (share axis units)
HATCH = "/"  # bars of findings that are not evidence about vitamin K, when they are counted too
NOT_EVIDENCE_NAME = "not evidence about vitamin K"
COLUMN_SPACING = 0.05  # between the two sides of a comparison, in shares of the plot width


def _tables(rows: pd.DataFrame, count_all: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Publications per outcome and direction: those that are evidence about vitamin K, and (with `count_all`) the
    others, each publication and outcome counted once (in the first table when it is in both)."""
    reasons = stats.not_evidence_reason(rows)
    evidence = rows[reasons == ""]
    counted = stats.direction_table(evidence)
    if not count_all:
        return counted, counted.iloc[:0]
    covered = set(zip(evidence["study_id"], evidence["outcome"].astype(str)))
    new = np.array([(s, str(o)) not in covered for s, o in zip(rows["study_id"], rows["outcome"])], dtype=bool)
    extra = rows[(reasons != "").to_numpy() & new]
    return counted, stats.direction_table(extra)


def _bars(y: list[str], table: pd.DataFrame, extra: pd.DataFrame, *, hover_prefix: str, text_position: str,
          show_legend: bool, offset: bool) -> list[dict]:
    """One bar per direction, and (when `extra` has rows) a hatched bar on top of it for what is not evidence."""
    bars = []
    for direction in schema.EFFECT_DIRECTIONS:
        label = escape(schema.DIRECTION.label(direction))
        values = table[direction].tolist()
        group = dict(offsetgroup=direction) if offset else {}
        bars.append(dict(
            type="bar", y=y, x=values, orientation="h", name=label, legendgroup=direction, showlegend=show_legend,
            marker=dict(color=schema.DIRECTION.colours[direction], line=dict(color="#FFFFFF", width=1)),
            text=[str(v) if v else "" for v in values], textposition=text_position, insidetextanchor="middle",
            cliponaxis=False, hovertemplate=f"{hover_prefix}%{{y}}<br>{label}: %{{x}} publication(s)<extra></extra>",
            **group,
        ))
        if not extra.empty and extra[direction].any():
            more = extra[direction].tolist()
            bars.append(dict(
                type="bar", y=y, x=more, **(dict(base=values) if offset else {}), orientation="h", legendgroup=direction,
                name=f"{label}: {NOT_EVIDENCE_NAME}", showlegend=show_legend,
                marker=dict(color=schema.DIRECTION.colours[direction], pattern=dict(shape=HATCH, fgcolor="#FFFFFF"),
                            opacity=0.6, line=dict(color="#FFFFFF", width=1)),
                hovertemplate=f"{hover_prefix}%{{y}}<br>{label}, {NOT_EVIDENCE_NAME}: %{{x}} publication(s)"
                              "<extra></extra>",
                **group,
            ))
    return bars


# ------------------------------------------------------------------------------------------ direction summary


def direction_summary(frame: pd.DataFrame, subtitle: str = "", count_all: bool = False) -> go.Figure:
    """Compact horizontal stacked bars: publications by direction for the key outcomes (bone density, fracture,
    muscle). customdata = (outcome, direction) codes, so a clicked bar can list its findings."""
    key_labels = [schema.OUTCOME.label(code) for code in schema.KEY_OUTCOMES]
    title = "Direction of effect: " + ", ".join(key_labels)
    frame = stats.direction_columns(frame)
    _, note = stats.counted_rows(frame, count_all)
    notes = [n for n in ("Each publication counts once per outcome; rows with no effect stated are left out", note) if n]
    counts, extra = _tables(frame[frame["outcome"].isin(schema.KEY_OUTCOMES)], count_all)
    if counts.empty and extra.empty:
        message = NO_DATA_MESSAGE if frame.empty else (
            f"No evidence about vitamin K on {', '.join(key_labels[:-1])} or {key_labels[-1]} with a direction of "
            "effect matches the current filters"
        )
        return empty_figure(title, subtitle, message, notes)
    keys = list(schema.KEY_OUTCOMES)
    counts = counts.set_axis(counts.index.astype(str)).reindex(keys, fill_value=0)
    extra = extra.set_axis(extra.index.astype(str)).reindex(keys, fill_value=0)
    y = [escape(label) for label in key_labels]
    bars = _bars(y, counts, extra, hover_prefix="", text_position="inside", show_legend=True, offset=False)
    for bar in bars:
        bar["customdata"] = [[outcome, bar["legendgroup"]] for outcome in keys]
    layout = dict(barmode="stack", height=220, legend=dict(traceorder="normal"), bargap=0.3, clickmode="event+select",
                  xaxis=count_axis(int((counts + extra).sum(axis=1).max())),
                  yaxis=dict(autorange="reversed", showgrid=False))
    return slide_figure(bars, layout, title, subtitle, notes)


# ------------------------------------------------------------------------------------------ direction counts


def _left_out_note(frame: pd.DataFrame, split: str) -> str:
    """Names the publications neither side of the comparison covers, and only the categories they are in."""
    column, vocabulary, compared = (
        ("k_form", schema.K_FORM, [c for f in schema.COMPARED_K_FAMILIES for c in schema.k_forms_of_family(f)])
        if split == "k_family" else ("d3", schema.D3, list(schema.COMPARED_D3))
    )
    left_out = ~frame[column].isin(compared).to_numpy(dtype=bool) & stats.has_effect(frame)
    if not left_out.any():
        return ""
    in_left_out = {str(code) for code in frame[column].to_numpy()[left_out]}
    present = [code for code in vocabulary.codes if code in in_left_out]
    publications = len({study for study in frame["study_id"].to_numpy()[left_out] if pd.notna(study)})
    return f"Not shown: {plural(publications, 'publication')} ({', '.join(map(vocabulary.label, present))})"


def direction_counts(frame: pd.DataFrame, split: str = "k_family", subtitle: str = "", count_all: bool = False) -> go.Figure:
    """Per-outcome counts of publications by direction, side by side for K1 vs K2 (split='k_family', K2 =
    K2 + MK-4 + MK-7) or with vs without D3 (split='d3')."""
    frame = stats.direction_columns(frame)
    groups = stats.comparison_groups(frame, split)
    title = "Direction of effect by outcome: " + " vs ".join(label for label, _ in groups)
    rows, counted_note = stats.counted_rows(frame, count_all)
    notes = [n for n in ("Each publication counts once per outcome and side", _left_out_note(rows, split), counted_note)
             if n]
    tables = [(label, *_tables(part, count_all)) for label, part in groups]
    if all(table.empty and extra.empty for _, table, extra in tables):
        message = NO_DATA_MESSAGE if frame.empty else "No evidence about vitamin K on either side has a direction of effect"
        return empty_figure(title, subtitle, message, notes)

    outcomes = outcome_order({str(code) for _, table, extra in tables for code in [*table.index, *extra.index]})
    outcome_labels = [escape(schema.OUTCOME.label(code)) for code in outcomes]
    tables = [(label, table.set_axis(table.index.astype(str)).reindex(outcomes, fill_value=0),
               extra.set_axis(extra.index.astype(str)).reindex(outcomes, fill_value=0)) for label, table, extra in tables]
    largest = max(int((table + extra).to_numpy().max()) for _, table, extra in tables)
    traces, layout = [], {}
    width = (1 - COLUMN_SPACING * (len(tables) - 1)) / len(tables)
    for number, (group_label, table, extra) in enumerate(tables):
        x_name, y_name = ("x", "y") if number == 0 else (f"x{number + 1}", f"y{number + 1}")
        bars = _bars(outcome_labels, table, extra, hover_prefix=f"{escape(group_label)}<br>", text_position="outside",
                     show_legend=number == 0, offset=True)
        traces += [dict(bar, xaxis=x_name, yaxis=y_name) for bar in bars]
        start = number * (width + COLUMN_SPACING)
        layout[x_name.replace("x", "xaxis")] = dict(count_axis(largest), anchor=y_name, domain=[start, start + width])
        shared = dict(matches="y", showticklabels=False) if number else {}
        layout[y_name.replace("y", "yaxis")] = dict(anchor=x_name, domain=[0.0, 1.0], autorange="reversed",
                                                    showgrid=False, **shared)
        layout.setdefault("annotations", []).append(dict(  # the column's title
            text=f"<b>{escape(group_label)}</b>", x=start + width / 2, xanchor="center", xref="paper", y=1.0,
            yanchor="bottom", yref="paper", showarrow=False, font=dict(size=BASE_FONT_SIZE + 2, color=TEXT_COLOUR),
        ))
    layout.update(barmode="group", bargap=0.22, bargroupgap=0.04, height=max(280, 72 * len(outcomes) + 80),
                  legend=dict(traceorder="normal"))
    return slide_figure(traces, layout, title, subtitle, notes, top_space=FACET_TITLE_SPACE)


# ------------------------------------------------------------------------------------------------- vote count


def vote_count(frame: pd.DataFrame, subtitle: str = "", min_publications: int = stats.MIN_PUBLICATIONS,
               count_all: bool = False) -> go.Figure:
    """Per outcome with >= `min_publications` publications showing benefit or harm: the share showing benefit
    with its Wilson 95% interval and the exact sign-test p (labelled exploratory). Votes come from primary studies
    (schema.VOTING_DESIGNS): a meta-analysis never votes beside the trials it pools."""
    title = "Vote count by direction of effect (exploratory)"
    frame = stats.direction_columns(frame)
    voting, counted_note = stats.voting_rows(frame, count_all)
    designs = ", ".join(schema.DESIGN.label(code).lower() for code in schema.VOTING_DESIGNS)
    notes = [
        f"Votes from {designs}; meta-analyses do not vote (they pool the same trials). Share of publications showing "
        f"benefit among those showing benefit or harm; Wilson 95% interval; exact two-sided sign test. Outcomes with "
        f"at least {plural(min_publications, 'such publication')}. A count of studies ignores effect sizes and "
        "quality: it is not proof",
        *([counted_note] if counted_note else []),
    ]
    if frame.empty:
        return empty_figure(title, subtitle, NO_DATA_MESSAGE, notes)
    table = stats.vote_counts(voting, min_publications)
    shown = table[table["shown"]]
    if shown.empty:
        best = int(table["n_directional"].max()) if not table.empty else 0
        message = (
            f"No outcome has at least {min_publications} primary studies showing benefit or harm "
            f"under the current filters (the most is {best})"
        )
        return empty_figure(title, subtitle, message, notes)

    labels = [escape(schema.OUTCOME.label(code)) for code in shown.index]
    summaries = [
        f"{b:,} of {n:,} show benefit · p = {_p_text(p)}"
        for b, n, p in zip(shown[stats.BENEFIT], shown["n_directional"], shown["sign_test_p"])
    ]
    hover = [
        f"<b>{label}</b><br>Benefit: {b:,} · Harm: {h:,} (no clear effect: {ne:,}, mixed: {m:,})"
        f"<br>Share showing benefit: {s:.0%} (95% CI {lo:.0%}–{hi:.0%})<br>Sign test p = {_p_text(p)}"
        for label, b, h, ne, m, s, lo, hi, p in zip(
            labels, shown[stats.BENEFIT], shown[stats.HARM], shown["no_effect"], shown[stats.MIXED],
            shown["share_benefit"], shown["wilson_low"], shown["wilson_high"], shown["sign_test_p"],
        )
    ]
    traces = [
        dict(
            type="scatter", x=shown["share_benefit"].tolist(), y=labels, mode="markers",
            marker=marker_style(schema.DIRECTION.colours[stats.BENEFIT], "square", 14),
            error_x=dict(
                type="data", symmetric=False, array=(shown["wilson_high"] - shown["share_benefit"]).tolist(),
                arrayminus=(shown["share_benefit"] - shown["wilson_low"]).tolist(), color=TEXT_COLOUR,
                thickness=2, width=8,
            ),
            hovertext=hover, hoverinfo="text", showlegend=False, cliponaxis=False,
        ),
        dict(  # the counts and p-values in a column of their own, clear of the intervals
            type="scatter", x=[SUMMARY_COLUMN_X] * len(shown), y=labels, mode="text", text=summaries,
            textposition="middle right", textfont=dict(size=BASE_FONT_SIZE - 1, color=MUTED_TEXT_COLOUR),
            hovertext=hover, hoverinfo="text", showlegend=False,
        ),
    ]
    layout = dict(
        shapes=[dict(type="line", xref="x", x0=0.5, x1=0.5, yref="y domain", y0=0, y1=1,
                     line=dict(color=AXIS_COLOUR, dash="dash", width=1.5))],
        xaxis=dict(title=dict(text="Share showing benefit (dashed line: as many show benefit as harm)"), range=[0, 1.75],
                   tickformat=".0%", tickvals=[0, 0.25, 0.5, 0.75, 1]),
        yaxis=dict(autorange="reversed", showgrid=False),
        height=max(200, 64 * len(shown) + 110),
    )
    return slide_figure(traces, layout, title, subtitle, notes)


def _p_text(p: float) -> str:
    return "< 0.001" if p < 0.001 else f"{p:.3f}"
