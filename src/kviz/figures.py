"""Figure builders: a (filtered, typed) findings DataFrame in, a plotly Figure out.

CONTRACT (stubs to be implemented; pages already call these names):
every builder takes the typed frame from kviz.loader (possibly empty) and an optional `subtitle`
(the active-filter caption from kviz.filters.caption), never imports streamlit, takes colours, symbols,
labels and orders only from kviz.schema, and returns a go.Figure that is valid even for an empty frame
(an annotation saying there is nothing to show, no broken axes).
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go


def timeline(frame: pd.DataFrame, y: str = "outcome", subtitle: str = "") -> go.Figure:
    """Every dated finding on a time axis; y = 'outcome' or 'design'; colour = direction, symbol = design.
    Hover: headline, design, form, dose, n, citation. customdata[0] = finding_id (for selections)."""
    raise NotImplementedError


def publications_per_year(frame: pd.DataFrame, subtitle: str = "") -> go.Figure:
    """Distinct publications per year, stacked by vitamin K form."""
    raise NotImplementedError


def direction_summary(frame: pd.DataFrame, subtitle: str = "") -> go.Figure:
    """Compact horizontal stacked bars: publications by direction for bone density, fracture and muscle."""
    raise NotImplementedError


def effect_direction_plot(frame: pd.DataFrame, subtitle: str = "") -> go.Figure:
    """Effect direction plot (Thomson & Thomas): rows = publications grouped by design, columns = outcomes."""
    raise NotImplementedError


def direction_counts(frame: pd.DataFrame, split: str = "k_family", subtitle: str = "") -> go.Figure:
    """Per-outcome counts of benefit / no effect / mixed / harm, side by side for K1 vs K2 (split='k_family')
    or with vs without D3 (split='d3')."""
    raise NotImplementedError


def vote_count(frame: pd.DataFrame, subtitle: str = "") -> go.Figure:
    """Per outcome with >= 5 directional publications: share showing benefit with its Wilson 95% interval."""
    raise NotImplementedError


def evidence_map(frame: pd.DataFrame, subtitle: str = "") -> go.Figure:
    """K form x outcome bubbles: size = publications, colour = share showing benefit.
    customdata = (k_form, outcome) so a selected bubble can list its findings."""
    raise NotImplementedError


def chart_config(filename: str) -> dict:
    """plotly config for slide-ready export: no logo, camera button gives a high-resolution image."""
    raise NotImplementedError
