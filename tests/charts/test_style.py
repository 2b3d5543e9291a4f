"""The shared look: chart configuration for slide-ready export."""

from __future__ import annotations

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
