"""An uploaded CSV lives only in the browser session that uploaded it: two users side by side on one
server, one uploads, the other (and anyone who arrives later) still sees only the bundled findings; and it lives
only as long as the tab's connection: closed or dropped, the server lets go of it at once (kviz.ui.data)."""

import hashlib
import re
import time
from typing import Callable

from playwright.sync_api import BrowserContext, Page, expect

from .helpers import (
    ALL_COUNT,
    FIXTURE_DATA,
    FORM,
    REPO,
    TIMELINE_CHARTS,
    Relay,
    Server,
    assert_charts_drawn,
    assert_no_errors,
    chart_fingerprints,
    choose,
    count_line,
    go_to,
    open_path,
    rerun_after,
    screenshot,
    settle,
    uploads_held,
    wait_for_reconnection,
    watch_connection,
)

BUNDLED = REPO / "data" / "findings.csv"
LOST = "The uploaded file this page showed is not here"


def total_findings(page: Page) -> int:
    """M in the count line 'N of M findings · P publications'."""
    return int(re.search(r"of ([\d,]+) findings", count_line(page)).group(1).replace(",", ""))


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_an_upload_stays_in_the_session_that_made_it(
    bundled_server: Server, new_context: Callable[[], BrowserContext]
) -> None:
    bundled_before = digest(BUNDLED)
    bystander = new_context().new_page()
    open_path(bystander, bundled_server, "timeline")
    bundled_count, bundled_charts = count_line(bystander), chart_fingerprints(bystander)
    bundled_total = total_findings(bystander)

    uploader = new_context().new_page()
    open_path(uploader, bundled_server, "data")
    assert count_line(uploader) == bundled_count
    file_input = uploader.get_by_test_id("stFileUploaderDropzoneInput")
    rerun_after(uploader, lambda: file_input.set_input_files(FIXTURE_DATA))
    assert_no_errors(uploader)
    assert count_line(uploader) == ALL_COUNT, "the upload alone is explored"
    screenshot(uploader, "upload-1-uploaded")
    go_to(uploader, bundled_server, "timeline")
    assert count_line(uploader) == ALL_COUNT, "every page of that session shows the upload"
    assert_charts_drawn(uploader, TIMELINE_CHARTS)
    assert chart_fingerprints(uploader) != bundled_charts
    screenshot(uploader, "upload-2-timeline-of-the-upload")

    bystander.reload()  # the other user, side by side, reruns: still the bundled findings
    settle(bystander)
    assert count_line(bystander) == bundled_count
    assert chart_fingerprints(bystander) == bundled_charts
    choose(bystander, FORM, "K2")
    assert total_findings(bystander) == bundled_total
    screenshot(bystander, "upload-3-other-session-unchanged")
    newcomer = new_context().new_page()  # and someone who arrives after the upload
    open_path(newcomer, bundled_server, "timeline")
    assert count_line(newcomer) == bundled_count

    go_to(uploader, bundled_server, "data")
    combined = uploader.get_by_test_id("stRadio").get_by_text(re.compile(r"upload \+ bundled"))
    rerun_after(uploader, combined.click)
    assert_no_errors(uploader)
    assert total_findings(uploader) == bundled_total + 18, "combined: the bundled rows and the upload's 18"
    assert total_findings(bystander) == bundled_total
    assert digest(BUNDLED) == bundled_before, "the upload never touches data/findings.csv"


def wait_until(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"not within {seconds:g} s: {what}"
        time.sleep(0.2)


def upload_fixture(page: Page, server: Server | Relay) -> None:
    open_path(page, server, "data")
    file_input = page.get_by_test_id("stFileUploaderDropzoneInput")
    rerun_after(page, lambda: file_input.set_input_files(FIXTURE_DATA))
    assert count_line(page) == ALL_COUNT


def test_a_closed_tab_gives_its_upload_back_at_once(
    bundled_server: Server, new_context: Callable[[], BrowserContext]
) -> None:
    # Streamlit alone would keep a closed tab's session, and its file, for 120 s (server.disconnectedSessionTTL). Its
    # metrics are recomputed at most every 5 s, hence the waits.
    wait_until(lambda: uploads_held(bundled_server) == 0, 20, "earlier tests' uploads released")
    context = new_context()
    upload_fixture(context.new_page(), bundled_server)
    wait_until(lambda: uploads_held(bundled_server) == FIXTURE_DATA.stat().st_size, 20, "the upload held while open")
    context.close()
    wait_until(lambda: uploads_held(bundled_server) == 0, 20, "the closed tab's upload released")


def test_a_dropped_connection_asks_for_the_upload_again(
    bundled_server: Server, new_context: Callable[[], BrowserContext]
) -> None:
    with Relay(bundled_server) as relay:
        page = new_context().new_page()
        open_path(page, relay, "timeline")
        bundled_count = count_line(page)
        upload_fixture(page, relay)
        watch_connection(page)
        relay.cut()
        wait_for_reconnection(page)
        go_to(page, relay, "timeline")
        assert_no_errors(page)
        expect(page.get_by_test_id("stAlertContentWarning")).to_contain_text(LOST)
        assert count_line(page) == bundled_count, "the bundled findings, said so, not a silently missing upload"
        assert_charts_drawn(page, TIMELINE_CHARTS)


def test_a_workbook_is_refused_on_screen_with_the_whole_hint(server: Server, page: Page, tmp_path) -> None:
    workbook = tmp_path / "findings.xlsx"
    workbook.write_bytes(b"PK\x03\x04" + b"\x00" * 200)  # how every .xlsx file starts
    open_path(page, server, "data")
    before = count_line(page)
    rerun_after(page, lambda: page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(workbook))
    error = page.get_by_test_id("stAlertContentError")
    assert "Not loaded" in error.inner_text()
    problems = page.get_by_test_id("stTable").inner_text()
    assert "this is not a CSV file: it looks like an Excel workbook" in problems
    assert "File › Save As › 'CSV UTF-8 (comma delimited)'" in problems  # the hint, whole: nothing cut off
    assert "…" not in problems
    assert count_line(page) == before, "the data explored stays as it was"
    screenshot(page, "upload-refused-workbook")
