"""Every cell checked against the schema and typed: ids, categories, dates, numbers, DOIs, links, the numeric
results across columns, and the first D3 codes read as today's."""

from __future__ import annotations

import re
from collections import Counter
from functools import partial
from typing import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from kviz import schema
from kviz.loader.cells import flags
from kviz.loader.problems import HEADER_ROW, ProblemLog
from kviz.schema import Problem

# A text cell that an exported CSV neutralised (OWASP: leading quote before a formula character);
# reading it back restores the original text so export and load round-trip exactly.
FORMULA_CHARACTERS = ("=", "+", "-", "@", "\t", "\r")
NEUTRALISING_PREFIX = "'"
# Whole numbers above this are no longer exact in a float: no honest participant count is that large.
LARGEST_WHOLE_NUMBER = 2**53
EARLIEST_YEAR, LATEST_YEAR = 1900, 2100
# Full-match patterns in RE2 syntax (pyarrow). \p{Z} is any space, \p{C} any control or invisible character.
SLUG = r"[a-z0-9][a-z0-9_.-]*"
PUBLISHED = r"[0-9]{4}(-[0-9]{2})?"
NUMBER = r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?"
DOI = r"10\.[0-9]{4,9}/[^\p{Z}\p{C}]+"
URL = r"https://[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*(:[0-9]{1,5})?([/?#][^\p{Z}\p{C}\"<>]*)?"
NEUTRALISED = "^" + re.escape(NEUTRALISING_PREFIX) + "[" + "".join(map(re.escape, FORMULA_CHARACTERS)) + "]"


def _full_match(values: pa.ChunkedArray, pattern: str) -> np.ndarray:
    return flags(pc.match_substring_regex(values, f"^(?:{pattern})$"))


def as_text(values: pa.ChunkedArray) -> pd.Series:
    return values.to_pandas()


def restore_neutralised(values: pa.ChunkedArray) -> pa.ChunkedArray:
    if not pc.any(pc.starts_with(values, NEUTRALISING_PREFIX)).as_py():  # the usual case, without a regex
        return values
    quoted = pc.match_substring_regex(values, NEUTRALISED)
    return pc.if_else(quoted, pc.utf8_slice_codeunits(values, len(NEUTRALISING_PREFIX)), values)


Report = Callable[..., None]  # report(mask, message, allowed="") for the column being checked


def validate(columns: dict[str, pa.ChunkedArray], problems: ProblemLog, warnings: list[Problem]) -> dict[str, pd.Series]:
    """The typed schema columns, reporting every bad cell; columns added to the schema later may be missing (empty)."""
    typed: dict[str, pd.Series] = {}
    rows = len(problems.rows)
    spec = problems.spec
    if spec is schema.FINDINGS and "d3" in columns:
        columns["d3"] = translate_legacy_d3(columns, problems, warnings)
    for column in spec.columns:
        if column.name not in columns:
            if column.in_every_file:
                continue  # reported as a missing column
            columns[column.name] = pa.chunked_array([pa.array([""] * rows, pa.string())])
        raw = columns[column.name]
        report = partial(problems.add_rows, column.name, raw)
        if column.kind == "text":  # kept as written, spaces and all
            if column.required:
                report(flags(pc.equal(pc.utf8_trim_whitespace(raw), "")), "a value is required")
            typed[column.name] = as_text(restore_neutralised(raw))
            continue
        values = pc.utf8_trim_whitespace(raw)
        empty = flags(pc.equal(values, ""))
        if column.required:
            report(empty, "a value is required")
        if column.kind == "category":
            typed[column.name] = _check_category(spec.vocabularies[column.name], values, empty, report)
        else:
            typed[column.name] = _CHECKERS[column.kind](column.name, values, empty, report)
    if spec.key in typed:
        _check_unique(columns[spec.key], problems)
    if spec is schema.FINDINGS:
        _check_effects(typed, columns, problems)
    return typed


