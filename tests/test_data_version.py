"""The data's own version: stamped beside the data files with their checksums, so it moves with the data."""

from __future__ import annotations

import datetime

from kviz import data_version
from kviz.loader import DEFAULT_DATA_PATH

DAY = datetime.date(2026, 12, 2)


def test_the_bundled_data_is_stamped_as_it_is():
    """Fails when data/findings.csv or data/screening.csv changed without `python -m kviz stamp`."""
    assert data_version.read_version(DEFAULT_DATA_PATH) is not None
    assert data_version.unstamped_changes(DEFAULT_DATA_PATH) == []


def test_a_stamp_records_version_date_summary_and_checksums(tmp_path):
    findings = tmp_path / "findings.csv"
    findings.write_text("a,b\n1,2\n", encoding="utf-8")
    data_version.stamp(findings, "7", "More trials", DAY)
    version = data_version.read_version(findings)
    assert (version.version, version.date, version.summary) == ("7", DAY, "More trials")
    assert version.label == "version 7 of 2 December 2026"
    assert set(version.sha256) == {"findings.csv"}
    assert data_version.unstamped_changes(findings) == []


def test_a_changed_file_shows_up_until_stamped_again(tmp_path):
    findings, records = tmp_path / "findings.csv", tmp_path / "screening.csv"
    findings.write_text("a\n1\n", encoding="utf-8")
    records.write_text("r\n1\n", encoding="utf-8")
    data_version.stamp(findings, "1", "", DAY)
    records.write_text("r\n2\n", encoding="utf-8")
    assert data_version.unstamped_changes(findings) == ["screening.csv"]
    data_version.stamp(findings, "2", "", DAY)
    assert data_version.unstamped_changes(findings) == []


def test_data_without_a_stamp_has_no_version(tmp_path):
    findings = tmp_path / "findings.csv"
    findings.write_text("a\n1\n", encoding="utf-8")
    assert data_version.read_version(findings) is None
    assert data_version.unstamped_changes(findings) == ["findings.csv"]
