"""What goes to a meeting: one self-contained HTML report of a filtered view (its charts come from
`kviz.charts.catalogue`, like the presentation page's). The report is a single HTML file that opens from disk with no
server and no network: plotly's JavaScript is embedded once, styles are inline, fonts are the
system's. Every data string is HTML-escaped; links are built only from https URLs and bare DOIs.
"""

from __future__ import annotations

import datetime
import html
from pathlib import Path
from urllib.parse import quote

import pandas as pd

import kviz
from kviz import schema
from kviz.charts import catalogue
from kviz.charts.catalogue import Chart
from kviz.charts.style import add_source_line, chart_config
from kviz.effect_sizes import effect_texts
from kviz.export import file_stem, number_text
from kviz.filters import FilterState, apply_filters, caption, describe, newest_first
from kviz.loader import summary_line

TITLE = "Vitamin K evidence for bone and muscle"
CAVEAT = (
    "A count of studies is not proof of an effect: designs, doses and populations differ, and vitamin K "
    "status is hard to measure. Untraced claims are shown as stated."
)
DOI_RESOLVER = "https://doi.org/"
REPORT_SUFFIX = "report"
DEFAULT_CHART_HEIGHT = 520
# Columns of the findings table in the report, in reading order (the app's table order, Notes and Population kept);
# the citation gets its own list.
TABLE_COLUMNS: tuple[str, ...] = (
    *schema.TABLE_FIRST_COLUMNS, schema.EFFECT_TEXT, "population", "dose_ug_per_day", "duration_months",
    "source_match", "notes", "finding_id",
)
WIDE_COLUMNS = ("headline", "population", "notes")  # get room to wrap in words, not letters


def newest_publication(frame: pd.DataFrame) -> str:
    """The data's date: the newest `published` value ('YYYY-MM' or 'YYYY'), or '' when nothing is dated."""
    dated = frame[schema.PUBLISHED_DATE].dropna()
    return "" if dated.empty else str(frame.at[dated.idxmax(), "published"])


def data_line(frame: pd.DataFrame) -> str:
    """'63 findings from 41 publications · newest publication 2025-03 · findings.csv' for a whole table."""
    parts = [summary_line(frame)]
    newest = newest_publication(frame)
    if newest:
        parts.append(f"newest publication {newest}")
    source = frame.attrs.get("source", "")
    if source:
        parts.append(Path(str(source)).name)  # never a server path
    return " · ".join(parts)


def report_filename(state: FilterState, on: datetime.date) -> str:
    return file_stem(state, on, REPORT_SUFFIX) + ".html"


def doi_link(doi: str) -> str:
    """The https://doi.org/ link of a bare DOI (percent-encoded, so no DOI character can break the address)."""
    return DOI_RESOLVER + quote(doi.strip(), safe="/")


def _escape(value: object) -> str:
    return html.escape(str(value), quote=True)


def _table_text(rows: pd.DataFrame) -> pd.DataFrame:
    """The report table's cells as readable text: category labels, plain numbers, empty for missing."""
    cells = {schema.EFFECT_TEXT: effect_texts(rows)}
    for column in TABLE_COLUMNS:
        if column == schema.EFFECT_TEXT:
            continue
        values = rows[column]
        if column in schema.VOCABULARIES:
            cells[column] = values.map(schema.VOCABULARIES[column].labels).astype(object).fillna("")
        elif schema.COLUMNS_BY_NAME[column].is_number:
            cells[column] = number_text(values)
        else:
            cells[column] = values.astype(str)
    return pd.DataFrame(cells, index=rows.index)


def _chart_html(chart: Chart, frame: pd.DataFrame, state: FilterState, on: datetime.date, first: bool,
                source: str) -> str:
    figure = add_source_line(chart.figure(frame, state), source)
    height = figure.layout.height or DEFAULT_CHART_HEIGHT
    plot = figure.to_html(
        full_html=False,
        include_plotlyjs=first,  # embedded once, inline: the file works offline
        div_id=f"chart-{chart.key}",
        config=chart_config(chart.filename(state, on), height=height),
        default_height=f"{height}px",
    )
    return f'<section class="chart"><h2>{_escape(chart.title)}</h2>{plot}</section>'


def _escaped(values: pd.Series) -> pd.Series:
    return values.astype(str).map(_escape)


def _link(addresses: pd.Series, labels: pd.Series, keep: pd.Series) -> pd.Series:
    """An <a> per row where `keep` holds, else ''."""
    anchors = '<a href="' + _escaped(addresses) + '" rel="noopener noreferrer">' + _escaped(labels) + "</a>"
    return anchors.where(keep, "")


