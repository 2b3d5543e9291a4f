"""Shared fixtures: small, valid findings tables built in memory, so no test depends on data/findings.csv.

- `make_csv(rows)` builds CSV text from partial rows (each a dict of overrides on a valid base row).
- `findings_csv_text` is the CSV text of `VARIED_ROWS`, twelve valid rows that cover every k_form, d3 value,
  direction, source_match and source, several designs and outcomes, dated/year-only/undated rows, missing
  numbers, and studies with one and with several rows.
- `typed_frame` is `findings_csv_text` loaded through `kviz.loader.load_findings` (a fresh copy per test).
"""

from __future__ import annotations

import io
import re
from typing import Callable

import pandas as pd
import pytest

from kviz import loader, schema
from kviz.loader import load_findings

BASE_ROW: dict[str, str] = dict(schema.EXAMPLE_FINDING)
"""One valid row; every schema column is present (tests check this against schema.COLUMN_NAMES)."""


def _row(finding_id: str, study_id: str, published: str, design: str, k_form: str, d3: str, outcome: str,
         direction: str, source_match: str, source: str, n: str, dose: str, months: str, **text: str) -> dict:
    return dict(finding_id=finding_id, study_id=study_id, published=published, design=design, k_form=k_form, d3=d3,
                outcome=outcome, direction=direction, source_match=source_match, source=source, n_participants=n,
                dose_ug_per_day=dose, duration_months=months, **text)


VARIED_ROWS: list[dict[str, str]] = [
    _row("k1-bmd-2008", "k1-trial-2008", "2008-10", "rct", "K1", "with_d3", "bone_density", "no_effect", "identified",
         "added", "440", "5000", "24", headline="K1 did not change bone density", doi="10.5555/k1.2008",
         measure="pct_diff", estimate="-0.06", ci_low="-0.67", ci_high="0.54", unit="%", site="lumbar spine"),
    _row("mk7-bmd-2013", "mk7-trial-2013", "2013-09", "rct", "MK-7", "without_d3", "bone_density", "benefit", "identified",
         "seed_list", "244", "180", "36", headline="MK-7 slowed bone loss", url="https://example.org/mk7",
         measure="pct_diff", estimate="0.9", ci_low="0.2", ci_high="1.6", unit="%", site="lumbar spine"),
    _row("mk7-quality-2013", "mk7-trial-2013", "2013-09", "rct", "MK-7", "without_d3", "bone_quality", "benefit",
         "identified", "seed_list", "244", "180", "36", headline="MK-7 kept bone strength"),
    _row("mk4-fracture-2006", "mk4-meta-2006", "2006", "meta_analysis", "MK-4", "not_reported", "fracture",
         "benefit", "identified", "seed_list", "7000", "45000", "", headline="MK-4 fewer fractures",
         effect_size="OR 0.40 (0.25–0.65)", integrity="retracted"),
    _row("k2-muscle-2021", "k2-muscle-2021", "2021-06", "rct", "K2", "with_d3", "muscle", "benefit", "probable",
         "seed_review", "60", "375", "3", headline="K2 with D3 and muscle strength"),
    _row("mixed-muscle-2022", "mixed-trial-2022", "2022-02", "trial", "mixed", "with_d3", "muscle", "mixed",
         "identified", "added", "", "", "6", headline="Mixed forms, mixed muscle results",
         integrity="concern"),
    _row("k1-cv-2019", "k1-cohort-2019", "2019", "cohort", "K1", "k_and_d_status", "cardiovascular", "harm",
         "identified", "search", "12000", "", "120", headline="K1 intake and heart events"),
    _row("mk4-cells-2017", "mk4-lab-2017", "2017-04", "lab", "MK-4", "not_reported", "bone_markers", "benefit", "identified",
         "seed_review", "", "", "", headline="MK-4 and osteoblasts in vitro"),
    _row("review-2015", "review-2015", "", "review", "unspecified", "not_reported", "other", "not_applicable",
         "probable", "seed_review", "", "", "", headline="Review of vitamin K and bone"),
    _row("covid-claim", "covid-claim", "", "opinion", "none", "d3_only", "covid", "not_applicable", "not_identified",
         "seed_list", "", "", "", headline="Vitamins D and K and COVID", doi="", url=""),
    _row("vascular-2020", "vascular-2020", "2020-11", "observational", "unspecified", "not_reported", "vascular",
         "no_effect", "not_identified", "seed_list", "1000", "", "", headline="Vitamin K status and calcification"),
    _row("natto-2012", "natto-2012", "2012-07", "lab", "MK-7", "not_reported", "vitamin_status", "not_applicable",
         "identified", "added", "0", "", "", headline="MK-7 content of natto"),
]
"""Twelve valid rows, eleven publications (mk7-trial-2013 has two rows); see the module docstring."""


def _csv_cell(value: str) -> str:
    """RFC 4180 quoting; unlike csv.writer with "\n" line ends, it also quotes a lone carriage return."""
    if any(character in value for character in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


def build_csv(rows: list[dict[str, str]], columns: list[str] | None = None) -> str:
    """CSV text with one line per row: each row is BASE_ROW updated with its overrides.

    Rows without a `finding_id` get a unique one (`finding-1`, ...). Keys that are not schema columns become
    extra columns after the schema ones. `columns` overrides the header (to drop or reorder columns).
    Lines end with "\n"; cells holding commas, quotes or line breaks are quoted.
    """
    if columns is None:
        extra = [key for row in rows for key in row if key not in schema.COLUMNS_BY_NAME]
        columns = list(schema.COLUMN_NAMES) + list(dict.fromkeys(extra))
    lines = [columns] + [
        [{**BASE_ROW, "finding_id": f"finding-{number}", **overrides}.get(name, "") for name in columns]
        for number, overrides in enumerate(rows, start=1)
    ]
    return "".join(",".join(_csv_cell(cell) for cell in line) + "\n" for line in lines)


@pytest.fixture
def make_csv() -> Callable[..., str]:
    """Factory `make_csv(rows, columns=None) -> str`: valid CSV text from partial rows (see `build_csv`).

    `make_csv([{}, {"design": "rct"}])` is two valid rows; override a value to make exactly one cell bad.
    """
    return build_csv


@pytest.fixture
def findings_csv_text() -> str:
    """CSV text of VARIED_ROWS: twelve valid, varied findings from eleven publications."""
    return build_csv(VARIED_ROWS)


@pytest.fixture
def typed_frame(findings_csv_text: str):
    """VARIED_ROWS loaded through `load_findings`: the typed table every page and module works on."""
    return load_findings(io.StringIO(findings_csv_text), name="varied.csv")


def shown_problems(at) -> pd.DataFrame:
    """The problems table an AppTest run shows (st.table of Markdown-escaped cells), as the text a reader sees."""
    (table,) = [t.value for t in at.main.table if list(t.value.columns) == list(loader.PROBLEM_LABELS.values())]
    shown = table.map(lambda cell: re.sub(r"\\(.)", r"\1", str(cell)))
    shown["Row"] = pd.to_numeric(shown["Row"], errors="coerce").astype("Int64")  # '—' where a problem has no row
    return shown
