"""The effect direction plot (Thomson & Thomas 2013): publications by outcome, grouped by design."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from kviz import effect_sizes, schema, stats
from kviz.charts.style import (
    AXIS_COLOUR, BASE_FONT_SIZE, NO_DATA_MESSAGE, TEXT_COLOUR, category_fields, counts_text, empty_figure,
    escape, hover_texts, legend_only, marker_style, outcome_columns, outcome_order, short_label, slide_figure,
)

# The effect direction plot stays legible up to about this many publications; it shows the most recent.
MAX_EDP_PUBLICATIONS = 60
EDP_ROW_HEIGHT = 34
# Every column the plot reads: the rows it draws are copied with these only.
EDP_COLUMNS = (*stats.DIRECTION_COLUMNS, schema.PUBLISHED_DATE, schema.YEAR, "citation", "headline", "n_participants",
               "measure", "estimate", "ci_low", "ci_high", "unit", "contrast")

# ------------------------------------------------------------------------------------- effect direction plot


_NAME_PARTICLES = ("van", "von", "de", "der", "den", "di", "da", "le", "la")
_LONGEST_LABEL = 26  # characters of a row label's name part


def _is_initials(word: str) -> bool:
    letters = word.replace(".", "").replace("-", "")
    return 0 < len(letters) <= 3 and letters.isupper()


def _publication_name(citation: str, study_id: str) -> str:
    """The name a row is known by: the first author's surname ('Knapen MHJ', 'Y. Sato', 'van Ballegooijen AJ',
    'Sang Hyeon Je'), else a short source name ('Vitamin D Life'), else the study id's first word (ids are written
    'author-year')."""
    first = citation.strip().split(",")[0].strip()
    words = first.split()
    id_word = study_id.split("-")[0]
    named = [w for w in words if w.lower() == id_word.lower() and id_word.lower() not in _NAME_PARTICLES]
    if named:
        return named[0]
    if 1 < len(words) <= 4 and words[0].lower() in _NAME_PARTICLES:
        return " ".join(w for w in words if not _is_initials(w))
    if 1 < len(words) <= 3:
        if _is_initials(words[-1]) and not _is_initials(words[0]):
            return words[0]
        if all(_is_initials(w) for w in words[:-1]) and not _is_initials(words[-1]):
            return words[-1]
        if all(w[:1].isupper() and w[1:].islower() for w in words):
            return words[-1]
    if first and len(first) <= _LONGEST_LABEL:
        return first
    return id_word.capitalize()


def _publication_label(citation: str, study_id: str, year: object) -> str:
    """A short row label, whole (never cut with '…'): the publication's name and year."""
    name = _publication_name(citation, study_id)
    return f"{name} {year}" if pd.notna(year) else f"{name} (undated)"


def _publication_labels(effect: pd.DataFrame, publications: pd.DataFrame) -> list[str]:
    """Row labels for publications; equal labels get a, b, … in date order ('Vitamin D Life 2011a')."""
    citations: dict[str, str] = {}  # each publication's first citation that is not blank
    for study, citation in zip(effect["study_id"], effect["citation"]):
        if study not in citations and isinstance(citation, str) and citation.strip():
            citations[study] = citation
    studies = publications.index.tolist()
    labels = [_publication_label(citations.get(study, ""), study, year)
              for study, year in zip(studies, publications["year"])]
    repeated = {label for label, count in Counter(labels).items() if count > 1}
    if repeated:
        dates = _date_keys(publications["date"])
        in_date_order = sorted(range(len(studies)), key=lambda i: (dates[i], studies[i]))
        numbers: Counter = Counter()
        for i in in_date_order:
            label = labels[i]
            if label in repeated:
                separator = "" if label[-1].isdigit() else " "
                labels[i] = f"{label}{separator}{'abcdefghijklmnopqrstuvwxyz'[numbers[label] % 26]}"
                numbers[label] += 1
    return labels


def _edp_publications(effect: pd.DataFrame) -> pd.DataFrame:
    """Per publication (indexed by study_id): earliest date and year of its rows with an effect direction."""
    earliest = effect[["study_id", schema.PUBLISHED_DATE, schema.YEAR]].groupby("study_id").min()
    return earliest.rename(columns={schema.PUBLISHED_DATE: "date", schema.YEAR: "year"})


def _most_recent(publications: pd.DataFrame, limit: int) -> pd.DataFrame:
    """The `limit` most recent publications (undated ones last, ties by study_id for a stable choice)."""
    dates, studies = _date_keys(publications["date"]), publications.index.tolist()
    newest_first = sorted(range(len(studies)), key=lambda i: (dates[i][0], -dates[i][1], studies[i]))
    return publications.iloc[newest_first[:limit]]


def _date_keys(dates: pd.Series) -> list[tuple[bool, int]]:
    """A sort key per date that puts missing dates last: (undated, the date as an integer)."""
    values = dates.to_numpy()
    return [(True, 0) if missing else (False, int(value)) for missing, value
            in zip(np.isnat(values).tolist(), values.astype(np.int64).tolist())]


