"""The evidence map: vitamin K form × outcome bubbles, sized by publications, coloured by direction."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from kviz import schema, stats
from kviz.charts.style import (
    BASE_FONT_SIZE, TEXT_COLOUR, empty_figure, escape, marker_style, outcome_columns, outcome_order, titled,
)

NEUTRAL_FILL = "#F0F0F0"  # the low end of the share-showing-benefit scale
MAX_BUBBLE_DIAMETER = 54

# ----------------------------------------------------------------------------------------------- evidence map


def evidence_map(frame: pd.DataFrame, subtitle: str = "") -> go.Figure:
    """K form x outcome bubbles: area = distinct publications, colour = share of those with a direction of effect
    that show benefit. customdata = (k_form, outcome) codes so a selected bubble can list its findings."""
    title = "Evidence map: vitamin K form × outcome"
    if frame.empty:
        return empty_figure(title, subtitle)
    cells = stats.evidence_map_cells(frame)
    columns = outcome_order(cells["outcome"])
    rows = [code for code in schema.K_FORM.codes if code in set(cells["k_form"])]
    cells["x"] = cells["outcome"].map({code: i for i, code in enumerate(columns)})
    cells["y"] = cells["k_form"].map({code: i for i, code in enumerate(rows)})
    bubble_area = dict(sizemode="area", sizeref=2 * int(cells["publications"].max()) / MAX_BUBBLE_DIAMETER**2, sizemin=10)
    no_direction = schema.DIRECTION[stats.NO_EFFECT_STATED]

    fig = go.Figure()
    for has_direction, part in cells.groupby(cells["with_direction"] > 0):
        sizes = part["publications"].tolist()
        if has_direction:
            fills = [_share_colour(share) for share in part["share_benefit"]]
            marker = marker_style(fills, "circle", sizes, **bubble_area)
            name, text_colours = "Publications with a direction of effect", [_readable_on(fill) for fill in fills]
        else:  # nothing to colour: an open ring, as 'no effect stated' is drawn everywhere
            marker = marker_style(no_direction.colour, no_direction.symbol, sizes, **bubble_area)
            name, text_colours = escape(no_direction.label), [TEXT_COLOUR] * len(part)
        fig.add_trace(
            go.Scatter(
                x=part["x"],
                y=part["y"],
                mode="markers+text",
                text=[f"{n:,}" for n in part["publications"]],
                textfont=dict(color=text_colours, size=BASE_FONT_SIZE - 2),
                marker=marker,
                name=name,
                customdata=part[["k_form", "outcome"]].to_numpy(),
                hovertext=_evidence_hover(part),
                hoverinfo="text",
                showlegend=not has_direction,
            )
        )
    fig.add_trace(_share_colour_bar())
    top_space = outcome_columns(fig, columns)
    fig.update_xaxes(range=[-0.6, len(columns) - 0.4], showgrid=True)
    fig.update_yaxes(
        tickvals=list(range(len(rows))),
        ticktext=[escape(schema.K_FORM.label(code)) for code in rows],
        range=[len(rows) - 0.4, -0.6],
    )
    fig.update_layout(
        height=max(300, 78 * len(rows) + 90),
        legend=dict(orientation="h", yanchor="top", y=-0.02, x=0, itemsizing="constant"),
        hovermode="closest",
    )
    notes = ["Bubble area = number of publications; colour = share of those with a direction of effect that show benefit"]
    return titled(fig, title, subtitle, notes, top_space)


def _share_scale() -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The ends of the share-showing-benefit scale (RGB): light neutral to the schema's benefit colour.

    One hue from light to dark stays readable under every kind of colour-blindness.
    """
    return _rgb(NEUTRAL_FILL), _rgb(schema.DIRECTION.colours[stats.BENEFIT])


def _rgb(colour: str) -> tuple[int, ...]:
    return tuple(int(colour.lstrip("#")[i : i + 2], 16) for i in (0, 2, 4))


def _share_colour(share: float) -> str:
    low, high = _share_scale()
    return "#" + "".join(f"{round(a + (b - a) * share):02X}" for a, b in zip(low, high))


def _readable_on(fill: str) -> str:
    """Dark or white text, whichever contrasts more with `fill` (WCAG relative luminance)."""
    channels = [c / 255 for c in _rgb(fill)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return "#FFFFFF" if luminance < 0.2 else TEXT_COLOUR


def _share_colour_bar() -> go.Scatter:
    """An invisible trace that carries the colour bar of the share-showing-benefit scale."""
    low, high = _share_scale()
    return go.Scatter(
        x=[None],
        y=[None],
        mode="markers",
        showlegend=False,
        hoverinfo="skip",
        marker=dict(
            color=[0, 1],
            cmin=0,
            cmax=1,
            colorscale=[[0, f"rgb{low}"], [1, f"rgb{high}"]],
            colorbar=dict(title=dict(text="Share showing<br>benefit", side="top"), tickformat=".0%", len=0.8, thickness=16),
        ),
    )


def _evidence_hover(cells: pd.DataFrame) -> list[str]:
    texts = []
    for form, outcome, publications, with_direction, benefit, share in zip(
        cells["k_form"], cells["outcome"], cells["publications"], cells["with_direction"], cells["benefit"], cells["share_benefit"]
    ):
        lines = [
            f"<b>{escape(schema.K_FORM.label(form))} · {escape(schema.OUTCOME.label(outcome))}</b>",
            f"Publications: {publications:,}",
        ]
        if with_direction:
            lines.append(f"With a direction of effect: {with_direction:,}, of which {benefit:,} show benefit ({share:.0%})")
        else:
            lines.append("None states a direction of effect")
        texts.append("<br>".join(lines))
    return texts
