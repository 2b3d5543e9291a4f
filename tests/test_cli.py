"""`python -m kviz validate [PATH]`: OK line and exit 0, or every problem on stderr and exit 1."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kviz import cli
from kviz.loader import DEFAULT_DATA_PATH

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def write(tmp_path):
    """Write CSV text to a file in tmp_path and return its path as str."""
    def write_file(text: str, name: str = "findings.csv") -> str:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return str(path)

    return write_file


def test_valid_file_prints_ok_with_counts(write, findings_csv_text, capsys):
    assert cli.main(["validate", write(findings_csv_text)]) == 0
    out, err = capsys.readouterr()
    assert out == "OK: 12 findings from 11 publications\n"
    assert err == ""


def test_invalid_file_lists_every_problem_and_exits_1(write, make_csv, capsys):
    path = write(make_csv([{"design": "rtc"}, {"doi": "https://doi.org/10.1000/x"}]))
    assert cli.main(["validate", path]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("2 problems found:")
    assert f"{path}, row 2, column 'design'" in err
    assert f"{path}, row 3, column 'doi'" in err


def test_missing_file_exits_1(tmp_path, capsys):
    missing = str(tmp_path / "missing.csv")
    assert cli.main(["validate", missing]) == 1
    assert "not found" in capsys.readouterr().err


def test_warnings_go_to_stderr_and_still_pass(write, make_csv, capsys):
    assert cli.main(["validate", write(make_csv([{"curator": "AB"}]))]) == 0
    out, err = capsys.readouterr()
    assert out == "OK: 1 finding from 1 publication\n"
    assert err.startswith("warning: ") and "curator" in err


def test_default_path_is_the_bundled_file(monkeypatch, write, findings_csv_text, capsys):
    monkeypatch.setattr(cli, "DEFAULT_DATA_PATH", Path(write(findings_csv_text, "bundled.csv")))
    assert cli.main(["validate"]) == 0
    assert capsys.readouterr().out.startswith("OK: 12 findings")


def test_unknown_command_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["nonsense"])
    assert exit_info.value.code == 2


def run_module(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kviz", *args], cwd=ROOT, capture_output=True, text=True, timeout=60)


def test_module_entry_point_exit_codes(write, findings_csv_text, make_csv):
    good = run_module("validate", write(findings_csv_text))
    assert (good.returncode, good.stdout) == (0, "OK: 12 findings from 11 publications\n")
    bad = run_module("validate", write(make_csv([{"url": "http://example.org"}]), "bad.csv"))
    assert bad.returncode == 1 and "row 2, column 'url'" in bad.stderr


def test_bundled_file_validates():
    assert DEFAULT_DATA_PATH == ROOT / "data" / "findings.csv"
    result = run_module("validate")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("OK: ") and " findings from " in result.stdout