def _edp_cells(effect: pd.DataFrame) -> pd.DataFrame:
    """One cell per (publication, design, outcome), sorted by them: its direction (rows that disagree: mixed, as
    `stats.study_directions` decides), largest known n, forms, headlines and the numeric results (estimate and 95%
    CI) its rows carry.

    One pass in plain Python over the rows with a direction: a groupby with Python aggregations cost a call per cell
    and column, and merging its results back two more table copies. A row missing a key is in no cell.
    """
    cells: dict[tuple[str, str, str], list] = {}
    rows = zip(effect["study_id"].tolist(), effect["design"].tolist(), effect["outcome"].tolist(),
               effect["direction"].tolist(), effect["n_participants"], effect["headline"],
               effect["k_form"].astype(str), effect_sizes.effect_texts(effect))
    for study, design, outcome, direction, n, headline, form, effect_text in rows:
        if not (isinstance(study, str) and isinstance(design, str) and isinstance(outcome, str)):
            continue
        cell = cells.get((study, design, outcome))
        if cell is None:
            cell = cells[(study, design, outcome)] = [direction, pd.NA, {}, {}, {}]
        elif cell[0] != direction:
            cell[0] = stats.MIXED
        if pd.notna(n) and (pd.isna(cell[1]) or n > cell[1]):
            cell[1] = n
        cell[2][headline] = cell[3][form] = None
        if effect_text:
            cell[4][effect_text] = None
    design_rank = {code: i for i, code in enumerate(schema.DESIGN.codes)}
    outcome_rank = {code: i for i, code in enumerate(schema.OUTCOME.codes)}
    keys = sorted(cells, key=lambda key: (key[0], design_rank[key[1]], outcome_rank[key[2]]))
    found = [cells[key] for key in keys]
    return pd.DataFrame({
        "study_id": pd.array([study for study, _, _ in keys], dtype="str"),
        "design": pd.array([design for _, design, _ in keys], dtype="str"),
        "outcome": pd.array([outcome for _, _, outcome in keys], dtype="str"),
        "direction": pd.Categorical([cell[0] for cell in found], categories=schema.DIRECTION.codes, ordered=True),
        "n": pd.array([cell[1] for cell in found], dtype=effect["n_participants"].dtype),
        "headline": pd.array([" | ".join(cell[2]) for cell in found], dtype="str"),
        "k_form": pd.array([", ".join(schema.K_FORM.label(form) for form in cell[3]) for cell in found], dtype="str"),
        "effect": pd.array([" | ".join(cell[4]) for cell in found], dtype="str"),
    })


NOT_EVIDENCE_MARK = " ◦"  # after the label of a publication counted only because count_all brought it back


