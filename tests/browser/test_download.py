"""The table page's CSV downloads are, byte for byte and by file name, what `python -m kviz export` writes
for the same data and filters."""

import csv
import io
import re
import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import Page

from .helpers import FIXTURE_DATA, REPO, assert_no_errors, count_line, open_path

BUNDLED = REPO / "data" / "findings.csv"
CASES = {
    # id: (server fixture, data file, URL query, equivalent CLI options, button, CLI format option)
    "fixture-mk7-with-d3": (
        "server", FIXTURE_DATA, "form=K2&k2=MK-7&d3=With+D3",
        ["--k-form", "K2", "--k2-subtype", "MK-7", "--d3", "with_d3"], "Download CSV", [],
    ),
    "fixture-mk7-with-d3-excel": (
        "server", FIXTURE_DATA, "form=K2&k2=MK-7&d3=With+D3",
        ["--k-form", "K2", "--k2-subtype", "MK-7", "--d3", "with_d3"], "Download CSV for Excel", ["--excel"],
    ),
    "bundled-all": ("bundled_server", BUNDLED, "", [], "Download CSV", []),
}  # fmt: skip


def cli_export(data: Path, options: list[str], directory: Path) -> Path:
    """Run the command-line export in `directory` with its default file name; return the file it wrote."""
    done = subprocess.run(
        [sys.executable, "-m", "kviz", "export", "--data", str(data), *options],
        cwd=directory, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return directory / done.stdout.strip().splitlines()[-1]


@pytest.mark.parametrize("case", list(CASES))
def test_download_equals_command_line_export(
    case: str, page: Page, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    server_name, data, query, options, button, format_options = CASES[case]
    open_path(page, request.getfixturevalue(server_name), "table", query)
    assert_no_errors(page)
    shown = int(count_line(page).split()[0].replace(",", ""))

    download_button = page.get_by_test_id("stDownloadButton").filter(has_text=re.compile(rf"{button}$"))
    with page.expect_download() as started:
        download_button.get_by_role("button").click()
    download = started.value
    assert download.failure() is None and shown > 0
    downloaded = tmp_path / "app" / download.suggested_filename
    download.save_as(downloaded)

    (tmp_path / "cli").mkdir()
    exported = cli_export(data, options + format_options, tmp_path / "cli")
    assert downloaded.name == exported.name
    assert downloaded.read_bytes() == exported.read_bytes()
    records = list(csv.reader(io.StringIO(downloaded.read_bytes().decode("utf-8-sig"), newline="")))
    assert len(records) == shown + 1, "the header and exactly the rows the app counts"
