"""Seeded synthetic findings for benchmarks: schema-valid tables of any size, from 1 row to millions.

The mixes imitate the real evidence base (observational studies and trials most common, bone density,
fracture and muscle the most studied outcomes, most studies recent, several outcome rows per publication,
some undated and some untraced claims), so charts and filters do the same kind of work as on real data.
Every value is drawn with vectorised numpy from one seeded generator: the same (n_rows, seed) always
gives the same table, and a million rows take a few seconds.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from kviz import schema

# Relative weights per code; a code missing here (a category added to the schema later) still appears,
# rarely, so generated tables exercise every category.
UNLISTED_WEIGHT = 0.02
DESIGN_WEIGHTS = {"meta_analysis": 0.06, "rct": 0.25, "trial": 0.07, "cohort": 0.2, "observational": 0.15,
                  "lab": 0.12, "review": 0.10, "opinion": 0.05}
K_FORM_WEIGHTS = {"K1": 0.25, "K2": 0.08, "MK-4": 0.15, "MK-7": 0.22, "mixed": 0.08,
                  "unspecified": 0.17, "none": 0.05}
D3_WEIGHTS = {"with_d3": 0.2, "without_d3": 0.45, "k_and_d_status": 0.05, "not_reported": 0.30}
KEY_OUTCOME_WEIGHT, OTHER_OUTCOME_WEIGHT = 3.0, 1.0
STUDY_DIRECTION_WEIGHTS = {"benefit": 0.45, "no_effect": 0.30, "mixed": 0.12, "harm": 0.05, "not_applicable": 0.08}
# Reviews and opinions mostly state no effect of their own.
NON_STUDY_DESIGNS = ("review", "opinion")
NON_STUDY_DIRECTION_WEIGHTS = {"benefit": 0.25, "no_effect": 0.05, "mixed": 0.15, "harm": 0.02, "not_applicable": 0.53}
SOURCE_MATCH_WEIGHTS = {"identified": 0.72, "probable": 0.13, "not_identified": 0.15}
SOURCE_WEIGHTS = {"seed_list": 0.03, "seed_review": 0.02, "added": 0.95}
BLINDING_WEIGHTS = {"double_blind": 0.6, "single_blind": 0.05, "open_label": 0.25, "not_reported": 0.1}
INTEGRITY_WEIGHTS = {"ok": 0.96, "concern": 0.03, "retracted": 0.01}
# Numeric results: the measure and sites each key outcome reports, and the share of effect rows that carry one.
OUTCOME_MEASURES = {"bone_density": ("pct_diff", "MD", "SMD"), "fracture": ("RR", "OR", "HR"), "muscle": ("MD", "SMD")}
OUTCOME_SITES = {"bone_density": ("lumbar spine", "total hip", "femoral neck"),
                 "fracture": ("any clinical fracture", "vertebral fracture", "hip fracture"),
                 "muscle": ("grip strength", "gait speed")}
ESTIMATE_SHARE = 0.7
UNITS = {"MD": "g/cm²", "pct_diff": "%"}  # synthetic mean differences are all in one unit per measure
REVERSED_SHARE = 0.15  # results reported as less vs more vitamin K (contrast low_vs_high)

# Typical daily doses in µg per form (K1 up to pharmacological doses; MK-4 in milligrams; MK-7 in µg).
DOSES_UG = {"K1": (50, 100, 200, 500, 1000, 5000), "K2": (45, 90, 180), "MK-4": (1500, 15000, 45000),
            "MK-7": (45, 90, 180, 360, 375), "mixed": (100, 200, 500)}
DURATIONS_MONTHS = (1, 3, 6, 12, 24, 36)
FOLLOW_UP_MONTHS = (12, 36, 60, 120)
# Median sample size (log-normal) by design; designs not listed have no participants (lab, review, opinion).
MEDIAN_PARTICIPANTS = {"meta_analysis": 5000, "rct": 120, "trial": 40, "cohort": 3000, "observational": 1500}
HUMAN_POPULATIONS = ("Postmenopausal women", "Older men and women", "Haemodialysis patients", "Healthy adults",
                     "Children and adolescents", "Adults with type 2 diabetes", "Sarcopenic older adults",
                     "Athletes", "Japanese adults eating natto", "Women with osteoporosis")
LAB_POPULATIONS = ("Human osteoblast cells", "Ovariectomised rats", "Mouse muscle satellite cells",
                   "Fermented foods (composition)")
NOTES = ("Association only; the headline says 'improves'.", "Abstract only; full text not checked.",
         "Dose converted from milligrams.", "Intake estimated from a natto food questionnaire.",
         "Non-significant trend reported as a reduction.")
UNTRACED_NOTE = "Untraced: coded from the headline alone."
FIRST_YEAR, LAST_YEAR, YEAR_SCALE = 1950, 2025, 9.0  # years before LAST_YEAR ~ exponential(YEAR_SCALE)
YEAR_ONLY_SHARE, UNDATED_SHARE = 0.11, 0.04
MISSING_PARTICIPANTS_SHARE = 0.12
ROWS_PER_STUDY_P = 0.55  # geometric: 55% of publications have one outcome row, some have many


def _probabilities(vocabulary: schema.Vocabulary, weights: dict[str, float]) -> np.ndarray:
    unknown = set(weights) - set(vocabulary.codes)
    if unknown:
        raise ValueError(f"weights for unknown {vocabulary.column} codes: {sorted(unknown)}")
    raw = np.array([weights.get(code, UNLISTED_WEIGHT) for code in vocabulary.codes], dtype=float)
    return raw / raw.sum()


def _outcome_probabilities() -> np.ndarray:
    return _probabilities(
        schema.OUTCOME,
        {code: KEY_OUTCOME_WEIGHT if code in schema.KEY_OUTCOMES else OTHER_OUTCOME_WEIGHT
         for code in schema.OUTCOME.codes},
    )


def _codes_index(vocabulary: schema.Vocabulary, codes) -> np.ndarray:
    return np.array([vocabulary.codes.index(code) for code in codes], dtype=np.int64)


def _draw(rng: np.random.Generator, vocabulary: schema.Vocabulary, weights: dict[str, float], size: int) -> np.ndarray:
    """Indexes into `vocabulary.codes`, drawn with the given weights."""
    return rng.choice(len(vocabulary.codes), size, p=_probabilities(vocabulary, weights))


def _pick(rng: np.random.Generator, options, size: int) -> np.ndarray:
    return rng.integers(0, len(options), size=size)


def _take(strings, index: np.ndarray) -> pa.Array:
    """strings[index] as an Arrow string array (pandas 3's own string storage, built without Python loops)."""
    return pa.array(list(strings), pa.string()).take(pa.array(index))


def _blank_unless(present: np.ndarray, values) -> pa.Array:
    return pc.if_else(pa.array(present), values, "")


def _as_text(values: np.ndarray) -> pa.Array:
    return pc.cast(pa.array(values), pa.string())


def _join(*parts) -> pa.Array:
    return pc.binary_join_element_wise(*parts, "")


def _dose_table() -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """Flattened dose choices: their texts and values, and per k_form code its first index and count."""
    codes = schema.K_FORM.codes
    texts, values, starts, counts = [""], [0.0], np.zeros(len(codes), np.int64), np.zeros(len(codes), np.int64)
    for position, code in enumerate(codes):
        doses = DOSES_UG.get(code, ())
        starts[position], counts[position] = len(values), len(doses)
        for dose in doses:
            values.append(float(dose))
            texts.append(f"{dose / 1000:g} mg/day" if dose >= 1000 else f"{dose:g} µg/day")
    return texts, np.array(values), starts, counts


def _effect_sizes(rng: np.random.Generator, count: int = 64) -> list[str]:
    ratios = np.exp(rng.normal(-0.2, 0.35, count))
    widths = np.exp(rng.uniform(0.1, 0.5, count))
    kinds = ("OR", "RR", "HR")
    return [f"{kinds[k]} {r:.2f} ({r / w:.2f}–{r * w:.2f})" for k, r, w in zip(_pick(rng, kinds, count), ratios, widths)]


def _headlines() -> list[str]:
    """One headline per (k_form, outcome, direction), indexed by _headline_index."""
    return [f"{schema.K_FORM.label(k)} and {schema.OUTCOME.label(o).lower()}: {schema.DIRECTION.label(d).lower()}"
            for k in schema.K_FORM.codes for o in schema.OUTCOME.codes for d in schema.DIRECTION.codes]


def _headline_index(k_form: np.ndarray, outcome: np.ndarray, direction: np.ndarray) -> np.ndarray:
    return (k_form * len(schema.OUTCOME.codes) + outcome) * len(schema.DIRECTION.codes) + direction


def _published(rng: np.random.Generator, n_studies: int) -> tuple[pa.Array, np.ndarray]:
    """Publication dates (mostly YYYY-MM, some YYYY only, a few undated) and their years."""
    year = np.clip(LAST_YEAR - np.floor(rng.exponential(YEAR_SCALE, n_studies)).astype(np.int64), FIRST_YEAR, LAST_YEAR)
    month = rng.integers(1, 13, n_studies)
    kind = rng.random(n_studies)
    all_years = range(FIRST_YEAR, LAST_YEAR + 1)
    year_months = [f"{y}-{m:02d}" for y in all_years for m in range(1, 13)]
    choices = year_months + [str(y) for y in all_years] + [""]
    index = np.where(kind < YEAR_ONLY_SHARE, len(year_months) + year - FIRST_YEAR, (year - FIRST_YEAR) * 12 + month - 1)
    index[kind > 1 - UNDATED_SHARE] = len(choices) - 1
    return _take(choices, index), year


def _numeric_results(rng: np.random.Generator, outcome: np.ndarray, direction: np.ndarray, present: np.ndarray) -> dict:
    """measure, site, estimate and 95% CI text per row, consistent with the row's direction (benefit: the CI lies
    on the vitamin K side of no effect; no clear effect: it spans it); empty where `present` is false."""
    n = len(outcome)
    measures, sites = [""] * n, [""] * n
    estimate, low, high = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    se = rng.uniform(0.08, 0.35, n)
    z = rng.uniform(-1.0, 1.0, n)  # no clear effect: within one standard error of nothing
    codes = np.array(schema.DIRECTION.codes)[direction]
    z = np.where(codes == "benefit", 2.2 + rng.random(n), np.where(codes == "harm", -2.2 - rng.random(n), z))
    for outcome_code, options in OUTCOME_MEASURES.items():
        rows = present & (outcome == schema.OUTCOME.codes.index(outcome_code))
        choice, place = _pick(rng, options, n), _pick(rng, OUTCOME_SITES[outcome_code], n)
        for row in np.flatnonzero(rows):
            measure = options[choice[row]]
            measures[row], sites[row] = measure, OUTCOME_SITES[outcome_code][place[row]]
            centre = z[row] * se[row]  # positive favours vitamin K
            if measure in schema.RATIO_MEASURES:  # below 1 favours vitamin K
                estimate[row], low[row], high[row] = np.exp([-centre, -centre - 1.96 * se[row], -centre + 1.96 * se[row]])
            else:
                scale = 4.0 if measure == "MD" else 1.0
                estimate[row], low[row], high[row] = scale * np.array([centre, centre - 1.96 * se[row], centre + 1.96 * se[row]])

    # Some results are reported the other way round (less vs more vitamin K): 1 / ratio, or minus the difference.
    turned = (rng.random(n) < REVERSED_SHARE) & ~np.isnan(estimate)
    ratio = np.isin(np.array(measures, dtype=object), schema.RATIO_MEASURES)
    for flip, invert in ((turned & ratio, lambda v: 1 / v), (turned & ~ratio, lambda v: -v)):
        estimate[flip], low[flip], high[flip] = invert(estimate[flip]), invert(high[flip]), invert(low[flip])

    def text(values: np.ndarray) -> pa.Array:
        return pa.array(["" if np.isnan(v) else f"{v:.3f}" for v in values], pa.string())

    contrast = np.where(np.isnan(estimate), "", np.where(turned, "low_vs_high", "k_vs_control"))
    units = [UNITS.get(measure, "") for measure in measures]
    return {"measure": pa.array(measures, pa.string()), "site": pa.array(sites, pa.string()),
            "unit": pa.array(units, pa.string()),
            "estimate": text(estimate), "ci_low": text(low), "ci_high": text(high),
            "contrast": pa.array(contrast.tolist(), pa.string())}


def generate(n_rows: int, seed: int = 0) -> pd.DataFrame:
    """`n_rows` synthetic findings as raw CSV text columns in schema order (what `write_csv` writes)."""
    return _table(n_rows, seed).to_pandas()


def _table(n_rows: int, seed: int) -> pa.Table:
    if n_rows < 0:
        raise ValueError("n_rows must be zero or more")
    rng = np.random.default_rng(seed)

    # Publications with one or more outcome rows each; `study` maps rows to publications.
    rows_per_study = np.minimum(rng.geometric(ROWS_PER_STUDY_P, size=max(n_rows, 1)), len(schema.OUTCOME.codes))
    n_studies = int(np.searchsorted(np.cumsum(rows_per_study), n_rows)) + 1 if n_rows else 0
    rows_per_study = rows_per_study[:n_studies]
    study = np.repeat(np.arange(n_studies), rows_per_study)[:n_rows]
    first_row = np.cumsum(rows_per_study) - rows_per_study
    position = np.arange(n_rows) - first_row[study]

    # Publication-level categories.
    design = _draw(rng, schema.DESIGN, DESIGN_WEIGHTS, n_studies)
    k_form = _draw(rng, schema.K_FORM, K_FORM_WEIGHTS, n_studies)
    d3 = _draw(rng, schema.D3, D3_WEIGHTS, n_studies)
    d3[k_form == schema.K_FORM.codes.index("none")] = schema.D3.codes.index("d3_only")  # a vitamin D-only trial
    source_match = _draw(rng, schema.SOURCE_MATCH, SOURCE_MATCH_WEIGHTS, n_studies)
    untraced = source_match == schema.SOURCE_MATCH.codes.index(schema.UNTRACED)
    source = _draw(rng, schema.SOURCE, SOURCE_WEIGHTS, n_studies)
    published, year = _published(rng, n_studies)
    interventional = np.isin(design, _codes_index(schema.DESIGN, ("meta_analysis", "rct", "trial")))
    observational = np.isin(design, _codes_index(schema.DESIGN, ("cohort", "observational")))
    non_study = np.isin(design, _codes_index(schema.DESIGN, NON_STUDY_DESIGNS))

    # Row-level categories: distinct outcomes within a publication, direction depending on the design.
    first_outcome = rng.choice(len(schema.OUTCOME.codes), n_studies, p=_outcome_probabilities())
    outcome = (first_outcome[study] + position) % len(schema.OUTCOME.codes)
    row_non_study = non_study[study]
    direction = np.where(row_non_study, _draw(rng, schema.DIRECTION, NON_STUDY_DIRECTION_WEIGHTS, n_rows),
                         _draw(rng, schema.DIRECTION, STUDY_DIRECTION_WEIGHTS, n_rows))

    # Participants: log-normal around the design's median; none for lab work, reviews and opinions.
    medians = np.array([MEDIAN_PARTICIPANTS.get(code, 0) for code in schema.DESIGN.codes], dtype=float)[design]
    participants = np.maximum(1, np.round(medians * np.exp(rng.normal(0, 0.8, n_studies)))).astype(np.int64)
    missing = rng.random(n_studies) < np.where(untraced, 0.5, MISSING_PARTICIPANTS_SHARE)
    has_participants = (medians > 0) & ~missing

    # Doses by form (interventions mostly report one, observational studies sometimes); durations by design.
    dose_texts, dose_values, dose_start, dose_count = _dose_table()
    counts = dose_count[k_form]
    dose_share = np.where(interventional, 0.9, np.where(observational, 0.4, 0.1))
    has_dose = (counts > 0) & (rng.random(n_studies) < dose_share)
    dose_index = np.where(has_dose, dose_start[k_form] + np.floor(rng.random(n_studies) * counts).astype(np.int64), 0)
    duration = np.where(interventional, np.array(DURATIONS_MONTHS)[_pick(rng, DURATIONS_MONTHS, n_studies)],
                        np.array(FOLLOW_UP_MONTHS)[_pick(rng, FOLLOW_UP_MONTHS, n_studies)])
    has_duration = rng.random(n_studies) < np.where(interventional, 0.9, np.where(observational, 0.5, 0.0))

    # Identifiers, links and citations (untraced claims mostly lack them).
    number = pc.utf8_lpad(_as_text(np.arange(n_studies)), 7, "0")
    study_id = _join("syn-", number)
    has_doi = ~untraced & (rng.random(n_studies) < 0.85)
    doi = _blank_unless(has_doi, _join("10.5555/kviz.synth.", number))
    url = _blank_unless(has_doi, _join("https://doi.org/", doi))
    citation = _join("Author", _as_text(np.arange(n_studies) % 997), " et al. Synthetic study ", number,
                     " of vitamin K. J Synth Nutr. ", _as_text(year), ".")
    citation = _blank_unless(~(untraced & (rng.random(n_studies) < 0.5)), citation)

    # Free text: populations by kind of study, effect sizes for effect rows, occasional notes.
    lab = design == schema.DESIGN.codes.index("lab")
    population = np.where(lab, _pick(rng, LAB_POPULATIONS, n_studies),
                          len(LAB_POPULATIONS) + _pick(rng, HUMAN_POPULATIONS, n_studies))
    population[non_study & (rng.random(n_studies) < 0.5)] = len(LAB_POPULATIONS) + len(HUMAN_POPULATIONS)
    effects = _effect_sizes(rng)
    has_effect = (~row_non_study & np.isin(direction, _codes_index(schema.DIRECTION, schema.EFFECT_DIRECTIONS))
                  & (rng.random(n_rows) < 0.6))
    note = np.where(rng.random(n_rows) < 0.1, _pick(rng, NOTES, n_rows), len(NOTES))
    note[untraced[study]] = len(NOTES) + 1
    results = _numeric_results(rng, outcome, direction, has_effect & (rng.random(n_rows) < ESTIMATE_SHARE))
    blinding = _draw(rng, schema.BLINDING, BLINDING_WEIGHTS, n_studies)
    integrity = _draw(rng, schema.INTEGRITY, INTEGRITY_WEIGHTS, n_studies)
    trial = np.isin(design, _codes_index(schema.DESIGN, ("rct", "trial")))

    study_rows = pa.array(study)
    columns = {
        "finding_id": _join(study_id.take(study_rows), "-", _as_text(position + 1)),
        "study_id": study_id.take(study_rows),
        "published": published.take(study_rows),
        "headline": _take(_headlines(), _headline_index(k_form[study], outcome, direction)),
        "design": _take(schema.DESIGN.codes, design[study]),
        "blinding": _blank_unless(trial, _take(schema.BLINDING.codes, blinding)).take(study_rows),
        "k_form": _take(schema.K_FORM.codes, k_form[study]),
        "d3": _take(schema.D3.codes, d3[study]),
        "comparison": _blank_unless(trial, pa.array(["vitamin K vs placebo"] * n_studies, pa.string())).take(study_rows),
        "outcome": _take(schema.OUTCOME.codes, outcome),
        "site": results["site"],
        "direction": _take(schema.DIRECTION.codes, direction),
        "source_match": _take(schema.SOURCE_MATCH.codes, source_match[study]),
        "integrity": _take(schema.INTEGRITY.codes, integrity).take(study_rows),
        "n_participants": _blank_unless(has_participants, _as_text(participants)).take(study_rows),
        "dose_ug_per_day": _blank_unless(has_dose, _as_text(dose_values[dose_index])).take(study_rows),
        "duration_months": _blank_unless(has_duration, _as_text(duration)).take(study_rows),
        "population": _take(LAB_POPULATIONS + HUMAN_POPULATIONS + ("",), population[study]),
        "dose_text": _take(dose_texts, dose_index[study]),
        "effect_size": _blank_unless(has_effect, _take(effects, _pick(rng, effects, n_rows))),
        "measure": results["measure"],
        "estimate": results["estimate"],
        "ci_low": results["ci_low"],
        "ci_high": results["ci_high"],
        "unit": results["unit"],
        "contrast": results["contrast"],
        "timepoint_months": _blank_unless(has_duration, _as_text(duration)).take(study_rows),
        **{name: pa.array([""] * n_rows, pa.string()) for name in ("events_k", "n_k", "events_control", "n_control")},
        "citation": citation.take(study_rows),
        "doi": doi.take(study_rows),
        "url": url.take(study_rows),
        "evidence_url": url.take(study_rows),
        "source": _take(schema.SOURCE.codes, source[study]),
        "notes": _take(NOTES + ("", UNTRACED_NOTE), note),
    }
    return pa.table({name: columns[name] for name in schema.COLUMN_NAMES})


def write_csv(path: str | Path, n_rows: int, seed: int = 0) -> Path:
    """Write `generate(n_rows, seed)` as a findings CSV (UTF-8, header first) and return its path.

    Arrow's CSV writer quotes only where needed and is many times faster than DataFrame.to_csv at 1M rows."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    pa_csv.write_csv(_table(n_rows, seed), path, pa_csv.WriteOptions(quoting_style="needed"))
    return path
