"""Safe CSV export of a (filtered) findings table: the one path from the app and the CLI to a file.

The file is a findings CSV in the schema's columns and order, so it passes `python -m kviz validate`
and re-loads to the same rows. Derived columns (`published_date`, `year`) and unknown extra columns
are left out: the export is the documented table, nothing else. Text cells that a spreadsheet would
run as a formula get the loader's neutralising prefix (OWASP's CSV-injection rule), which the loader
removes again on reading; numbers are written as plain numbers and never prefixed.
"""

from __future__ import annotations

import datetime
import re
import unicodedata

import pandas as pd

from kviz import schema
from kviz.effect_sizes import effect_texts
from kviz.filters import FilterState, newest_first, slug
from kviz.loader import FORMULA_CHARACTERS, NEUTRALISING_PREFIX

FILE_PREFIX = "kviz"
UNFILTERED_NAME = "all"
EXCEL_SUFFIX = "excel"
LABELLED_SUFFIX = "labels"
# RFC 4180 line ends: with them the CSV writer also quotes cells holding a bare carriage return.
LINE_END = "\r\n"
# Keeps a file name well inside every file system's limit even with many filters selected.
MAX_FILTER_NAME_LENGTH = 120
_UNSAFE_FILE_NAME_CHARACTERS = re.compile(r"[^A-Za-z0-9._-]+")
_REPEATED_SEPARATORS = re.compile(r"([_-])[_-]+")


def neutralise(values: pd.Series) -> pd.Series:
    """Prefix text that starts with a formula character, so spreadsheets show it instead of running it."""
    text = values.astype(str)
    dangerous = text.str[:1].isin(FORMULA_CHARACTERS)
    return text.where(~dangerous, NEUTRALISING_PREFIX + text)


def number_text(values: pd.Series) -> pd.Series:
    """Numbers as a spreadsheet reads them: whole values without '.0', missing values as empty cells."""
    numbers = values.astype(schema.FLOAT_DTYPE)
    whole = ((numbers == numbers.round()) & (numbers.abs() < 2**53)).fillna(False)
    text = numbers.astype(str).astype(object)
    text[whole] = values[whole].astype(schema.INT_DTYPE).astype(str)
    return text.where(numbers.notna(), "")


def export_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows of `frame` as CSV cell text: schema columns in schema order, safe to open in a spreadsheet."""
    cells: dict[str, pd.Series] = {}
    for column in schema.COLUMNS:
        values = frame[column.name]
        if column.is_number:
            cells[column.name] = number_text(values)
        else:
            cells[column.name] = neutralise(values.astype(object).where(values.notna(), ""))
    return pd.DataFrame(cells, index=frame.index, columns=list(schema.COLUMN_NAMES))


def csv_bytes(frame: pd.DataFrame, excel: bool = False) -> bytes:
    """The CSV file for a findings table: UTF-8 (with a byte-order mark for Excel), CRLF line ends."""
    text = export_frame(frame).to_csv(index=False, lineterminator=LINE_END)
    return text.encode("utf-8-sig" if excel else "utf-8")


def safe_file_name_part(text: str) -> str:
    """`text` reduced to ASCII letters, digits, '.', '_' and '-' (accents dropped, other runs become '-')."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    cleaned = _REPEATED_SEPARATORS.sub(r"\1", _UNSAFE_FILE_NAME_CHARACTERS.sub("-", ascii_text))
    return cleaned.strip("._-")


def file_stem(state: FilterState, on: datetime.date, *suffixes: str) -> str:
    """'kviz_<filters>_<date>[_<suffix>...]': names every file kviz writes after what was filtered and when."""
    filters = safe_file_name_part(slug(state))[:MAX_FILTER_NAME_LENGTH].rstrip("._-") or UNFILTERED_NAME
    return "_".join([FILE_PREFIX, filters, on.isoformat(), *(safe_file_name_part(s) for s in suffixes)])


def export_filename(state: FilterState, on: datetime.date, excel: bool = False, labelled: bool = False) -> str:
    """The CSV's file name, e.g. 'kviz_K2_with-D3_fracture_2026-11-24.csv' ('..._excel.csv' for Excel,
    '..._labels.csv' for the CSV with labels)."""
    suffixes = [EXCEL_SUFFIX] if excel else [LABELLED_SUFFIX] if labelled else []
    return file_stem(state, on, *suffixes) + ".csv"


def labelled_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows as the app shows them: newest first, column titles, category labels, the effect as text, in
    schema.TABLE_ORDER; still safe to open in a spreadsheet."""
    rows = newest_first(frame)
    cells = export_frame(rows)
    for name, vocabulary in schema.VOCABULARIES.items():
        cells[name] = rows[name].map(vocabulary.labels).astype(object).where(rows[name].notna(), "")
    cells[schema.EFFECT_TEXT] = effect_texts(rows)
    titles = {**schema.LABELS, schema.EFFECT_TEXT: schema.EFFECT_TEXT_LABEL}
    return cells[list(schema.TABLE_ORDER)].rename(columns=titles)


def labelled_csv_bytes(frame: pd.DataFrame, excel: bool = True) -> bytes:
    """The CSV with labels (for reading, not for loading back): UTF-8 with a byte-order mark, so Excel shows µ."""
    text = labelled_frame(frame).to_csv(index=False, lineterminator=LINE_END)
    return text.encode("utf-8-sig" if excel else "utf-8")
