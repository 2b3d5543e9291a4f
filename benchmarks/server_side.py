"""Server-side timings on one findings file: load + validate, filters, every chart of the catalogue, each page's run.

Run by run.py in a fresh process per file (so caches and memory start equal), printing JSON:
    python benchmarks/server_side.py FILE --out RESULT.json --runs 5 [--no-figures] [--no-pages] [--budget 60]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

from common import REPO, Timing, measure
from kviz import filters, loader, schema
from kviz.charts import catalogue
from kviz.filters import FilterState

SEARCH_WORDS = "natto"
# The filter change the page runs answer: one vitamin K family chosen in the sidebar (widget key, value).
FILTER_WIDGET = ("form", "K1")
APPTEST_TIMEOUT_SECONDS = 600


def typical_filter(frame) -> FilterState:
    """The question users bring: K2 with D3, on the key outcomes, traced studies of the last 20 years."""
    bounds = filters.year_bounds(frame)
    years = (bounds[1] - 19, bounds[1]) if bounds else None
    return FilterState(k_forms=("K2",), d3=("with_d3",), outcomes=schema.KEY_OUTCOMES, years=years, include_untraced=False)


def library_timings(path: Path, runs: int, budget: float, with_figures: bool) -> dict:
    # Load and filters carry targets at every size: always all runs. Figures and pages stop at the budget.
    result = {"load": measure(lambda: loader.load_findings(path), runs).to_dict()}
    frame = loader.load_findings(path)
    result["rows"] = len(frame)
    state = typical_filter(frame)
    result["filter_typical"] = measure(lambda: filters.apply_filters(frame, state), runs).to_dict()
    result["filter_typical_rows"] = len(filters.apply_filters(frame, state))
    search = FilterState(search=SEARCH_WORDS)
    result["filter_search"] = measure(lambda: filters.apply_filters(frame, search), runs).to_dict()
    result["figures"] = {}
    if with_figures:
        default = FilterState()
        for chart in catalogue.CHARTS:
            # The default view draws every finding: the heaviest case a page meets. Built directly, past the
            # app's shared figure cache (kviz.ui.page._shared_figure_spec): the cost of a view no session has seen.
            result["figures"][chart.key] = measure(lambda: chart.figure(frame, default), runs, budget).to_dict()
    return result


def _exception_note(app_test) -> str:
    return f"exception: {app_test.exception[0].message[:200]}" if app_test.exception else ""


def page_timings(path: Path, runs: int, budget: float) -> dict:
    """Each page's script run (data already cached, as for every visitor after the first), a filter change, and a
    rerun with the shared figure cache emptied first.

    The app shares built figures between sessions (st.cache_data in kviz.ui.page), and all AppTest sessions of this
    process share that cache: a page's run and filter change are served from it from the second run on (the first
    run of a view builds), i.e. they time a visitor who is not the first to see the view. The third measurement
    (after the others) empties the figure cache before a rerun of the page's default view, so every figure of the
    page is built: nearly the first visitor of a view. (The Presentation's slide layout, the pages' shared results
    and About's search flow have caches of their own, not emptied.)
    """
    from streamlit.testing.v1 import AppTest

    from kviz.ui.page import _shared_figure_spec

    os.environ["KVIZ_DATA"] = str(path)
    app = REPO / "app.py"
    if not app.is_file():
        return {"note": "app.py not found"}
    pages = sorted((REPO / "pages").glob("*.py"))
    result: dict = {"pages": {}}

    start = time.perf_counter()
    first = AppTest.from_file(str(app), default_timeout=APPTEST_TIMEOUT_SECONDS).run()
    result["cold_first_run"] = Timing([time.perf_counter() - start], _exception_note(first)).to_dict()

    for page in pages:
        relative = str(page.relative_to(REPO))
        page_run, filter_change, uncached = Timing(), Timing(), Timing()
        for _ in range(runs):
            app_test = AppTest.from_file(str(app), default_timeout=APPTEST_TIMEOUT_SECONDS).run()
            try:
                app_test.switch_page(relative)
            except ValueError as error:
                page_run.note = f"not a registered page: {error}"
                break
            start = time.perf_counter()
            app_test.run()
            page_run.seconds.append(time.perf_counter() - start)
            page_run.note = page_run.note or _exception_note(app_test)
            key, value = FILTER_WIDGET
            try:
                widget = app_test.multiselect(key=key)
            except KeyError:
                filter_change.note = f"no sidebar multiselect with key {key!r}"
            else:
                start = time.perf_counter()
                widget.set_value([value]).run()
                filter_change.seconds.append(time.perf_counter() - start)
                filter_change.note = filter_change.note or _exception_note(app_test)
            if sum(page_run.seconds) + sum(filter_change.seconds) > budget:
                page_run.note = page_run.note or f"stopped after {len(page_run.seconds)} runs (time budget)"
                break
        # After the cached runs, so that emptying the cache does not turn them into first visits.
        for _ in range(len(page_run.seconds)):
            app_test = AppTest.from_file(str(app), default_timeout=APPTEST_TIMEOUT_SECONDS).run()
            app_test.switch_page(relative)
            app_test.run()
            _shared_figure_spec.clear()
            start = time.perf_counter()
            app_test.run()
            uncached.seconds.append(time.perf_counter() - start)
            uncached.note = uncached.note or _exception_note(app_test)
            if sum(uncached.seconds) > budget:
                uncached.note = uncached.note or f"stopped after {len(uncached.seconds)} runs (time budget)"
                break
        result["pages"][page.stem] = {"run": page_run.to_dict(), "filter": filter_change.to_dict(),
                                      "uncached": uncached.to_dict()}
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("path", type=Path)
    parser.add_argument("--out", type=Path, required=True, help="JSON file for the results")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--budget", type=float, default=120.0, help="seconds one measurement may use in all")
    parser.add_argument("--no-figures", dest="figures", action="store_false")
    parser.add_argument("--no-pages", dest="pages", action="store_false")
    args = parser.parse_args()
    result = library_timings(args.path, args.runs, args.budget, args.figures)
    if args.pages:
        result["apptest"] = page_timings(args.path, args.runs, args.budget)
    args.out.write_text(json.dumps(result), encoding="utf-8")


if __name__ == "__main__":
    main()