def translate_legacy_d3(columns: dict[str, pa.ChunkedArray], problems: ProblemLog, warnings: list[Problem]) -> pa.ChunkedArray:
    """The d3 column with codes of the first vocabulary (yes / no) read as today's codes, and a warning saying so.

    'yes' becomes d3_only for a row without vitamin K, k_and_d_status for an observational study, with_d3 otherwise;
    'no' becomes without_d3 for a trial and not_reported for anything else (observational studies of vitamin K
    alone, laboratory work, reviews). Check the translated rows: the old codes could not say more.
    """
    raw = columns["d3"]
    values = pc.utf8_trim_whitespace(raw)
    legacy = flags(pc.is_in(values, value_set=pa.array(schema.LEGACY_D3_CODES)))
    if not legacy.any():
        return raw
    frame = pd.DataFrame({
        name: pc.utf8_trim_whitespace(columns[name]).to_pandas() if name in columns else ""
        for name in ("design", "k_form")
    })
    old = values.to_pandas()
    trial = frame["design"].isin(("rct", "trial"))
    observational = frame["design"].isin(("cohort", "observational"))
    translated = np.select(
        [old.eq("yes") & frame["k_form"].eq("none"), old.eq("yes") & observational, old.eq("yes"), old.eq("no") & trial,
         old.eq("no")],
        ["d3_only", "k_and_d_status", "with_d3", "without_d3", "not_reported"],
        default=old.to_numpy(dtype=object),
    )
    counts = Counter(f"{before} → {after}" for before, after in zip(old[legacy], translated[legacy]))
    warnings.append(Problem(
        f"old codes yes / no in {int(legacy.sum()):,} rows, read as "
        + ", ".join(f"{change} ({count:,})" for change, count in sorted(counts.items()))
        + ". Check them and save the file with today's codes.",
        problems.file, HEADER_ROW, "d3", allowed=", ".join(schema.D3.codes),
    ))
    return pa.chunked_array([pa.array(translated.tolist(), pa.string())])


def _check_effects(typed: dict[str, pd.Series], raw: dict[str, pa.ChunkedArray], problems: ProblemLog) -> None:
    """Checks across the numeric result columns: a usable estimate has its measure, its CI around it, ratios above 0,
    and no arm with more events than people."""
    if not all(name in typed for name in _EFFECT_COLUMNS):
        return

    def number(name: str) -> np.ndarray:
        return typed[name].to_numpy(dtype=np.float64, na_value=np.nan)

    estimate, low, high = number("estimate"), number("ci_low"), number("ci_high")
    measure = typed["measure"]
    present = {name: ~np.isnan(values) for name, values in (("estimate", estimate), ("ci_low", low), ("ci_high", high))}

    def report(column: str, mask: np.ndarray, message: str, allowed: str = "") -> None:
        problems.add_rows(column, raw[column], mask, message, allowed)

    report("measure", present["estimate"] & measure.isna().to_numpy(), "an estimate needs its measure",
           ", ".join(schema.MEASURE.codes))
    report("ci_high", present["ci_low"] & ~present["ci_high"], "the 95% CI needs both ends", "a number above ci_low")
    report("ci_low", present["ci_high"] & ~present["ci_low"], "the 95% CI needs both ends", "a number below ci_high")
    both = present["ci_low"] & present["ci_high"]
    with np.errstate(invalid="ignore"):
        reversed_ci = both & (low > high)
        report("ci_low", reversed_ci, "the lower end of the CI is above the upper end", "ci_low ≤ ci_high")
        outside = both & ~reversed_ci & present["estimate"] & ((estimate < low) | (estimate > high))
        report("estimate", outside, "the estimate lies outside its 95% CI", "ci_low ≤ estimate ≤ ci_high")
        ratio = measure.isin(schema.RATIO_MEASURES).to_numpy()
        for name, values in (("estimate", estimate), ("ci_low", low), ("ci_high", high)):
            report(name, ratio & present[name] & (values <= 0), "a ratio must be above 0",
                   f"a number above 0 for {', '.join(schema.RATIO_MEASURES)}")
        for events, people in (("events_k", "n_k"), ("events_control", "n_control")):
            report(events, number(events) > number(people), f"more events than people in the arm ({people})",
                   f"at most {people}")


_EFFECT_COLUMNS = ("measure", "estimate", "ci_low", "ci_high", "events_k", "n_k", "events_control", "n_control")


def _check_unique(raw: pa.ChunkedArray, problems: ProblemLog) -> None:
    key = problems.spec.key
    stripped = pc.utf8_trim_whitespace(raw)
    if len(stripped.unique()) == len(raw):  # the usual case, found by one fast hash pass
        return
    ids = stripped.to_pandas()
    codes, _ = pd.factorize(ids)
    rows = problems.rows
    _, first_position = np.unique(codes, return_index=True)
    duplicate = ids.duplicated(keep="first").to_numpy() & (ids != "").to_numpy()

    def message(position: int) -> str:
        return f"duplicate {key}: already used in row {rows[first_position[codes[position]]]}"

    problems.add_rows(key, raw, duplicate, message, "a unique identifier per row")


