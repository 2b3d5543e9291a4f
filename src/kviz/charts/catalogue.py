"""Every chart of kviz, listed once: its key (file names, widget keys), its title and its builder.

Pages, the presentation and the offline report draw charts through this catalogue, so a chart has one name and
one file name wherever it is shown or saved.
"""

from __future__ import annotations

import datetime
import functools
from dataclasses import dataclass
from typing import Callable

import pandas as pd
import plotly.graph_objects as go

from kviz.charts import directions, effect_direction_plot, evidence_map, forest, timeline
from kviz.export import file_stem
from kviz.filters import FilterState, caption


@dataclass(frozen=True)
class Chart:
    """One chart: a stable key (file names), a title for slides and reports, and its figure builder."""

    key: str
    title: str
    build: Callable[..., go.Figure]  # (frame, subtitle=..., [count_all=...]) -> Figure
    counts: bool = False  # a chart that counts findings: by default only evidence about vitamin K

    def figure(self, frame: pd.DataFrame, state: FilterState) -> go.Figure:
        if self.counts:
            return self.build(frame, subtitle=caption(state), count_all=state.count_non_evidence)
        return self.build(frame, subtitle=caption(state))

    def filename(self, state: FilterState, on: datetime.date) -> str:
        """Image file name (no extension), e.g. 'kviz_K2_2026-11-24_timeline-by-outcome'."""
        return file_stem(state, on, self.key)


DIRECTION_SUMMARY = Chart(
    "direction-summary", "Bone density, fracture and muscle at a glance", directions.direction_summary, counts=True
)
TIMELINE_BY_OUTCOME = Chart(
    "timeline-by-outcome", "Findings over time, by outcome", functools.partial(timeline.timeline, y="outcome")
)
TIMELINE_BY_DESIGN = Chart(
    "timeline-by-design", "Findings over time, by study design", functools.partial(timeline.timeline, y="design")
)
PUBLICATIONS_PER_YEAR = Chart("publications-per-year", "Publications per year", timeline.publications_per_year)
EFFECT_DIRECTION_PLOT = Chart(
    "effect-direction-plot", "Effect direction plot", effect_direction_plot.effect_direction_plot, counts=True
)
FOREST_PLOT = Chart("forest-plot", "Effect sizes with 95% CIs (exploratory pooling)", forest.forest_chart)
K1_VS_K2 = Chart(
    "direction-counts-k1-vs-k2", "Direction of effect: K1 vs K2",
    functools.partial(directions.direction_counts, split="k_family"), counts=True,
)
WITH_VS_WITHOUT_D3 = Chart(
    "direction-counts-with-vs-without-d3", "Direction of effect: with vs without D3",
    functools.partial(directions.direction_counts, split="d3"), counts=True,
)
VOTE_COUNT = Chart("vote-count", "Vote count by direction of effect (exploratory)", directions.vote_count, counts=True)
EVIDENCE_MAP = Chart("evidence-map", "Evidence map: vitamin K form × outcome", evidence_map.evidence_map, counts=True)

CHARTS: tuple[Chart, ...] = (
    DIRECTION_SUMMARY, TIMELINE_BY_OUTCOME, TIMELINE_BY_DESIGN, PUBLICATIONS_PER_YEAR, EFFECT_DIRECTION_PLOT,
    FOREST_PLOT, K1_VS_K2, WITH_VS_WITHOUT_D3, VOTE_COUNT, EVIDENCE_MAP,
)
BY_KEY: dict[str, Chart] = {chart.key: chart for chart in CHARTS}
TIMELINES: dict[str, Chart] = {"outcome": TIMELINE_BY_OUTCOME, "design": TIMELINE_BY_DESIGN}
COMPARISONS: dict[str, Chart] = {"k_family": K1_VS_K2, "d3": WITH_VS_WITHOUT_D3}

REPORT_CHARTS: tuple[Chart, ...] = (
    DIRECTION_SUMMARY, TIMELINE_BY_OUTCOME, EFFECT_DIRECTION_PLOT, FOREST_PLOT, K1_VS_K2, WITH_VS_WITHOUT_D3,
    EVIDENCE_MAP,
)
PRESENTATION_CHARTS: tuple[Chart, ...] = (
    DIRECTION_SUMMARY, TIMELINE_BY_OUTCOME, PUBLICATIONS_PER_YEAR, EFFECT_DIRECTION_PLOT, FOREST_PLOT, K1_VS_K2,
    WITH_VS_WITHOUT_D3, VOTE_COUNT, EVIDENCE_MAP,
)