def effect_direction_plot(frame: pd.DataFrame, subtitle: str = "", count_all: bool = False) -> go.Figure:
    """Effect direction plot (Thomson & Thomas 2013): rows = publications grouped by design (shaded), columns
    = outcomes (key outcomes first), ▲ benefit, ▼ harm, ◆ no clear effect or mixed, marker size by sample size.

    A publication whose findings have several designs gets one row per design. Above MAX_EDP_PUBLICATIONS
    publications only the most recent are drawn, and the title says so. customdata = (study_id, outcome).
    """
    title = "Effect direction plot"
    counted, counted_note = stats.counted_mask(frame, count_all)
    effect = frame.loc[counted & stats.has_effect(frame), list(EDP_COLUMNS)]
    if effect.empty:
        message = NO_DATA_MESSAGE if frame.empty else "No matching evidence about vitamin K has a direction of effect"
        return empty_figure(title, subtitle, message, [counted_note] if counted_note else [])

    publications = _edp_publications(effect)
    if len(publications) > MAX_EDP_PUBLICATIONS:
        title += f": the {MAX_EDP_PUBLICATIONS} most recent of {len(publications):,} publications"
        publications = _most_recent(publications, MAX_EDP_PUBLICATIONS)
        effect = effect[effect["study_id"].isin(publications.index)]
    publications["label"] = _publication_labels(effect, publications)
    if count_all:
        outside = set(effect.loc[stats.not_evidence_reason(effect) != "", "study_id"])
        publications.loc[publications.index.isin(outside), "label"] += NOT_EVIDENCE_MARK

    cells = _edp_cells(effect)
    rows = _edp_rows(cells, publications)
    columns = outcome_order(cells["outcome"], include_key=True)
    # Plain arrays from here, each direction's markers taken by position: no sub-frame per direction.
    row_of = {(study, design): (row, label) for study, design, row, label
              in zip(rows["study_id"], rows["design"], rows["row"], rows["label"])}
    placed = [row_of[key] for key in zip(cells["study_id"].tolist(), cells["design"].tolist())]
    column_of = {code: i for i, code in enumerate(columns)}
    x = np.array([column_of[outcome] for outcome in cells["outcome"].tolist()], dtype=np.int64)
    y = np.array([row for row, _ in placed], dtype=np.int64)
    sizes = np.array([schema.sample_size_band(None if pd.isna(n) else int(n))[1] for n in cells["n"]])
    selections = cells[["study_id", "outcome"]].to_numpy()
    hover = np.array(_edp_hover(cells, [label for _, label in placed]), dtype=object)
    directions = cells["direction"].to_numpy()
    label_x = len(columns) - 0.3
    traces = []
    for direction in schema.EFFECT_DIRECTIONS:
        part = directions == direction
        if not part.any():
            continue
        traces.append(dict(
            type="scatter", x=x[part], y=y[part], mode="markers", name=escape(schema.DIRECTION.label(direction)),
            marker=marker_style(schema.DIRECTION.colours[direction], schema.DIRECTION.symbols[direction],
                                sizes[part].tolist()),
            customdata=selections[part], hovertext=hover[part].tolist(), hoverinfo="text",
            legendgroup="direction", legendgrouptitle=dict(text=escape(schema.DIRECTION.title)),
        ))
    bands = [(label, size) for label, _, _, size in schema.SAMPLE_SIZE_BANDS] + [schema.SAMPLE_SIZE_UNKNOWN]
    traces += [legend_only(band, "size", "Participants", symbol="circle", color=AXIS_COLOUR, size=size)
               for band, size in bands]
    column_axis, top_space = outcome_columns(columns)
    shapes, labels = _design_groups(rows, label_x)
    layout = dict(
        xaxis=dict(column_axis, range=[-0.5, label_x + 2.4]),
        yaxis=dict(tickvals=rows["row"].tolist(), ticktext=[escape(label) for label in rows["label"]],
                   range=[len(rows) - 0.5, -0.5], showgrid=False, showline=False, ticks=""),
        shapes=shapes, annotations=labels,
        height=max(300, EDP_ROW_HEIGHT * len(rows) + 30),
        legend=dict(itemsizing="trace", yanchor="top", y=1, x=1.02),
        hovermode="closest",
    )
    notes = ["Each marker is one publication's result on one outcome; disagreeing results count as mixed"]
    if counted_note:
        notes.append(counted_note.replace("hatched", f"marked {NOT_EVIDENCE_MARK.strip()}"))
    return slide_figure(traces, layout, title, subtitle, notes, top_space)


def _edp_rows(cells: pd.DataFrame, publications: pd.DataFrame) -> pd.DataFrame:
    """One row per (publication, design), grouped by design in schema order, oldest first within a design (then by
    label); columns study_id, design, date, label, row."""
    pairs = list(dict.fromkeys(zip(cells["study_id"], cells["design"].astype(str))))
    dates, date_keys = publications["date"].to_numpy(), _date_keys(publications["date"])
    position = {study: i for i, study in enumerate(publications.index)}
    labels = publications["label"].tolist()
    design_order = {code: i for i, code in enumerate(schema.DESIGN.codes)}

    def order(pair: tuple[str, str]) -> tuple:
        i = position[pair[0]]
        return design_order[pair[1]], date_keys[i], labels[i]

    pairs.sort(key=order)
    chosen = [position[study] for study, _ in pairs]
    return pd.DataFrame({"study_id": [study for study, _ in pairs], "design": [design for _, design in pairs],
                         "date": dates[chosen], "label": [labels[i] for i in chosen], "row": range(len(pairs))})


def _design_groups(rows: pd.DataFrame, label_x: float) -> tuple[list[dict], list[dict]]:
    """Each design's block of rows (its rows are consecutive): a shade in its schema colour, and its name at the
    right."""
    blocks: dict[str, list[int]] = {}  # design: [first row, last row]
    for design, row in zip(rows["design"].tolist(), rows["row"].tolist()):
        blocks.setdefault(design, [row, row])[1] = row
    shapes, labels = [], []
    for design, (first, last) in blocks.items():
        top, bottom = first - 0.5, last + 0.5
        shapes.append(dict(
            type="rect", xref="paper", x0=0, x1=1, y0=top, y1=bottom,
            fillcolor=schema.DESIGN.colours[design], line=dict(width=0), layer="below",
        ))
        labels.append(dict(
            x=label_x, y=(top + bottom) / 2, text=f"<b>{short_label(schema.DESIGN.label(design), 16)}</b>",
            showarrow=False, xanchor="left", align="left", font=dict(size=BASE_FONT_SIZE - 1, color=TEXT_COLOUR),
        ))
    return shapes, labels


def _edp_hover(cells: pd.DataFrame, labels: list[str]) -> list[str]:
    """Each cell's hover text, headed by its row's label."""
    return hover_texts(
        labels,
        category_fields(cells, ("design", "outcome", "direction"))
        + [
            (schema.K_FORM.title, cells["k_form"]),
            (schema.LABELS["n_participants"], counts_text(cells["n"])),
            (schema.EFFECT_TEXT_LABEL, cells["effect"]),
            (schema.LABELS["headline"], cells["headline"]),
        ],
    )
