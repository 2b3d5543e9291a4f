"""Direction-of-effect charts: the key-outcome summary, K1 vs K2 / with vs without D3, and the vote count.

They count publications, not rows, and leave out rows whose direction is "no effect stated" (see `kviz.stats`)."""

from __future__ import annotations

import functools

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from kviz import schema, stats
from kviz.charts.style import (
    AXIS_COLOUR, BASE_FONT_SIZE, FACET_TITLE_SPACE, MUTED_TEXT_COLOUR, NO_DATA_MESSAGE, TEXT_COLOUR,
    count_axis, empty_figure, escape, marker_style, outcome_order, plural, titled,
)

SUMMARY_COLUMN_X = 1.06  # where the vote count's "k of n show benefit · p" column starts (share axis units)

# ------------------------------------------------------------------------------------------ direction summary


def direction_summary(frame: pd.DataFrame, subtitle: str = "") -> go.Figure:
    """Compact horizontal stacked bars: publications by direction for the key outcomes (bone density, fracture,
    muscle)."""
    key_labels = [schema.OUTCOME.label(code) for code in schema.KEY_OUTCOMES]
    title = "Direction of effect: " + ", ".join(key_labels)
    key_rows = frame[frame["outcome"].isin(schema.KEY_OUTCOMES)]
    counts = stats.direction_table(key_rows)
    if counts.empty:
        message = NO_DATA_MESSAGE if frame.empty else (
            f"No publication on {', '.join(key_labels[:-1])} or {key_labels[-1]} with a direction of effect matches the current filters"
        )
        return empty_figure(title, subtitle, message)

    counts.index = counts.index.astype(str)
    counts = counts.reindex(list(schema.KEY_OUTCOMES), fill_value=0)
    fig = go.Figure()
    for direction in schema.EFFECT_DIRECTIONS:
        label = escape(schema.DIRECTION.label(direction))
        values = counts[direction].tolist()
        fig.add_trace(
            go.Bar(
                y=[escape(label) for label in key_labels],
                x=values,
                orientation="h",
                name=label,
                marker=dict(color=schema.DIRECTION.colours[direction], line=dict(color="#FFFFFF", width=1)),
                text=[str(v) if v else "" for v in values],
                textposition="inside",
                insidetextanchor="middle",
                hovertemplate=f"%{{y}}<br>{label}: %{{x}} publication(s)<extra></extra>",
            )
        )
    fig.update_layout(barmode="stack", height=220, legend=dict(traceorder="normal"), bargap=0.3)
    count_axis(fig.update_xaxes, int(counts.sum(axis=1).max()))
    fig.update_yaxes(autorange="reversed", showgrid=False)
    return titled(fig, title, subtitle, ["Each publication counts once per outcome; rows with no effect stated are left out"])


# ------------------------------------------------------------------------------------------ direction counts


def _left_out_note(frame: pd.DataFrame, split: str) -> str:
    """Names the publications neither side of the comparison covers, so nothing disappears silently."""
    if split == "k_family":
        compared = [code for family in schema.COMPARED_K_FAMILIES for code in schema.k_forms_of_family(family)]
        column, vocabulary = "k_form", schema.K_FAMILY
        others = [code for code in schema.K_FAMILY.codes if code not in schema.COMPARED_K_FAMILIES]
    else:
        compared, column, vocabulary = list(schema.COMPARED_D3), "d3", schema.D3
        others = [code for code in schema.D3.codes if code not in schema.COMPARED_D3]
    left_out = stats.effect_rows(frame)
    left_out = left_out.loc[~left_out[column].isin(compared), "study_id"].nunique()
    if not left_out:
        return ""
    names = ", ".join(vocabulary.label(code) for code in others)
    return f"Not shown: {plural(left_out, 'publication')} ({names})"


