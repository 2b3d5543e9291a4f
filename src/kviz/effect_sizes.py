"""Numeric results of findings: how they read, and how they are turned to face one way before comparing them.

A row's `estimate`, `ci_low` and `ci_high` are kept exactly as printed. Some sources report the comparison the
other way round (`contrast` = low_vs_high: less vitamin K against more); charts and pooling turn those round so that
every result compares vitamin K (or more of it) with its comparator: a ratio becomes 1 / ratio with its interval
ends swapped, a difference changes sign. Ratios measure the risk of an adverse event (fracture, fall, limitation),
so below 1 favours vitamin K; differences measure something good (bone density, strength), so above 0 does.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from kviz import schema

REVERSED = "low_vs_high"
# Site groups: results are pooled only within one. A site text belongs to the group whose phrase occurs first in it
# ("femoral neck (lumbar spine no difference)" is femoral neck); text matching none is its own group.
SITE_GROUPS: dict[str, tuple[tuple[str, str], ...]] = {
    "bone_density": (("lumbar spine", "Lumbar spine"), ("femoral neck", "Femoral neck"), ("total hip", "Total hip"),
                     ("osteoporosis", "Osteoporosis"), ("total bmd", "Total body"), ("total body", "Total body"),
                     ("whole body", "Total body"), ("radius", "Radius")),
    "fracture": (("non-vertebral", "Non-vertebral fracture"), ("nonvertebral", "Non-vertebral fracture"),
                 ("hip fracture", "Hip fracture"), ("vertebral", "Vertebral fracture"),
                 ("any fracture", "Any fracture"), ("clinical fracture", "Any fracture"),
                 ("osteoporotic", "Any fracture"), ("fracture", "Any fracture")),
    "muscle": (("grip", "Grip strength"), ("mobility limitation", "Mobility limitation"),
               ("mobility disability", "Mobility disability"), ("frailty", "Frailty"), ("falls", "Falls"),
               ("up-and-go", "Timed Up-and-Go"), ("calf", "Calf circumference"),
               ("functional performance", "Functional performance"), ("sway", "Postural sway"),
               ("cramp", "Cramps")),
}
NO_EFFECT = {"ratio": 1.0, "difference": 0.0}


def measure_family(measure: str) -> str:
    """'ratio' or 'difference' for a MEASURE code."""
    return schema.MEASURE[measure].family


def number_text(value: float) -> str:
    """A printed number without trailing zeros: 0.45, 1.63, 21.6, -0.06."""
    return f"{value:.3g}" if abs(value) < 10 else f"{value:,.1f}".rstrip("0").rstrip(".")


def effect_text(row: pd.Series) -> str:
    """'RR 0.45 (95% CI 0.2 to 0.98)' for a row with a numeric result ('MD 0.05 g/cm² (…)' with a unit);
    '' without one."""
    return _effect_text(*(row.get(column) for column in _EFFECT_COLUMNS))


_EFFECT_COLUMNS = ("measure", "estimate", "ci_low", "ci_high", "unit", "contrast")


def _effect_text(measure, estimate, ci_low, ci_high, unit, contrast) -> str:
    if pd.isna(estimate) or pd.isna(measure):
        return ""
    unit = unit or ""
    unit = f" {unit}" if unit and unit != "%" else ("%" if unit == "%" else "")
    text = f"{schema.MEASURE.short_label(measure)} {number_text(estimate)}{unit}"
    if pd.notna(ci_low) and pd.notna(ci_high):
        text += f" (95% CI {number_text(ci_low)} to {number_text(ci_high)})"
    if contrast == REVERSED:
        text += ", less vs more vitamin K"
    return text


def effect_texts(frame: pd.DataFrame) -> pd.Series:
    """`effect_text` for every row, '' where there is no numeric result (one pass over the distinct results)."""
    present = (frame["estimate"].notna() & frame["measure"].notna()).to_numpy(dtype=bool)
    texts = np.full(len(frame), "", dtype=object)
    if present.any():
        rows = list(zip(*(frame[column].to_numpy(dtype=object)[present] for column in _EFFECT_COLUMNS)))
        lookup = {row: _effect_text(*row) for row in set(rows)}
        texts[present] = [lookup[row] for row in rows]
    return pd.Series(texts, index=frame.index, dtype=object)


def oriented(rows: pd.DataFrame) -> pd.DataFrame:
    """`rows` with estimate, ci_low and ci_high turned to compare vitamin K (or more of it) with its comparator.

    Adds `reoriented` (bool): True where the printed numbers were turned round.
    """
    result = rows.copy()
    turned = (result["contrast"] == REVERSED).fillna(False).to_numpy(dtype=bool)
    ratio = result["measure"].isin(schema.RATIO_MEASURES).to_numpy(dtype=bool)
    estimate = result["estimate"].to_numpy(dtype=np.float64, na_value=np.nan)
    low = result["ci_low"].to_numpy(dtype=np.float64, na_value=np.nan)
    high = result["ci_high"].to_numpy(dtype=np.float64, na_value=np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        flip_ratio, flip_difference = turned & ratio, turned & ~ratio
        estimate = np.where(flip_ratio, 1 / estimate, np.where(flip_difference, -estimate, estimate))
        low, high = (np.where(flip_ratio, 1 / high, np.where(flip_difference, -high, low)),
                     np.where(flip_ratio, 1 / low, np.where(flip_difference, -low, high)))
    result["estimate"], result["ci_low"], result["ci_high"] = estimate, low, high
    result["reoriented"] = turned
    return result


def site_group(outcome: str, site: str, unit: str = "") -> str:
    """The group a result's site belongs to, with its unit when it has one: 'Lumbar spine (g/cm²)'."""
    text = (site or "").lower()
    found = [(text.find(phrase), label) for phrase, label in SITE_GROUPS.get(outcome, ()) if phrase in text]
    group = min(found)[1] if found else (site.strip() or "Site not stated")
    return f"{group} ({unit})" if unit and unit != "%" else group


def log_scale(measure: str) -> bool:
    return measure_family(measure) == "ratio"


def favours_vitamin_k(measure: str, estimate: float) -> bool:
    """Whether an oriented estimate lies on the vitamin K side of no effect."""
    return estimate < 1 if log_scale(measure) else estimate > 0


def standard_error(measure: str, low: float, high: float) -> float:
    """The standard error a 95% CI implies, on the log scale for ratios."""
    if log_scale(measure):
        low, high = math.log(low), math.log(high)
    return (high - low) / (2 * 1.959963984540054)
