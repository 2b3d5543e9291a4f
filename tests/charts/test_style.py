"""The shared look: chart configuration for slide-ready export."""

from __future__ import annotations

import pandas as pd

from kviz.charts import style

# --------------------------------------------------------------------------------------------- chart config


def test_chart_config_is_slide_ready():
    config = style.chart_config("kviz_timeline")
    assert config["displaylogo"] is False
    image = config["toImageButtonOptions"]
    assert image["format"] == "png" and image["scale"] >= 2 and image["filename"] == "kviz_timeline"
    assert style.chart_config("x", image_format="svg")["toImageButtonOptions"]["format"] == "svg"


def test_chart_config_file_name_is_safe():
    assert style.chart_config("kviz K2/with D3: “x”")["toImageButtonOptions"]["filename"] == "kviz-K2-with-D3-x"
    assert style.chart_config("///")["toImageButtonOptions"]["filename"] == "kviz_chart"


# ----------------------------------------------------------------------------------------------- hover text


def test_hover_texts_bold_heading_then_only_the_fields_that_have_a_value():
    heading = pd.Series(["Trial <A>", "Trial B"])
    fields = [("n & size", style.counts_text(pd.Series([120, pd.NA], dtype="Int64"))),
              ("Form", pd.Series(["", "MK-7"])),
              ("Notes", pd.Series([None, "x" * (style.HOVER_WIDTH + 10)]))]
    first, second = style.hover_texts(heading, fields)
    assert first == "<b>Trial &lt;A&gt;</b><br>n &amp; size: 120"
    assert second.startswith("<b>Trial B</b><br>Form: MK-7<br>Notes: ")
    assert second.count("<br>") == 3  # the long note wrapped onto two lines
    assert style.hover_texts(pd.Series([], dtype=str), [("Form", pd.Series([], dtype=str))]) == []