def _findings_table(rows: pd.DataFrame, numbers: pd.Series) -> str:
    """The findings as table rows (built column-wise: a report may hold many thousands of findings)."""
    if rows.empty:
        return '<p class="empty">No findings match these filters.</p>'
    titles = {**schema.LABELS, schema.EFFECT_TEXT: schema.EFFECT_TEXT_LABEL}
    header = "".join(f"<th>{_escape(titles[c])}</th>" for c in TABLE_COLUMNS) + "<th>Source</th>"
    cells = _table_text(rows)
    html_rows = '<tr id="finding-' + _escaped(rows["finding_id"]) + '">'
    for column in TABLE_COLUMNS:
        opening = '<td class="wide">' if column in WIDE_COLUMNS else "<td>"
        html_rows = html_rows + opening + _escaped(cells[column]) + "</td>"
    reference = numbers.astype(str)
    html_rows = html_rows + '<td><a href="#ref-' + reference + '">[' + reference + "]</a></td></tr>"
    body = "".join(html_rows.tolist())
    return f'<div class="table"><table><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table></div>'


def _citation_list(rows: pd.DataFrame, numbers: pd.Series) -> str:
    """One numbered entry per publication, in order of first appearance, with its DOI and https links."""
    if rows.empty:
        return ""
    first = rows.loc[~rows["study_id"].duplicated()]
    citation = first["citation"].astype(str)
    text = citation.where(citation != "", "Citation not recorded (study " + first["study_id"].astype(str) + ")")
    doi, url = first["doi"].astype(str), first["url"].astype(str)
    links = (
        _link(doi.map(doi_link), "doi:" + doi, doi != "")
        + " "
        + _link(url, url, url.str.startswith("https://"))
    )
    untraced = pd.Series(' <span class="untraced">Untraced claim</span>', index=first.index).where(
        first["source_match"] == schema.UNTRACED, ""
    )
    items = '<li id="ref-' + numbers[first.index].astype(str) + '">' + _escaped(text) + untraced + " " + links + "</li>"
    return f'<h2>Citations</h2><ol class="citations">{"".join(items.tolist())}</ol>'


STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
       color: #1a1a1a; background: #fff; margin: 2rem auto; max-width: 1200px; padding: 0 1.5rem; line-height: 1.45; }
h1 { font-size: 1.9rem; margin-bottom: .25rem; }
h2 { font-size: 1.35rem; margin-top: 2.2rem; border-bottom: 1px solid #ccc; padding-bottom: .2rem; }
.meta { color: #444; margin: .2rem 0; }
.filters li { margin: .1rem 0; }
.caveat { background: #f4f6f8; border-left: 4px solid #0072B2; padding: .6rem 1rem; }
.chart { break-inside: avoid; }
table { border-collapse: collapse; font-size: .8rem; width: 100%; }
th, td { border: 1px solid #ccc; padding: .3rem .45rem; text-align: left; vertical-align: top; }
th { background: #eef1f4; position: sticky; top: 0; }
td { overflow-wrap: anywhere; }
td.wide { min-width: 10rem; overflow-wrap: break-word; }
tbody tr:nth-child(even) { background: #fafafa; }
.citations li { margin: .35rem 0; }
.untraced { color: #a0430a; font-weight: 600; }
a { color: #005a8c; }
@media print { body { margin: 0; max-width: none; } }
"""


def html_report(table: pd.DataFrame, state: FilterState, on: datetime.date) -> str:
    """The offline report of `table` (the whole loaded table) under `state`, dated `on`."""
    rows = newest_first(apply_filters(table, state))
    # Reference number of each row's publication, in order of first appearance.
    numbers = pd.Series(pd.factorize(rows["study_id"])[0] + 1, index=rows.index)
    filters = describe(state)
    filter_list = "".join(f"<li>{_escape(f)}</li>" for f in filters) or "<li>None: all findings</li>"
    source = f"kviz {kviz.__version__} · {data_line(table)} · {on.isoformat()}"
    charts = "".join(_chart_html(c, rows, state, on, first=i == 0, source=source)
                     for i, c in enumerate(catalogue.REPORT_CHARTS))
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="kviz {_escape(kviz.__version__)}">
<title>{_escape(f"{TITLE} – {caption(state)}")}</title>
<style>{STYLE}</style>
</head>
<body>
<header>
<h1>{_escape(TITLE)}</h1>
<p class="meta">Report generated {on.isoformat()} by kviz {_escape(kviz.__version__)}.</p>
<p class="meta">Data: {_escape(data_line(table))}.</p>
<p class="meta">Shown: {_escape(summary_line(rows))}.</p>
</header>
<h2>Active filters</h2>
<ul class="filters">{filter_list}</ul>
<p class="caveat">{_escape(CAVEAT)}</p>
{charts}
<h2>Findings</h2>
{_findings_table(rows, numbers)}
{_citation_list(rows, numbers)}
</body>
</html>
"""