def direction_counts(frame: pd.DataFrame, split: str = "k_family", subtitle: str = "") -> go.Figure:
    """Per-outcome counts of publications by direction, side by side for K1 vs K2 (split='k_family', K2 =
    K2 + MK-4 + MK-7) or with vs without D3 (split='d3')."""
    groups = stats.comparison_groups(frame, split)
    title = "Direction of effect by outcome: " + " vs ".join(label for label, _ in groups)
    note = _left_out_note(frame, split)
    tables = [(label, stats.direction_table(part)) for label, part in groups]
    if all(table.empty for _, table in tables):
        message = NO_DATA_MESSAGE if frame.empty else "No matching finding on either side has a direction of effect"
        return empty_figure(title, subtitle, message, [note])

    outcomes = outcome_order({str(code) for _, table in tables for code in table.index})
    outcome_labels = [escape(schema.OUTCOME.label(code)) for code in outcomes]
    tables = [(label, table.set_axis(table.index.astype(str)).reindex(outcomes, fill_value=0)) for label, table in tables]
    largest = max(int(table.to_numpy().max()) for _, table in tables)
    fig = make_subplots(
        rows=1, cols=len(tables), shared_yaxes=True, horizontal_spacing=0.05,
        subplot_titles=[f"<b>{escape(label)}</b>" for label, _ in tables],
    )
    for column_number, (group_label, table) in enumerate(tables, start=1):
        for direction in schema.EFFECT_DIRECTIONS:
            label = escape(schema.DIRECTION.label(direction))
            values = table[direction].tolist()
            fig.add_trace(
                go.Bar(
                    y=outcome_labels,
                    x=values,
                    orientation="h",
                    name=label,
                    marker=dict(color=schema.DIRECTION.colours[direction]),
                    text=[str(v) if v else "" for v in values],
                    textposition="outside",
                    cliponaxis=False,
                    legendgroup=direction,
                    showlegend=column_number == 1,
                    hovertemplate=f"{escape(group_label)}<br>%{{y}}<br>{label}: %{{x}} publication(s)<extra></extra>",
                ),
                row=1,
                col=column_number,
            )
        count_axis(functools.partial(fig.update_xaxes, row=1, col=column_number), largest)
    fig.update_layout(
        barmode="group", bargap=0.22, bargroupgap=0.04, height=max(280, 72 * len(outcomes) + 80),
        legend=dict(traceorder="normal"),
    )
    fig.update_annotations(font=dict(size=BASE_FONT_SIZE + 2, color=TEXT_COLOUR))
    fig.update_yaxes(autorange="reversed", showgrid=False)
    notes = [n for n in ("Each publication counts once per outcome and side", note) if n]
    return titled(fig, title, subtitle, notes, top_space=FACET_TITLE_SPACE)


# ------------------------------------------------------------------------------------------------- vote count


def vote_count(frame: pd.DataFrame, subtitle: str = "", min_publications: int = stats.MIN_PUBLICATIONS) -> go.Figure:
    """Per outcome with >= `min_publications` publications showing benefit or harm: the share showing benefit
    with its Wilson 95% interval and the exact sign-test p (labelled exploratory)."""
    title = "Vote count by direction of effect (exploratory)"
    notes = [
        f"Share of publications showing benefit among those showing benefit or harm; Wilson 95% interval; "
        f"exact two-sided sign test. Outcomes with at least {plural(min_publications, 'such publication')}. "
        "A count of studies ignores effect sizes and quality: it is not proof"
    ]
    if frame.empty:
        return empty_figure(title, subtitle, NO_DATA_MESSAGE, notes)
    table = stats.vote_counts(frame, min_publications)
    shown = table[table["shown"]]
    if shown.empty:
        best = int(table["n_directional"].max()) if not table.empty else 0
        message = (
            f"No outcome has at least {min_publications} publications showing benefit or harm "
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
    fig = go.Figure(
        go.Scatter(
            x=shown["share_benefit"].tolist(),
            y=labels,
            mode="markers",
            marker=marker_style(schema.DIRECTION.colours[stats.BENEFIT], "square", 14),
            error_x=dict(
                type="data",
                symmetric=False,
                array=(shown["wilson_high"] - shown["share_benefit"]).tolist(),
                arrayminus=(shown["share_benefit"] - shown["wilson_low"]).tolist(),
                color=TEXT_COLOUR,
                thickness=2,
                width=8,
            ),
            hovertext=hover,
            hoverinfo="text",
            showlegend=False,
            cliponaxis=False,
        )
    )
    fig.add_trace(  # the counts and p-values in a column of their own, clear of the intervals
        go.Scatter(
            x=[SUMMARY_COLUMN_X] * len(shown),
            y=labels,
            mode="text",
            text=summaries,
            textposition="middle right",
            textfont=dict(size=BASE_FONT_SIZE - 1, color=MUTED_TEXT_COLOUR),
            hovertext=hover,
            hoverinfo="text",
            showlegend=False,
        )
    )
    fig.update_layout(shapes=[  # the 50 % line, as a plain shape: add_vline re-processes the whole layout
        dict(type="line", xref="x", x0=0.5, x1=0.5, yref="y domain", y0=0, y1=1,
             line=dict(color=AXIS_COLOUR, dash="dash", width=1.5))
    ])
    fig.update_xaxes(
        title_text="Share showing benefit (dashed line: as many show benefit as harm)",
        range=[0, 1.75],
        tickformat=".0%",
        tickvals=[0, 0.25, 0.5, 0.75, 1],
    )
    fig.update_yaxes(autorange="reversed", showgrid=False)
    fig.update_layout(height=max(200, 64 * len(shown) + 110))
    return titled(fig, title, subtitle, notes)


def _p_text(p: float) -> str:
    return "< 0.001" if p < 0.001 else f"{p:.3f}"
