"""Charts made into slides: laid out for a 720-pixel-high screen, zoomed to the real one, tall ones split.

A chart on a slide must fit the screen without scrolling and stay readable from the back of a room. Shrinking a
tall chart (the effect direction plot of 60 publications, the timeline of every outcome) would make its text too
small, so those are split by their rows over several slides instead: publications for the effect direction plot,
outcomes or designs for the timelines. Every slide is then zoomed: text, markers and margins grow with the screen
(1.25× at 1080 p, which makes tick labels 19 px; titles are set to 34 px there).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import pandas as pd
import plotly.graph_objects as go

from kviz import schema, stats
from kviz.charts import catalogue
from kviz.charts.catalogue import Chart
from kviz.charts.style import outcome_order, zoomed
from kviz.filters import FilterState

DESIGN_HEIGHT = 720  # the screen height a slide is laid out for; larger screens zoom it
MIN_ZOOM = 0.75


ZOOM_AT_DESIGN_HEIGHT = 0.84  # 1.25× at 1080 p: tick labels 19 px


# Pixels of the window that are not slide: the browser page's header strip, the row of controls, a bottom margin.
CHROME_HEIGHT = 140
MIN_SLIDE_HEIGHT = 320


def zoom_for(screen_height: int) -> float:
    """How much larger than its design a slide is drawn on a screen this many pixels high."""
    return max(MIN_ZOOM, ZOOM_AT_DESIGN_HEIGHT * screen_height / DESIGN_HEIGHT)


def slide_area(window_height: int) -> tuple[int, float]:
    """(height in pixels, zoom) of a slide in a browser window this many pixels high."""
    return max(MIN_SLIDE_HEIGHT, window_height - CHROME_HEIGHT), zoom_for(window_height)


def _publications_in_plot_order(frame: pd.DataFrame, state: FilterState) -> list[str]:
    """The effect direction plot's publications top to bottom: by design, then oldest first."""
    counted, _ = stats.counted_rows(frame, state.count_non_evidence)
    effect = stats.effect_rows(counted)
    design_order = effect["design"].map({code: i for i, code in enumerate(schema.DESIGN.codes)}).astype(int)
    ordered = effect.assign(design_order=design_order).sort_values(
        ["design_order", schema.PUBLISHED_DATE, "study_id"], na_position="last")
    return list(dict.fromkeys(ordered["study_id"]))


def _categories_present(column: str) -> Callable[[pd.DataFrame, FilterState], list[str]]:
    def present(frame: pd.DataFrame, state: FilterState) -> list[str]:
        dated = frame[frame[schema.PUBLISHED_DATE].notna()]
        return [code for code in schema.VOCABULARIES[column].codes if (dated[column] == code).any()]
    return present


def _outcomes_with_effects(frame: pd.DataFrame, state: FilterState) -> list[str]:
    counted, _ = stats.counted_rows(frame, state.count_non_evidence)
    return outcome_order(set(stats.effect_rows(counted)["outcome"].astype(str)))


# The charts that may be split, by the column whose values become rows, in the order the chart draws them.
SPLITS: dict[str, tuple[str, Callable[[pd.DataFrame, FilterState], list[str]]]] = {
    catalogue.EFFECT_DIRECTION_PLOT.key: ("study_id", _publications_in_plot_order),
    catalogue.TIMELINE_BY_OUTCOME.key: ("outcome", _categories_present("outcome")),
    catalogue.TIMELINE_BY_DESIGN.key: ("design", _categories_present("design")),
    catalogue.K1_VS_K2.key: ("outcome", _outcomes_with_effects),
    catalogue.WITH_VS_WITHOUT_D3.key: ("outcome", _outcomes_with_effects),
}


@dataclass(frozen=True)
class Slide:
    """One slide: a chart, or one part of a split chart (the rows whose SPLITS column value is in `keys`). Its figure
    is built when it is shown (`design_figure`)."""

    chart: Chart
    keys: tuple[str, ...] = ()
    part: int = 1
    parts: int = 1

    @property
    def title(self) -> str:
        return self.chart.title + (f" ({self.part} of {self.parts})" if self.parts > 1 else "")


def _split(chart: Chart, whole: go.Figure, frame: pd.DataFrame, state: FilterState, room: float,
           decorate: Callable[[go.Figure], go.Figure]) -> list[Slide]:
    """The chart as one slide, or split by its rows into parts each about `room` design pixels high (the height of
    a part is estimated from the whole chart and a one-row chart; a part that comes out taller is zoomed less)."""
    if chart.key not in SPLITS or (whole.layout.height or 0) <= room:
        return [Slide(chart)]
    column, order = SPLITS[chart.key]
    keys = order(frame, state)
    if len(keys) < 2:
        return [Slide(chart)]
    first = decorate(chart.figure(frame[frame[column] == keys[0]], state)).layout.height
    per_key = max(1.0, (whole.layout.height - first) / (len(keys) - 1))
    size = max(1, int((room - first) // per_key) + 1)
    parts = -(-len(keys) // size)
    size = -(-len(keys) // parts)  # parts of even size: no last slide with a single row
    return [Slide(chart, tuple(keys[start : start + size]), number, parts)
            for number, start in enumerate(range(0, len(keys), size), start=1)]


def slides(charts: tuple[Chart, ...], frame: pd.DataFrame, state: FilterState, slide_height: int, zoom: float,
           decorate: Callable[[go.Figure], go.Figure] = lambda fig: fig) -> list[Slide]:
    """Every chart as one slide or several (tall charts split by rows), each meant to fit `slide_height` pixels at
    `zoom`. `decorate` adds what every slide carries before it is measured (the source line)."""
    room = slide_height / zoom
    return [slide for chart in charts
            for slide in _split(chart, decorate(chart.figure(frame, state)), frame, state, room, decorate)]


def design_figure(slide: Slide, frame: pd.DataFrame, state: FilterState,
                  decorate: Callable[[go.Figure], go.Figure] = lambda fig: fig) -> go.Figure:
    """The slide's figure at its design size (a part is built from its rows only)."""
    if not slide.keys:
        return decorate(slide.chart.figure(frame, state))
    column, _ = SPLITS[slide.chart.key]
    figure = decorate(slide.chart.figure(frame[frame[column].isin(slide.keys)], state))
    title = figure.layout.title.text or ""
    figure.layout.title.text = title.replace("</b>", f" · part {slide.part} of {slide.parts}</b>", 1)
    return figure


TITLE_SIZE_AT_1080 = 34  # a slide's title in pixels on a 1080-pixel screen (scaled with the screen)


MAX_SQUEEZE = 1.25  # a chart that cannot be split may have its rows this much closer together before its text shrinks


def on_screen(figure: go.Figure, slide_height: int, zoom: float) -> go.Figure:
    """A design-size figure drawn `slide_height` pixels high, text zoomed; a chart that cannot be split and is
    taller than the slide has its rows drawn closer together (its text shrinks only beyond MAX_SQUEEZE). Its
    title is TITLE_SIZE_AT_1080 scaled to the screen."""
    natural = figure.layout.height or slide_height / zoom
    shown = zoomed(figure, min(zoom, MAX_SQUEEZE * slide_height / natural), slide_height)
    shown.layout.title.font.size = TITLE_SIZE_AT_1080 * zoom / zoom_for(1080)
    return shown
