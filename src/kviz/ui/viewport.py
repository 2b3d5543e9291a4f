"""The browser window's size, for pages that lay themselves out to fill the screen (the Presentation).

A tiny component (Streamlit's components v2: inline JavaScript, no build step, no network) reports the window's
inner width and height when it is drawn and again, a moment after the window stops changing size.
"""

from __future__ import annotations

import streamlit as st

_REPORT_WINDOW_SIZE = """
export default function ({ setStateValue }) {
    const report = () => setStateValue("size", [window.innerWidth, window.innerHeight]);
    let pending;
    const onResize = () => { clearTimeout(pending); pending = setTimeout(report, 250); };
    report();
    window.addEventListener("resize", onResize);
    return () => { clearTimeout(pending); window.removeEventListener("resize", onResize); };
}
"""
_window_size = st.components.v2.component("kviz_window_size", js=_REPORT_WINDOW_SIZE)


def window_size(default: tuple[int, int]) -> tuple[int, int]:
    """(width, height) of the browser window in CSS pixels; `default` until the browser has said (and in tests)."""
    size = _window_size(key="window_size", default={"size": None}, on_size_change=lambda: None).get("size")
    if not size or len(size) != 2:
        return default
    width, height = (int(v) for v in size)
    return (width, height) if width > 0 and height > 0 else default
