"""Streamlit pieces shared by the app frame and its pages (the only kviz code that imports streamlit).

- `data`: which findings the app shows (one place, so data sources are added there) and how a failed load reads.
- `sidebar`: the filters, bound to the URL so a copied link reopens the same view, and the View they make
  (`build_view()`, called by app.py on every run).
- `page`: what every page does alike: its opening (`page_view()`, every page's first call), charts, selections.
- `findings`: the Evidence table and the detail card.
"""

from kviz.ui.data import (
    DATA_ENV_VAR, bundled_findings, bundled_screening, data_path, data_selection, problem_table, release_upload_when_tab_closes,
    search_flow_figure, set_data_selection,
)
from kviz.ui.findings import (
    TABLE_PAGE_ROWS, column_chooser, doi_link, finding_card, finding_cards, findings_table, https_link, table_frame,
)
from kviz.ui.page import (
    chart, coverage, page_choice, page_view, selected_rows, shared_figure, shared_result, source_line,
)
from kviz.ui.sidebar import (
    CHOICES, COUNT_ALL_KEY, FORM, OUTCOME, SEARCH_KEY, SUBTYPE, UNTRACED_KEY, YEARS_KEY, View, build_view,
    filter_defaults, reset_button,
)

__all__ = [
    "CHOICES", "COUNT_ALL_KEY", "DATA_ENV_VAR", "FORM", "OUTCOME", "SEARCH_KEY", "SUBTYPE", "TABLE_PAGE_ROWS",
    "UNTRACED_KEY", "View", "YEARS_KEY", "build_view", "bundled_findings", "bundled_screening", "chart",
    "column_chooser", "coverage", "data_path", "data_selection", "doi_link", "filter_defaults", "finding_card",
    "finding_cards", "findings_table", "https_link", "page_choice", "page_view", "problem_table",
    "release_upload_when_tab_closes", "reset_button", "search_flow_figure", "selected_rows", "set_data_selection",
    "shared_figure", "shared_result", "source_line", "table_frame",
]
