"""The search flow figure: every box's number comes from the Flow it is given."""

from __future__ import annotations

from kviz.charts import flow
from kviz.screening import Flow

from tests.charts.conftest import assert_valid_plotly, visible_texts


def test_the_flow_shows_each_count_it_is_given_and_nothing_else():
    counts = Flow(by_source={"Seed document": 7, "Database search": 93}, excluded={"Not a human study": 41},
                  included={"Seed document": 7, "Database search": 52}, untraced_publications=3,
                  included_records=59, publications=59, findings=123)
    figure = flow.search_flow(counts)
    assert_valid_plotly(figure)
    texts = " ".join(visible_texts(figure))
    for expected in ("Records considered: 100", "Seed document: 7", "Database search: 93", "Excluded: 41",
                     "Not a human study: 41", "Publications included: 59", "Database search: 52",
                     "untraced claims of the seed: 3", "In the table: 123 findings", "from 59 publications"):
        assert expected in texts


def test_the_flow_escapes_labels():
    counts = Flow(by_source={"<b>x</b>": 1}, excluded={}, included={}, untraced_publications=0,
                  included_records=0, publications=0, findings=0)
    assert "&lt;b&gt;x&lt;/b&gt;: 1" in " ".join(visible_texts(flow.search_flow(counts)))
