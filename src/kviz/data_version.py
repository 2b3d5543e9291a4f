"""The data's own version: a number and a date kept beside the bundled files (data/version.json), not a file date.

A file's modification time changes with every clone, so it cannot say how old the data is. version.json holds the
version, its date, a one-line summary and the SHA-256 of each data file: the tests fail when a data file changes
without a new stamp (`python -m kviz stamp --version N --summary "..."`), so the version always moves with the data.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

VERSION_FILE_NAME = "version.json"
STAMPED_FILES = ("findings.csv", "screening.csv")


@dataclass(frozen=True)
class DataVersion:
    version: str
    date: datetime.date
    summary: str
    sha256: dict[str, str]

    @property
    def label(self) -> str:
        """'version 2 of 2 December 2026'."""
        return f"version {self.version} of {self.date.day} {self.date:%B %Y}"


def version_path(findings_path: str | Path) -> Path:
    return Path(findings_path).with_name(VERSION_FILE_NAME)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_version(findings_path: str | Path) -> DataVersion | None:
    """The version stamped beside a findings file, or None when there is none (e.g. a file of one's own)."""
    path = version_path(findings_path)
    if not path.is_file():
        return None
    raw = json.loads(path.read_text(encoding="utf-8"))
    return DataVersion(str(raw["version"]), datetime.date.fromisoformat(raw["date"]), raw.get("summary", ""),
                       dict(raw.get("sha256", {})))


def unstamped_changes(findings_path: str | Path) -> list[str]:
    """The data files whose content no longer matches the stamp (empty when the stamp is current)."""
    stamp = read_version(findings_path)
    folder = Path(findings_path).parent
    present = [name for name in STAMPED_FILES if (folder / name).is_file()]
    if stamp is None:
        return present
    return [name for name in present if stamp.sha256.get(name) != digest(folder / name)]


def stamp(findings_path: str | Path, version: str, summary: str, on: datetime.date) -> Path:
    """Write version.json for the data files beside `findings_path` as they are now."""
    folder = Path(findings_path).parent
    hashes = {name: digest(folder / name) for name in STAMPED_FILES if (folder / name).is_file()}
    path = version_path(findings_path)
    path.write_text(json.dumps({"version": version, "date": on.isoformat(), "summary": summary, "sha256": hashes},
                               indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