def _check_id(name: str, values: pa.ChunkedArray, empty: np.ndarray, report: Report) -> pd.Series:
    report(
        ~empty & ~_full_match(values, SLUG),
        "not a valid identifier",
        "lower-case letters, digits, '-', '_' or '.', starting with a letter or digit",
    )
    return as_text(values)


def _check_category(vocabulary: schema.Vocabulary, values: pa.ChunkedArray, empty: np.ndarray, report: Report) -> pd.Series:
    codes = np.asarray(pc.fill_null(pc.index_in(values, value_set=pa.array(vocabulary.codes)), -1), dtype=np.int64)
    report(~empty & (codes < 0), f"unknown value for {vocabulary.title}", ", ".join(vocabulary.codes))
    dtype = pd.CategoricalDtype(vocabulary.codes, ordered=True)
    return pd.Series(pd.Categorical.from_codes(codes, dtype=dtype))


def _check_date(name: str, values: pa.ChunkedArray, empty: np.ndarray, report: Report) -> pd.Series:
    well_formed = _full_match(values, PUBLISHED)
    year = _numbers(pc.utf8_slice_codeunits(values, 0, 4), well_formed)
    month = _numbers(pc.utf8_slice_codeunits(values, 5, 7), well_formed & flags(pc.equal(pc.utf8_length(values), 7)))
    with np.errstate(invalid="ignore"):
        in_range = (year >= EARLIEST_YEAR) & (year <= LATEST_YEAR) & (np.isnan(month) | ((month >= 1) & (month <= 12)))
    report(
        ~empty & ~(well_formed & in_range),
        "not a valid publication date",
        f"YYYY-MM or YYYY, years {EARLIEST_YEAR}–{LATEST_YEAR} (e.g. 2019-05), or empty",
    )
    return as_text(values)


def _numbers(values: pa.ChunkedArray, usable: np.ndarray) -> np.ndarray:
    """The usable cells as floats, NaN elsewhere."""
    text = pc.if_else(pa.array(usable), values, pa.scalar(None, pa.string()))
    return np.asarray(pc.cast(text, pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64)


def _check_number(
    name: str, values: pa.ChunkedArray, empty: np.ndarray, report: Report, *, whole: bool, signed: bool = False
) -> pd.Series:
    numbers = _numbers(values, ~empty & _full_match(values, NUMBER))
    finite = np.isfinite(numbers)
    report(~empty & ~finite, "not a number", "a number without units, or empty")
    if signed:
        return pd.Series(np.where(finite, numbers, np.nan)).astype(schema.FLOAT_DTYPE)
    negative = finite & (np.where(finite, numbers, 0) < 0)
    report(negative, "must not be negative", "zero or more, or empty")
    usable = finite & ~negative
    if not whole:
        return pd.Series(np.where(usable, numbers, np.nan)).astype(schema.FLOAT_DTYPE)
    fractional = usable & (np.mod(np.where(usable, numbers, 0), 1) != 0)
    report(fractional, "not a whole number", "a whole number, or empty")
    too_large = usable & ~fractional & (np.where(usable, numbers, 0) > LARGEST_WHOLE_NUMBER)
    report(too_large, "too large", f"a whole number up to {LARGEST_WHOLE_NUMBER}, or empty")
    return pd.Series(np.where(usable & ~fractional & ~too_large, numbers, np.nan)).astype(schema.INT_DTYPE)


def _check_doi(name: str, values: pa.ChunkedArray, empty: np.ndarray, report: Report) -> pd.Series:
    report(~empty & ~_full_match(values, DOI), "not a bare DOI", "10.xxxx/... without https://doi.org/ or 'doi:', or empty")
    return as_text(values)


def _check_url(name: str, values: pa.ChunkedArray, empty: np.ndarray, report: Report) -> pd.Series:
    report(~empty & ~_full_match(values, URL), "not an https:// web address", "https://host/... only, or empty")
    return as_text(values)


_CHECKERS: dict[str, Callable[..., pd.Series]] = {
    "id": _check_id,
    "date": _check_date,
    "int": lambda *args: _check_number(*args, whole=True),
    "float": lambda *args: _check_number(*args, whole=False),
    "signed": lambda *args: _check_number(*args, whole=False, signed=True),
    "doi": _check_doi,
    "url": _check_url,
}
