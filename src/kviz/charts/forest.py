"""The forest plot: each finding's estimate with its 95% CI, grouped by site, design family and a chosen subgroup,
with a diamond for each exploratory pooled estimate (see `kviz.meta_analysis`)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from kviz import effect_sizes, meta_analysis, schema
from kviz.charts.style import (
    AXIS_COLOUR, BASE_FONT_SIZE, MUTED_TEXT_COLOUR, NO_DATA_MESSAGE, TEXT_COLOUR, category_labels, counts_text,
    empty_figure, escape, hover_texts, marker_style, slide_figure,
)

ROW_HEIGHT = 26
# Beyond this many findings only the most precise are drawn (the pooled estimates still use every one): a forest
# plot of thousands of lines is unreadable and slow to send.
MAX_FOREST_FINDINGS = 60
ESTIMATE_COLOUR = "#0072B2"  # the schema's benefit blue family: squares and diamonds
NOT_POOLED_COLOUR = "#FFFFFF"
DIAMOND_HALF_HEIGHT = 0.32
PLOT_DOMAIN = (0.0, 0.64)  # the estimates; the column of numbers sits to the right of it
NUMBERS_X = 0.66
FAMILY_TITLES = {meta_analysis.TRIALS: "Trials", meta_analysis.OBSERVATIONAL: "Observational studies",
                 meta_analysis.META: "Published meta-analyses (shown as published, not pooled again)"}
FLAG_MARK = {"concern": " ⚠", "retracted": " ✕"}


@dataclass
class _Line:
    """One line of the plot, top to bottom: a heading, a finding, or a pooled diamond."""

    kind: str  # site | family | subgroup | finding | pooled
    label: str
    numbers: str = ""
    index: object = None  # a finding's row label in the analysis rows
    pooled: meta_analysis.Pooled | None = None


def _estimate_text(measure: str, estimate: float, low: float, high: float) -> str:
    number = effect_sizes.number_text
    return f"{number(estimate)} ({number(low)} to {number(high)})"


def _study_label(study_id: str, year: object, integrity: object) -> str:
    """'Van Ballegooijen 2018' from the study_id (first author and year, as curators name studies), a flag mark
    after a retracted (✕) or questioned (⚠) study."""
    tokens = str(study_id).split("-")
    years = [i for i, token in enumerate(tokens) if token.isdigit() and len(token) == 4]
    name = " ".join(tokens[: years[0]] if years else tokens).title()
    year = tokens[years[0]] if years else ("" if pd.isna(year) else str(int(year)))
    return f"{name[:26]} {year}".strip() + FLAG_MARK.get(str(integrity), "")


def _pooled_text(measure: str, pooled: meta_analysis.Pooled) -> str:
    heterogeneity = "" if math.isnan(pooled.tau2) else f" · τ² {pooled.tau2:.3g} · I² {pooled.i2:.0f}%"
    return f"{_estimate_text(measure, pooled.estimate, pooled.ci_low, pooled.ci_high)} · k = {pooled.k}{heterogeneity}"


LOG_TICKS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1, 1.5, 2, 3, 5, 10, 20, 50)


def _lines(rows: pd.DataFrame, pooled: list[meta_analysis.Pooled], measure: str) -> list[_Line]:
    """The plot's lines from the analysis rows (sorted by site, family and subgroup, so each block is contiguous):
    a heading where a site, family or subgroup begins, its findings, and after a subgroup and a family their
    pooled estimates. One pass over plain values: rows without a subgroup are in none, as in a groupby."""
    by_key = {(p.site, p.subgroup): p for p in pooled}
    lines: list[_Line] = []
    site = family = subgroup = None

    def add_pooled(key: str, label: str) -> None:
        found = by_key.get((site, key))
        if found:
            lines.append(_Line("pooled", f"Pooled: {label}", _pooled_text(measure, found), pooled=found))

    def close(whole_family: bool) -> None:
        if subgroup is not None:
            add_pooled(f"{subgroup} ({family})", subgroup)
            if whole_family:
                add_pooled(f"{meta_analysis.ALL} {family}", f"all {family}")

    values = zip(rows.index, rows["site"], rows["family"], rows["subgroup"], rows["study_id"], rows["year"],
                 rows["integrity"], rows["estimate"], rows["ci_low"], rows["ci_high"])
    for index, row_site, row_family, row_subgroup, study, year, integrity, estimate, low, high in values:
        if pd.isna(row_subgroup):
            continue
        if row_site != site or row_family != family:
            close(whole_family=True)
            if row_site != site:
                lines.append(_Line("site", row_site))
            lines.append(_Line("family", FAMILY_TITLES[row_family]))
            site, family, subgroup = row_site, row_family, None
        if row_subgroup != subgroup:
            close(whole_family=False)
            subgroup = row_subgroup
            lines.append(_Line("subgroup", subgroup))
        lines.append(_Line("finding", _study_label(study, year, integrity), _estimate_text(measure, estimate, low, high),
                           index=index))
    close(whole_family=True)
    return lines


def _axis_label(line: _Line) -> str:
    text = escape(line.label)
    return {"site": f"<b>{text}</b>", "family": f"<b><i>{text}</i></b>", "subgroup": f"<i>{text}</i>",
            "pooled": f"<b>{text}</b>"}.get(line.kind, text)


def forest_plot(analysis: meta_analysis.Analysis, subtitle: str = "") -> go.Figure:
    """The forest plot of an analysis: squares for findings (size by inverse variance; hollow when not pooled; ⚠ / ✕
    after a questioned or retracted study's name), diamonds for pooled estimates, a dashed line of no effect, ratios
    on a log axis. customdata = finding_id."""
    rows, pooled, measure = analysis.rows, analysis.pooled, analysis.measure
    measure_label = schema.MEASURE.label(measure)
    title = f"Effect sizes: {schema.OUTCOME.label(analysis.outcome)} · {measure_label}"
    left_out = len(analysis.not_pooled)
    notes = (
        f"Exploratory random-effects pooling ({meta_analysis.METHODS[analysis.method]}), grouped by "
        f"{meta_analysis.GROUPINGS[analysis.by][0].lower()}{meta_analysis.GROUPINGS[analysis.by][1:]}; trials and "
        "observational studies are pooled apart; published meta-analyses are not pooled again",
        f"Hollow squares: {left_out} finding{'s' if left_out != 1 else ''} not pooled (the reason is in each one's hover)"
        if left_out else "Every finding with company at its site is pooled",
    )
    if rows.empty:
        return empty_figure(title, subtitle, "No matching finding reports this measure with its 95% CI", notes[:1])
    log = effect_sizes.log_scale(measure)
    if len(rows) > MAX_FOREST_FINDINGS:
        precision = [1 / effect_sizes.standard_error(measure, lo, hi) if pd.notna(lo) and pd.notna(hi) else 0.0
                     for lo, hi in zip(rows["ci_low"], rows["ci_high"])]
        kept = rows.assign(precision=precision).nlargest(MAX_FOREST_FINDINGS, "precision").index
        notes = (*notes, f"The {MAX_FOREST_FINDINGS} most precise of {len(rows):,} findings are drawn; the pooled "
                         "estimates use every one")
        rows = rows.loc[rows.index.isin(kept)]
    lines = _lines(rows, pooled, measure)
    positions = {id(line): number for number, line in enumerate(lines)}
    findings = [line for line in lines if line.kind == "finding"]
    table = rows.loc[[line.index for line in findings]]
    y = [positions[id(line)] for line in findings]
    se = np.array([effect_sizes.standard_error(measure, lo, hi) for lo, hi in zip(table["ci_low"], table["ci_high"])])
    weight = 1 / np.square(se)  # NaN for an estimate printed without its CI: drawn at the smallest size
    sizes = np.nan_to_num(8 + 16 * np.sqrt(weight / np.nanmax(weight)), nan=8.0) if np.isfinite(weight).any() else np.full(len(se), 8.0)
    fills = np.where(table["pooled"], ESTIMATE_COLOUR, NOT_POOLED_COLOUR).tolist()
    turned = "printed as less vs more vitamin K; shown the other way"
    hover = hover_texts(
        table["headline"],
        [("Study", [line.label for line in findings]),
         ("Estimate (95% CI)", [line.numbers for line in findings]),
         ("Turned round", [turned if reoriented else "" for reoriented in table["reoriented"].tolist()]),
         ("As printed", table["effect_size"]),
         (schema.LABELS["n_participants"], counts_text(table["n_participants"])),
         *[(schema.LABELS[column], category_labels(table[column], column)) for column in ("design", "k_form", "d3")],
         (schema.LABELS["integrity"],  # a finding without concerns says nothing here
          category_labels(table["integrity"].where(table["integrity"] != "ok"), "integrity")),
         ("Not pooled", table["not_pooled"])],
    )
    traces = [dict(
        type="scatter", x=table["estimate"].to_numpy(), y=y, mode="markers",
        marker=marker_style(fills, "square", sizes.tolist()),
        error_x=dict(type="data", symmetric=False, array=(table["ci_high"] - table["estimate"]).tolist(),
                     arrayminus=(table["estimate"] - table["ci_low"]).tolist(), color=TEXT_COLOUR, thickness=1.5, width=0),
        customdata=table[["finding_id"]].to_numpy(), hovertext=hover, hoverinfo="text", showlegend=False,
    )]
    diamonds = [line for line in lines if line.kind == "pooled"]
    if diamonds:
        xs: list[float | None] = []
        ys: list[float | None] = []
        for line in diamonds:
            p, centre = line.pooled, positions[id(line)]
            xs += [p.ci_low, p.estimate, p.ci_high, p.estimate, p.ci_low, None]
            ys += [centre, centre - DIAMOND_HALF_HEIGHT, centre, centre + DIAMOND_HALF_HEIGHT, centre, None]
        traces.append(dict(type="scatter", x=xs, y=ys, mode="lines", fill="toself", fillcolor=ESTIMATE_COLOUR,
                                 line=dict(color=TEXT_COLOUR, width=1), hoverinfo="skip", showlegend=False))
        traces.append(dict(  # invisible centres carry the diamonds' hover text
            type="scatter", x=[line.pooled.estimate for line in diamonds], y=[positions[id(line)] for line in diamonds],
            mode="markers", marker=dict(size=14, opacity=0), showlegend=False, hoverinfo="text",
            hovertext=[f"<b>{escape(line.label)}</b><br>{escape(line.numbers)}<br>"
                       f"{escape(line.pooled.method)} random effects (exploratory)" for line in diamonds],
        ))
    values = np.concatenate([table[["ci_low", "ci_high"]].to_numpy().ravel(),
                             [v for line in diamonds for v in (line.pooled.ci_low, line.pooled.ci_high)],
                             [effect_sizes.NO_EFFECT["ratio" if log else "difference"]]])
    low, high = float(np.nanmin(values)), float(np.nanmax(values))
    if log:
        span = (math.log10(low) - 0.1, math.log10(high) + 0.1)
        null_line = 1.0
    else:
        pad = (high - low) * 0.05 or 1.0
        span, null_line = (low - pad, high + pad), 0.0
    favours = ("← favours vitamin K", "favours control →") if log else ("← favours control", "favours vitamin K →")
    ticks = [t for t in LOG_TICKS if low / 1.3 <= t <= high * 1.3] if log else None
    estimate_axis = dict(type="log" if log else "linear", range=list(span), domain=list(PLOT_DOMAIN),
                         title=dict(text=f"{escape(measure_label)}: {favours[0]}   |   {favours[1]}"), zeroline=False)
    if ticks:
        estimate_axis.update(tickvals=ticks, ticktext=[effect_sizes.number_text(t) for t in ticks])
    layout = dict(
        shapes=[dict(type="line", xref="x", yref="paper", x0=null_line, x1=null_line, y0=0, y1=1,
                     line=dict(color=AXIS_COLOUR, dash="dash", width=1.5))],
        annotations=[dict(x=NUMBERS_X, xref="paper", xanchor="left", y=positions[id(line)], yref="y",
                          text=(f"<b>{escape(line.numbers)}</b>" if line.kind == "pooled" else escape(line.numbers)),
                          showarrow=False, font=dict(size=BASE_FONT_SIZE - 1, color=MUTED_TEXT_COLOUR))
                     for line in lines if line.numbers],
        height=ROW_HEIGHT * len(lines) + 110, hovermode="closest",
        xaxis=estimate_axis,
        yaxis=dict(tickvals=list(range(len(lines))), ticktext=[_axis_label(line) for line in lines],
                   range=[len(lines) - 0.5, -0.5], showgrid=False, showline=False, ticks=""),
    )
    return slide_figure(traces, layout, title, subtitle, notes)


def forest_chart(frame: pd.DataFrame, subtitle: str = "", *, outcome: str | None = None, measure: str | None = None,
                 by: str = "k_form", method: str = meta_analysis.DEFAULT_METHOD, exclude_flagged: bool = False,
                 exclude_open_label: bool = False) -> go.Figure:
    """The forest plot of one outcome and measure (by default `meta_analysis.default_analysis`) for a findings frame."""
    chosen = (outcome, measure) if outcome and measure else meta_analysis.default_analysis(frame)
    if chosen is None:
        message = NO_DATA_MESSAGE if frame.empty else "No matching finding reports an estimate with its 95% CI"
        return empty_figure("Effect sizes", subtitle, message)
    analysis = meta_analysis.analyse(frame, *chosen, by, method, exclude_flagged=exclude_flagged,
                                     exclude_open_label=exclude_open_label)
    return forest_plot(analysis, subtitle)
